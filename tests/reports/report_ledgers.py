"""A worked example, stored: a harness maker imports wire twice and returns harnesses twice.

- 25 47 3456 5000001 partida 1: 1,000 m of WIRE on 2025-01-10 at USD 0.50/m (USA);
- 25 47 3456 5000002 partida 1: 2,000 m of WIRE on 2025-02-10 at USD 0.55/m (CHN);
- a HARNESS takes 12 m of WIRE;
- 25 47 3456 6000001: 100 HARNESS returned (RT) on 2025-03-05 at USD 120 → 1,200 m of wire:
  the first lot whole (1,000 m) and 200 m of the second (FIFO);
- 25 47 3456 6000002: 50 HARNESS returned (RT) on 2025-04-05 at USD 120 → 600 m of the second.

With ``operations``: 10 HARNESS exported definitively (A1, national goods: discharges nothing)
on 2025-05-02 at USD 100, and 300 m of the second lot regularized (A3, 25 47 3456 7000001)
on 2025-05-10.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from immex.cli import app
from tests.ledger.ledger_files import exp, imp, part, write_ledger

RFC = "DMA010101AB7"  # a valid RFC with its check digit (the demo company's)
FIRST_IMPORT, SECOND_IMPORT = "254734565000001", "254734565000002"
FIRST_RETURN, SECOND_RETURN = "254734566000001", "254734566000002"


A1_EXPORT, A3_REGULARIZATION = "254734566000003", "254734567000001"


def harness_folder(folder: Path, operations: bool = False) -> Path:
    extra = [exp("25 47 3456 6000003", 1, "HARNESS", "10", "2025-05-02", clave="A1", unit_value_usd="100")]
    written = write_ledger(
        folder,
        parts=[
            part("HARNESS", kind="finished", description="Arnés eléctrico"),
            part("WIRE", uom="m", description="Cable calibre 18", hs="85444204"),
        ],
        imports=[
            imp("25 47 3456 5000001", 1, "WIRE", "1000", "2025-01-10", uom="m", unit_value_usd="0.50"),
            imp("25 47 3456 5000002", 1, "WIRE", "2000", "2025-02-10", uom="m", unit_value_usd="0.55"),
        ],
        exports=[
            exp("25 47 3456 6000001", 1, "HARNESS", "100", "2025-03-05", unit_value_usd="120"),
            exp("25 47 3456 6000002", 1, "HARNESS", "50", "2025-04-05", unit_value_usd="120"),
            *(extra if operations else []),
        ],
        bom=[
            {
                "product": "HARNESS",
                "component": "WIRE",
                "qty_per": "12",
                "uom": "m",
                "valid_from": "2024-01-01",
            }
        ],
    )
    if operations:
        (folder / "regularizations.csv").write_text(
            "pedimento,line,clave,cleared_on,part,qty,uom,import_pedimento,import_line\n"
            "25 47 3456 7000001,1,A3,2025-05-10,WIRE,300,m,25 47 3456 5000002,1\n",
            encoding="utf-8",
        )
    return written


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def harness_store(
    tmp: Path, certification: str | None = "AA", operations: bool = False, url: str | None = None
) -> str:
    """Discharge the example into a new store (SQLite in ``tmp`` unless ``url``); a profile unless None."""
    url = url or f"sqlite:///{tmp / 'plant.db'}"
    folder = harness_folder(tmp / "in", operations)
    code, _, err = invoke(
        "discharge",
        "--input",
        str(folder),
        "--output",
        str(tmp / "out"),
        "--db",
        url,
        "--as-of",
        "2025-06-30",
    )
    assert code == 0, err
    if certification is not None:
        code, _, err = invoke(
            "company", "set", "--name", "Arneses del Norte, S.A. de C.V.", "--rfc", RFC,
            "--program", "IMMEX 2006-0042", "--certification", certification, "--db", url,
        )  # fmt: skip
        assert code == 0, err
    return url


def xlsx_table(path: Path) -> list[tuple[object, ...]]:
    """The rows of a signed report's table: headings first, the header block above left out."""
    from openpyxl import load_workbook

    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    blank = next((i for i, row in enumerate(rows) if all(v is None for v in row)), -1)
    return rows[blank + 1 :]
