"""Build small ledger folders for tests: a few literal rows per file."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from immex.ledger.model import Ledger
from immex.ledger.read import COLUMNS

Rows = Sequence[dict[str, str]]


def write_table(folder: Path, name: str, rows: Rows, header: Sequence[str] | None = None) -> None:
    required, optional = COLUMNS[name]
    columns = (
        list(header)
        if header is not None
        else list(required) + [c for c in optional if any(c in r for r in rows)]
    )
    with (folder / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def write_ledger(
    folder: Path, parts: Rows, imports: Rows, exports: Rows, bom: Rows = (), conversions: Rows | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder, "parts.csv", parts)
    write_table(folder, "imports.csv", imports)
    write_table(folder, "exports.csv", exports)
    write_table(folder, "bom.csv", bom)
    if conversions is not None:
        write_table(folder, "uom_conversions.csv", conversions)
    return folder


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def part(name: str, uom: str = "pcs", kind: str = "raw", **extra: str) -> dict[str, str]:
    return {"part": name, "uom": uom, "kind": kind, **extra}


def imp(
    ped: str, line: int, name: str, qty: str, on: str, uom: str = "pcs", clave: str = "IN", **extra: str
) -> dict[str, str]:
    return {
        "pedimento": ped,
        "line": str(line),
        "clave": clave,
        "cleared_on": on,
        "part": name,
        "qty": qty,
        "uom": uom,
        **extra,
    }


def exp(
    ped: str, line: int, product: str, qty: str, on: str, uom: str = "pcs", clave: str = "RT", **extra: str
) -> dict[str, str]:
    return {
        "pedimento": ped,
        "line": str(line),
        "clave": clave,
        "cleared_on": on,
        "product": product,
        "qty": qty,
        "uom": uom,
        **extra,
    }


def bom(
    product: str, component: str, qty_per: str, valid_from: str = "2020-01-01", uom: str = "pcs", **extra: str
) -> dict[str, str]:
    return {
        "product": product,
        "component": component,
        "qty_per": qty_per,
        "uom": uom,
        "valid_from": valid_from,
        **extra,
    }


def ledger_to_folder(ledger: Ledger, folder: Path) -> Path:
    """Write a domain ledger (base units only) as the contract's CSV folder."""
    parts = [part(p.part, p.uom, p.kind) for p in ledger.parts.values()]
    imports = [
        imp(i.pedimento, i.line, i.part, str(i.qty), i.cleared_on.isoformat(), ledger.parts[i.part].uom)
        for i in ledger.imports
    ]
    exports = [
        exp(e.pedimento, e.line, e.product, str(e.qty), e.cleared_on.isoformat(), ledger.parts[e.product].uom)
        for e in ledger.exports
    ]
    boms = [
        bom(
            v.product,
            c.component,
            str(c.qty_per),
            v.valid_from.isoformat(),
            ledger.parts[c.component].uom,
            valid_to=v.valid_to.isoformat() if v.valid_to else "",
            merma_pct=str(c.merma_pct),
            desperdicio_pct=str(c.desperdicio_pct),
        )
        for versions in ledger.boms.values()
        for v in versions
        for c in v.components
    ]
    return write_ledger(folder, parts, imports, exports, boms)
