"""Writing a domain ledger as the contract's input folder (CSV), for the columnar path tests."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from immex.ledger.model import Ledger


def text(value: Decimal) -> str:
    return format(value, "f")


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_folder(
    ledger: Ledger, folder: Path, kg_factor: Decimal | None = None, spaced: bool = False
) -> None:
    """parts, imports, exports, bom (+ uom_conversions when ``kg_factor``: odd import lines in KG)."""

    def ped(number: str) -> str:
        return f"{number[:2]} {number[2:4]} {number[4:8]} {number[8:]}" if spaced else number

    _write(
        folder / "parts.csv",
        ("part", "uom", "kind", "description"),
        (
            (p.part, p.uom, p.kind.upper() if i % 2 else p.kind, "x")
            for i, p in enumerate(ledger.parts.values())
        ),
    )
    imports = []
    for i, lot in enumerate(ledger.imports):
        if kg_factor is not None and i % 2:
            imports.append(
                (
                    ped(lot.pedimento),
                    lot.line,
                    lot.clave,
                    lot.cleared_on,
                    lot.part,
                    text(lot.qty / kg_factor),
                    "KG",
                    "1.5",
                )
            )
        else:
            imports.append(
                (
                    ped(lot.pedimento),
                    lot.line,
                    lot.clave,
                    lot.cleared_on,
                    lot.part,
                    text(lot.qty),
                    ledger.parts[lot.part].uom,
                    "",
                )
            )
    _write(
        folder / "imports.csv",
        ("pedimento", "line", "clave", "cleared_on", "part", "qty", "uom", "unit_value_usd"),
        imports,
    )
    _write(
        folder / "exports.csv",
        ("product", "pedimento", "line", "clave", "cleared_on", "qty", "uom"),
        (
            (
                e.product,
                ped(e.pedimento),
                e.line,
                e.clave,
                e.cleared_on,
                text(e.qty),
                ledger.parts[e.product].uom,
            )
            for e in ledger.exports
        ),
    )
    _write(
        folder / "bom.csv",
        ("product", "component", "qty_per", "uom", "valid_from", "valid_to", "merma_pct", "desperdicio_pct"),
        (
            (
                v.product,
                c.component,
                text(c.qty_per),
                ledger.parts[c.component].uom,
                v.valid_from,
                v.valid_to or "",
                text(c.merma_pct) if c.merma_pct else "",
                text(c.desperdicio_pct),
            )
            for versions in ledger.boms.values()
            for v in versions
            for c in v.components
        ),
    )
    if kg_factor is not None:
        _write(
            folder / "uom_conversions.csv",
            ("from_uom", "to_uom", "factor", "part"),
            [("KG", "PZA", text(kg_factor), ""), ("KG", "M", "3", "")],
        )


# Units as plants write them: pounds (8-decimal factor), grams, boxes of 12 and a part's own box size.
UNITS = (("LB", "0.45359237", ""), ("G", "0.001", ""), ("CJ", "12", ""), ("CJ", "7", "E-raw"))


def write_folder_in_units(ledger: Ledger, folder: Path) -> None:
    """The ledger's numbers written in other units than the base one (the base quantity is the
    written one times the factor): imports, exports and BOM components cycle through PZA, LB, G, CJ."""
    write_folder(ledger, folder)
    units = ("PZA", *(unit for unit, _, _ in UNITS[:3]))

    def rewrite(name: str, column: str) -> None:
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        at = rows[0].index(column)
        for i, row in enumerate(rows[1:]):
            row[at] = units[i % len(units)]
        _write(folder / name, rows[0], rows[1:])

    rewrite("imports.csv", "uom")
    rewrite("exports.csv", "uom")
    rewrite("bom.csv", "uom")
    _write(
        folder / "uom_conversions.csv",
        ("from_uom", "to_uom", "factor", "part"),
        [(unit, "PZA", factor, part) for unit, factor, part in UNITS],
    )
