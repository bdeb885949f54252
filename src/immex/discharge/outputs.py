"""The output folder of the discharge contract: allocations, shortfalls, balances, run.json.

The folder is written as one result (``immex.core.atomic.atomic_folder``):
``run.json`` is written last and names every other file of the folder with
its size and SHA-256, so a reader can check that the files are the ones the
run wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from immex.core.atomic import file_digests
from immex.core.problems import Problem, problems_csv
from immex.core.table_files import Cell, write_csv
from immex.discharge.methods import Allocation, Balance, Shortfall

RUN_JSON = "run.json"
WARNINGS_CSV = "warnings.csv"
ERRORS_CSV = "errors.csv"
# Every file `immex discharge` may leave in its output folder (a folder holding only
# these may be replaced whole by the next run).
DISCHARGE_CSVS = ("allocations.csv", "shortfalls.csv", "balances.csv")  # every run writes these
OUTPUT_FILES = (
    *DISCHARGE_CSVS,
    RUN_JSON,
    WARNINGS_CSV,
    ERRORS_CSV,
    "submaquila.csv",  # sub-maquila and waste (immex.discharge.movements), when due
    "waste.csv",
)

ALLOCATION_HEADER = (
    "export_pedimento",
    "export_line",
    "product",
    "part",
    "import_pedimento",
    "import_line",
    "qty",
    "late",
)
SHORTFALL_HEADER = ("export_pedimento", "export_line", "product", "part", "qty_missing")
BALANCE_HEADER = (
    "import_pedimento",
    "import_line",
    "part",
    "qty_imported",
    "qty_discharged",
    "qty_remaining",
    "deadline",
    "days_left",
    "status",
)


def allocation_rows(allocations: Iterable[Allocation]) -> Iterable[tuple[Cell, ...]]:
    return (
        (
            a.export_pedimento,
            a.export_line,
            a.product,
            a.part,
            a.import_pedimento,
            a.import_line,
            a.qty,
            a.late,
        )
        for a in allocations
    )


def shortfall_rows(shortfalls: Iterable[Shortfall]) -> Iterable[tuple[Cell, ...]]:
    return ((s.export_pedimento, s.export_line, s.product, s.part, s.qty_missing) for s in shortfalls)


def balance_rows(balances: Iterable[Balance]) -> Iterable[tuple[Cell, ...]]:
    return (
        (
            b.import_pedimento,
            b.import_line,
            b.part,
            b.qty_imported,
            b.qty_discharged,
            b.qty_remaining,
            b.deadline,
            b.days_left,
            b.status,
        )
        for b in balances
    )


def write_discharge_outputs(
    folder: Path,
    allocations: Iterable[Allocation],
    shortfalls: Iterable[Shortfall],
    balances: Iterable[Balance],
) -> dict[str, int]:
    """The contract's three CSV files, raw (they are data for programs: no spreadsheet escaping)."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "allocations": _raw_csv(folder / "allocations.csv", ALLOCATION_HEADER, allocation_rows(allocations)),
        "shortfalls": _raw_csv(folder / "shortfalls.csv", SHORTFALL_HEADER, shortfall_rows(shortfalls)),
        "balances": _raw_csv(folder / "balances.csv", BALANCE_HEADER, balance_rows(balances)),
    }


def _raw_csv(path: Path, header: tuple[str, ...], rows: Iterable[tuple[Cell, ...]]) -> int:
    return write_csv(path, header, rows, spreadsheet_safe=False)


def write_warnings(folder: Path, warnings: Iterable[Problem]) -> Path | None:
    """``warnings.csv`` (Anexo 22 warnings: the run went ahead) when there are any."""
    found = list(warnings)
    if not found:
        return None
    path = folder / WARNINGS_CSV
    path.write_text(problems_csv(found), encoding="utf-8")
    return path


def write_run_json(
    folder: Path, run: dict[str, Any], digests: Mapping[str, dict[str, int | str]] | None = None
) -> dict[str, Any]:
    """Write ``run.json`` last: the run plus ``files`` (size and SHA-256 of every other file).

    ``digests``: those of files the caller has already hashed and flushed (the columnar run
    does the three big CSV files while it computes the rest); the others are hashed here.
    """
    known = dict(digests or {})
    others = [p.name for p in folder.iterdir() if p.is_file() and p.name not in (RUN_JSON, *known)]
    files = {**known, **file_digests(folder, others)}
    vouched = {**run, "files": dict(sorted(files.items()))}
    (folder / RUN_JSON).write_text(json.dumps(vouched, indent=2, default=str) + "\n", encoding="utf-8")
    return vouched
