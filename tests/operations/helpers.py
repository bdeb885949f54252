"""Tiny ledgers of the operations contract, written as folders and discharged through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from immex.cli import app
from immex.ledger.orm import AllocationRow, DischargeRunRow, ExportLineRow, ImportLineRow
from immex.store.db import open_database
from tests.ledger.ledger_files import Rows, read_csv, write_table

I1 = "24 47 3456 4000001"
I2 = "25 47 3456 5000002"
E1 = "25 47 3456 6000001"
E2 = "25 47 3456 6000002"
R1 = "25 47 3456 5000901"  # A3 pedimentos (a regularization is a definitive import)
R2 = "26 47 3456 6000902"

# How each way of running the discharge is asked for: the columnar reader (FIFO without --db),
# the per-row reader (--engine per-row), the stored path.
PATHS = ("columnar", "per-row", "stored")


def digits(pedimento: str) -> str:
    """A pedimento as the outputs write it (the authority's spacing removed)."""
    return pedimento.replace(" ", "")


def reg(
    ped: str, line: int, part: str, qty: str, on: str, lot: str, lot_line: int, **extra: str
) -> dict[str, str]:
    return {
        "pedimento": ped,
        "line": str(line),
        "clave": "A3",
        "cleared_on": on,
        "part": part,
        "qty": qty,
        "uom": "pcs",
        "import_pedimento": lot,
        "import_line": str(lot_line),
        **extra,
    }


def write_regularizations(folder: Path, rows: Rows) -> None:
    write_table(folder, "regularizations.csv", rows)


def path_args(tmp_path: Path, path: str) -> list[str]:
    if path == "stored":
        return ["--db", f"sqlite:///{tmp_path / 'plant.db'}"]
    return ["--engine", "per-row"] if path == "per-row" else []


def discharge(tmp_path: Path, *args: str, folder: str = "in", out: str = "out") -> tuple[Result, Path]:
    target = tmp_path / out
    result = CliRunner().invoke(
        app,
        [
            "discharge",
            "--input",
            str(tmp_path / folder),
            "--output",
            str(target),
            "--as-of",
            "2025-06-30",
            *args,
        ],
    )
    return result, target


def ok(tmp_path: Path, *args: str, folder: str = "in", out: str = "out") -> Path:
    result, target = discharge(tmp_path, *args, folder=folder, out=out)
    assert result.exit_code == 0, result.output
    return target


def errors(tmp_path: Path, *args: str) -> list[tuple[str, str, str, str]]:
    """The errors.csv rows of a refused run (exit 2)."""
    result, target = discharge(tmp_path, *args)
    assert result.exit_code == 2, result.output
    return [(r["file"], r["row"], r["column"], r["message"]) for r in read_csv(target / "errors.csv")]


def rows(out: Path, name: str) -> list[tuple[str, ...]]:
    return [tuple(r.values()) for r in read_csv(out / name)]


def run_json(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "run.json").read_text(encoding="utf-8")))


def store_counts(db_path: Path) -> tuple[int, ...]:
    """Rows of the ledger and run tables (0s when there is no store yet)."""
    if not db_path.exists():
        return (0, 0, 0, 0)
    engine = open_database(f"sqlite:///{db_path}")
    try:
        with Session(engine) as session:
            return tuple(
                int(session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (ImportLineRow, ExportLineRow, AllocationRow, DischargeRunRow)
            )
    finally:
        engine.dispose()
