"""Tiny ledger folders with sub-maquila shipments and waste disposals, and a way to run them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from typer.testing import CliRunner

from immex.cli import app
from immex.ledger.movements import SUBMAQUILA, WASTE
from tests.ledger.ledger_files import bom, exp, imp, part, write_ledger

IMPORT = "25 47 3456 5000001"
IMPORT_2 = "25 47 3456 5000002"
EXPORT = "25 47 3456 6000001"
EXPORT_2 = "25 47 3456 6000002"
RFC = "EKU9003173C9"  # the SAT's own example of a company RFC (valid check digit)
RFC_2 = "GODE561231GR8"  # a person's RFC with a valid check digit

Rows = Sequence[dict[str, str]]


def write_rows(folder: Path, name: str, rows: Rows) -> None:
    """``submaquila.csv`` or ``waste.csv`` with every column of its schema, in schema order."""
    header = [c.name for c in (SUBMAQUILA if name == SUBMAQUILA.name else WASTE).columns]
    with (folder / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows({c: row.get(c, "") for c in header} for row in rows)


def move(
    shipment: str, direction: str, on: str, name: str, qty: str, uom: str = "m", rfc: str = RFC
) -> dict[str, str]:
    return {
        "shipment": shipment,
        "direction": direction,
        "date": on,
        "part": name,
        "qty": qty,
        "uom": uom,
        "submaquilador_rfc": rfc,
    }


def disposal(
    on: str, name: str, qty: str, uom: str = "m", how: str = "destroyed", document: str = ""
) -> dict[str, str]:
    return {"date": on, "part": name, "qty": qty, "uom": uom, "disposition": how, "document": document}


def harness_ledger(
    folder: Path,
    cable_imported: str = "1000",
    exports: Rows | None = None,
    desperdicio: str = "5",
    merma: str = "2",
) -> Path:
    """A harness of 2 m of cable (``merma`` and ``desperdicio`` in %) and 4 clips; cable imported in m."""
    return write_ledger(
        folder,
        parts=[part("HARNESS", kind="finished"), part("CABLE", "m"), part("CLIP")],
        imports=[
            imp(IMPORT, 1, "CABLE", cable_imported, "2025-01-10", "m"),
            imp(IMPORT, 2, "CLIP", "1000", "2025-01-10"),
        ],
        exports=list(exports) if exports is not None else [exp(EXPORT, 1, "HARNESS", "100", "2025-03-01")],
        bom=[
            bom("HARNESS", "CABLE", "2", uom="m", merma_pct=merma, desperdicio_pct=desperdicio),
            bom("HARNESS", "CLIP", "4"),
        ],
        conversions=[{"from_uom": "ft", "to_uom": "m", "factor": "0.3048"}],
    )


def discharge(
    folder: Path, out: Path, *extra: str, as_of: str = "2025-06-30"
) -> tuple[int, list[list[str]], str]:
    """``immex discharge``: exit code, the problems on stderr as CSV rows, stdout."""
    result = CliRunner().invoke(
        app, ["discharge", "--input", str(folder), "--output", str(out), "--as-of", as_of, *extra]
    )
    return result.exit_code, list(csv.reader(io.StringIO(result.stderr))), result.stdout


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
