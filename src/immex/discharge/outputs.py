"""The output folder of the discharge contract: allocations, shortfalls, balances, run.json."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from immex.discharge.methods import Allocation, Balance, Shortfall
from immex.reports.tables import Cell, write_csv

ALLOCATION_HEADER = ("export_pedimento", "export_line", "product", "part", "import_pedimento",
                     "import_line", "qty", "late")
SHORTFALL_HEADER = ("export_pedimento", "export_line", "product", "part", "qty_missing")
BALANCE_HEADER = ("import_pedimento", "import_line", "part", "qty_imported", "qty_discharged",
                  "qty_remaining", "deadline", "days_left", "status")


def allocation_rows(allocations: Iterable[Allocation]) -> Iterable[tuple[Cell, ...]]:
    return ((a.export_pedimento, a.export_line, a.product, a.part, a.import_pedimento, a.import_line,
             a.qty, a.late) for a in allocations)


def shortfall_rows(shortfalls: Iterable[Shortfall]) -> Iterable[tuple[Cell, ...]]:
    return ((s.export_pedimento, s.export_line, s.product, s.part, s.qty_missing) for s in shortfalls)


def balance_rows(balances: Iterable[Balance]) -> Iterable[tuple[Cell, ...]]:
    return ((b.import_pedimento, b.import_line, b.part, b.qty_imported, b.qty_discharged, b.qty_remaining,
             b.deadline, b.days_left, b.status) for b in balances)


def write_discharge_outputs(folder: Path, allocations: Iterable[Allocation], shortfalls: Iterable[Shortfall],
                            balances: Iterable[Balance]) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "allocations": write_csv(folder / "allocations.csv", ALLOCATION_HEADER, allocation_rows(allocations)),
        "shortfalls": write_csv(folder / "shortfalls.csv", SHORTFALL_HEADER, shortfall_rows(shortfalls)),
        "balances": write_csv(folder / "balances.csv", BALANCE_HEADER, balance_rows(balances)),
    }


def write_run_json(folder: Path, run: dict[str, Any]) -> None:
    (folder / "run.json").write_text(json.dumps(run, indent=2, default=str) + "\n", encoding="utf-8")
