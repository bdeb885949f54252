"""Allocation ids beyond 4 bytes (migration ``ledger_0005``).

A stored run of 1,000,000 x 1,000,000 lines writes about 22 M append-only
allocation rows, so a plant reaches id 2**31 after about 98 full runs; a 4-byte
id then refuses every run. The store is put where such a plant would be (its
allocation ids shifted past 2**31, the sequence after them) and must go on:
a later run is stored with 8-byte ids and writes what the in-memory run writes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from immex.discharge.service import run_discharge
from immex.ledger.orm import AllocationReversalRow, AllocationRow
from immex.store.db import open_database
from tests.discharge_scale.synth import write_units_folder

AS_OF = dt.date(2026, 12, 7)
BEYOND_FOUR_BYTES = 2**31
FILES = ("allocations.csv", "shortfalls.csv", "balances.csv")


def _shift_ids_past_four_bytes(url: str) -> None:
    engine = open_database(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE allocation SET id = id + :shift"), {"shift": BEYOND_FOUR_BYTES})
            if engine.dialect.name == "postgresql":  # SQLite takes the next rowid after the largest
                connection.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence('allocation', 'id'),"
                        " (SELECT max(id) FROM allocation))"
                    )
                )
    finally:
        engine.dispose()


def test_a_store_past_four_byte_ids_keeps_storing_runs(tmp_path: Path, db_url: str) -> None:
    write_units_folder(tmp_path / "first", 20, 10, seed=3)
    run_discharge(tmp_path / "first", tmp_path / "out1", db_url=db_url, as_of=AS_OF)
    _shift_ids_past_four_bytes(db_url)
    write_units_folder(tmp_path / "later", 20, 14, seed=3)  # the same lines and more
    with (tmp_path / "later" / "imports.csv").open("a", encoding="utf-8") as imports:
        for part in ("R0", "R2", "R4"):  # older lots: FIFO moves the stored runs' exports onto them
            imports.write(f"24 47 3456 4999999,{int(part[1]) + 1},IN,2023-01-02,{part},100000,KG\n")
    stored = run_discharge(tmp_path / "later", tmp_path / "out2", db_url=db_url, as_of=AS_OF).run
    in_memory = run_discharge(tmp_path / "later", tmp_path / "want", as_of=AS_OF).run
    assert not stored["reused_existing_run"]
    for name in FILES:
        assert (tmp_path / "out2" / name).read_bytes() == (tmp_path / "want" / name).read_bytes(), name
    assert stored["counts"]["allocations"] == in_memory["counts"]["allocations"]
    engine = open_database(db_url)
    try:
        with Session(engine) as session:
            assert (session.scalar(select(func.min(AllocationRow.id))) or 0) > BEYOND_FOUR_BYTES
            withdrawn = session.scalars(select(AllocationReversalRow.allocation_id)).all()
            assert withdrawn and all(allocation > BEYOND_FOUR_BYTES for allocation in withdrawn)
        columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("allocation")}
        if engine.dialect.name == "postgresql":
            assert str(columns["id"]) == "BIGINT"
    finally:
        engine.dispose()
