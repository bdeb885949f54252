"""The stored path (--db) streams its rows with COPY on PostgreSQL; its files are the in-memory ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from immex.discharge.service import run_discharge
from immex.ledger.orm import AllocationRow, ExportLineRow, ImportLineRow
from immex.store import copy as store_copy
from tests.discharge_scale.synth import write_units_folder

OUTPUTS = ("allocations.csv", "shortfalls.csv", "balances.csv")


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def _count(url: str, model: Any) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


@pytest.mark.parametrize("method", ["fifo", "lifo"])
def test_stored_runs_write_the_in_memory_bytes_and_store_every_row(
    tmp_path: Path, db_url: str, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied: list[str] = []

    def spying(real: Any) -> Any:
        def spy(connection: Any, table: Any, *args: Any) -> None:
            copied.append(table.name)
            real(connection, table, *args)

        return spy

    # rows as dicts (parts, BOMs) and whole frames (the lines and the run's rows)
    monkeypatch.setattr(store_copy, "_copy", spying(store_copy._copy))
    monkeypatch.setattr(store_copy, "_copy_frame", spying(store_copy._copy_frame))
    folder = tmp_path / "in"
    write_units_folder(folder, 90, 60, seed=7)
    memory = run_discharge(folder, tmp_path / "memory", method)
    stored = run_discharge(folder, tmp_path / "stored", method, db_url=db_url)
    assert _bytes(tmp_path / "stored") == _bytes(tmp_path / "memory")
    counts = stored.run["counts"]
    assert counts["allocations"] == memory.run["counts"]["allocations"] > 50
    assert stored.run["totals"] == memory.run["totals"]
    assert _count(db_url, ImportLineRow) == 90 and _count(db_url, ExportLineRow) == 60
    assert _count(db_url, AllocationRow) == counts["allocations"] + counts["shortfalls"]
    if db_url.startswith("postgresql"):
        assert {"import_line", "export_line", "pedimento", "allocation"} <= set(copied)
    else:
        assert copied == []  # SQLite has no COPY: executemany

    again = run_discharge(folder, tmp_path / "again", method, db_url=db_url)
    assert again.run["reused_existing_run"] and again.run["run_id"] == stored.run["run_id"]
    assert _bytes(tmp_path / "again") == _bytes(tmp_path / "memory")
    assert _count(db_url, AllocationRow) == counts["allocations"] + counts["shortfalls"]
    run = json.loads((tmp_path / "stored" / "run.json").read_text(encoding="utf-8"))
    assert run["engine"] == "stored" and "on columns" in run["why"]
