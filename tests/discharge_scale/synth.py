"""Small ledger folders written as plants write them (LB, G, boxes, per-part factors), seeded."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

DAY0 = dt.date(2024, 1, 1)


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_units_folder(folder: Path, n_imports: int, n_exports: int, seed: int, n_raw: int = 6) -> None:
    """Raw parts in KG (imported in LB, G or KG) or PZA (in boxes of 12 or of their own size), a
    subassembly and two finished products over two BOM levels with decimal merma; 6-decimal
    import quantities; exports of the products and a few raw parts returned as imported."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    raw = [f"R{i}" for i in range(n_raw)]
    base = {p: "KG" if i % 2 == 0 else "PZA" for i, p in enumerate(raw)}
    _write(
        folder / "parts.csv",
        ("part", "uom", "kind"),
        [
            *((p, base[p], "container" if i == 1 else "raw") for i, p in enumerate(raw)),
            ("S0", "PZA", "subassembly"),
            ("F0", "PZA", "finished"),
            ("F1", "PZA", "finished"),
        ],
    )
    _write(
        folder / "uom_conversions.csv",
        ("from_uom", "to_uom", "factor", "part"),
        [
            ("LB", "KG", "0.45359237", ""),
            ("G", "KG", "0.001", ""),
            ("CJ", "PZA", "12", ""),
            ("CJ", "PZA", "7", raw[1]),
        ],
    )

    def unit(part: str) -> str:
        return rng.choice(("LB", "G", "KG")) if base[part] == "KG" else rng.choice(("PZA", "CJ"))

    bom = [
        ("S0", p, rng.choice(("0.5", "1.125", "0.003")), unit(p), "2020-01-01", "", "1.5", "0.25")
        for p in raw[:3]
    ]
    bom += [
        (
            "F0",
            p,
            rng.choice(("2", "0.75")),
            unit(p) if p != "S0" else "PZA",
            "2020-01-01",
            "2024-06-30",
            "2.35",
            "",
        )
        for p in ("S0", raw[3], raw[4])
    ]
    bom += [
        ("F0", p, "1.5", "PZA" if p == "S0" else unit(p), "2024-07-01", "", "", "1") for p in ("S0", raw[5])
    ]
    bom += [("F1", p, "3", unit(p), "2020-01-01", "", "0.5", "") for p in raw[::2]]
    _write(
        folder / "bom.csv",
        ("product", "component", "qty_per", "uom", "valid_from", "valid_to", "merma_pct", "desperdicio_pct"),
        bom,
    )
    imports = []
    for i in range(n_imports):
        part = rng.choice(raw)
        uom = unit(part)
        whole = rng.randint(1, 900) * (1000 if uom == "G" else 1)
        qty = f"{whole}.{rng.randint(0, 999999):06d}" if uom in ("LB", "KG") else str(whole)
        day = DAY0 + dt.timedelta(rng.randint(0, 700))
        imports.append((f"24 47 3456 {4000001 + i // 3:07d}", i % 3 + 1, "IN", day, part, qty, uom))
    _write(
        folder / "imports.csv", ("pedimento", "line", "clave", "cleared_on", "part", "qty", "uom"), imports
    )
    exports = []
    for i in range(n_exports):
        product = rng.choice(("F0", "F0", "F1", raw[0], raw[1]))
        uom = "PZA" if product.startswith("F") else unit(product)
        day = DAY0 + dt.timedelta(rng.randint(20, 760))
        exports.append(
            (
                f"24 47 7890 {5000001 + i // 2:07d}",
                i % 2 + 1,
                "RT",
                day,
                product,
                str(rng.randint(1, 60)),
                uom,
            )
        )
    _write(
        folder / "exports.csv", ("pedimento", "line", "clave", "cleared_on", "product", "qty", "uom"), exports
    )
