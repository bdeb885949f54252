"""Sub-maquila and waste with ``--db``: stored with the run, idempotent, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, func, select

from immex.ledger.movements_orm import SubmaquilaMoveRow, WasteDisposalRow
from immex.ledger.orm import AllocationRow, DischargeRunRow, ImportLineRow
from immex.store.base import Base
from immex.store.db import open_database
from tests.ledger.ledger_files import exp
from tests.movements.files import EXPORT_2, discharge, disposal, harness_ledger, move, read_rows, write_rows

COUNTED = (SubmaquilaMoveRow, WasteDisposalRow, ImportLineRow, AllocationRow, DischargeRunRow)


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                m.__tablename__: connection.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED
            }
    finally:
        engine.dispose()


def movements_folder(tmp_path: Path) -> Path:
    folder = harness_ledger(tmp_path / "in")
    write_rows(
        folder,
        "submaquila.csv",
        [move("SM-1", "out", "2025-02-01", "CABLE", "50"), move("SM-1", "in", "2025-02-20", "CABLE", "30")],
    )
    write_rows(folder, "waste.csv", [disposal("2025-03-15", "CABLE", "6", document="ACTA-1")])
    return folder


def test_the_migration_creates_the_tables_the_models_describe(db_url: str) -> None:
    engine = open_database(db_url)
    ours = MetaData(naming_convention=Base.metadata.naming_convention)
    for name in ("company", "submaquila_move", "waste_disposal"):
        Base.metadata.tables[name].to_metadata(ours)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), ours)
    engine.dispose()
    mine = [d for d in diffs if "submaquila_move" in repr(d) or "waste_disposal" in repr(d)]
    assert [d for d in mine if d[0] != "remove_table"] == []


def test_a_stored_run_keeps_the_movements_and_the_same_input_again_adds_nothing(
    tmp_path: Path, db_url: str
) -> None:
    folder = movements_folder(tmp_path)
    code, problems, _ = discharge(folder, tmp_path / "out", "--db", db_url)
    assert code == 0, problems
    first = counts(db_url)
    assert first["submaquila_move"] == 2 and first["waste_disposal"] == 1
    files = {n: (tmp_path / "out" / n).read_bytes() for n in ("submaquila.csv", "waste.csv")}
    code, problems, _ = discharge(folder, tmp_path / "again", "--db", db_url)
    assert code == 0, problems
    assert counts(db_url) == first
    assert {n: (tmp_path / "again" / n).read_bytes() for n in files} == files
    assert read_rows(tmp_path / "out" / "waste.csv") == [
        {"part": "CABLE", "generated": "10", "disposed": "6", "pending": "4"}
    ]


def test_the_stored_path_writes_what_the_memory_path_writes(tmp_path: Path, db_url: str) -> None:
    folder = movements_folder(tmp_path)
    discharge(folder, tmp_path / "memory")
    discharge(folder, tmp_path / "stored", "--db", db_url)
    for name in ("submaquila.csv", "waste.csv", "allocations.csv"):
        assert (tmp_path / "memory" / name).read_bytes() == (tmp_path / "stored" / name).read_bytes()


def test_a_later_input_adds_its_movements_to_the_stored_ones(tmp_path: Path, db_url: str) -> None:
    folder = movements_folder(tmp_path)
    discharge(folder, tmp_path / "out", "--db", db_url)
    later = harness_ledger(tmp_path / "later", exports=[exp(EXPORT_2, 1, "HARNESS", "50", "2025-05-01")])
    write_rows(later, "waste.csv", [disposal("2025-05-02", "CABLE", "9", how="donated")])
    code, problems, _ = discharge(later, tmp_path / "out2", "--db", db_url)
    assert code == 0, problems
    # the store now has both exports (10 + 5 m of waste) and both disposals (6 + 9 m)
    assert read_rows(tmp_path / "out2" / "waste.csv") == [
        {"part": "CABLE", "generated": "15", "disposed": "15", "pending": "0"}
    ]
    assert read_rows(tmp_path / "out2" / "submaquila.csv")[0]["qty_outstanding"] == "20"


def test_a_stored_movement_given_again_with_another_quantity_is_refused(tmp_path: Path, db_url: str) -> None:
    folder = movements_folder(tmp_path)
    discharge(folder, tmp_path / "out", "--db", db_url)
    before = counts(db_url)
    write_rows(folder, "waste.csv", [disposal("2025-03-15", "CABLE", "7", document="ACTA-1")])
    code, problems, _ = discharge(folder, tmp_path / "out2", "--db", db_url)
    assert code == 2
    assert [p[:3] for p in problems[1:]] == [["waste.csv", "2", "qty"]]
    assert counts(db_url) == before


BAD_WASTE = {
    "over-disposal": ([disposal("2025-03-15", "CABLE", "10.5")], ["waste.csv", "2", "qty"]),
    "bad disposition": (
        [disposal("2025-03-15", "CABLE", "1", how="burned")],
        ["waste.csv", "2", "disposition"],
    ),
    "unknown part": ([disposal("2025-03-15", "WIRE", "1")], ["waste.csv", "2", "part"]),
    "unit not convertible": ([disposal("2025-03-15", "CABLE", "1", "kg")], ["waste.csv", "2", "uom"]),
    "bad date": ([disposal("15/03/2025", "CABLE", "1")], ["waste.csv", "2", "date"]),
    "negative quantity": ([disposal("2025-03-15", "CABLE", "-1")], ["waste.csv", "2", "qty"]),
    "a disposal twice": (
        [
            disposal("2025-03-15", "CABLE", "1", document="A"),
            disposal("2025-03-15", "CABLE", "2", document="A"),
        ],
        ["waste.csv", "3", "part"],
    ),
    "received more than sent": (
        [disposal("2025-03-15", "CABLE", "1")],
        ["submaquila.csv", "3", "qty"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_WASTE))
def test_each_input_error_exits_2_and_leaves_the_store_unchanged(
    tmp_path: Path, db_url: str, case: str
) -> None:
    folder = movements_folder(tmp_path)
    discharge(folder, tmp_path / "first", "--db", db_url)
    before = counts(db_url)
    rows, where = BAD_WASTE[case]
    later = harness_ledger(tmp_path / "later", exports=[exp(EXPORT_2, 1, "HARNESS", "1", "2025-05-01")])
    write_rows(later, "waste.csv", rows)
    if case == "received more than sent":
        shipment = [
            move("SM-9", "out", "2025-02-01", "CABLE", "5"),
            move("SM-9", "in", "2025-02-02", "CABLE", "6"),
        ]
        write_rows(later, "submaquila.csv", shipment)
    out = tmp_path / "out"
    code, problems, _ = discharge(later, out, "--db", db_url)
    assert code == 2
    assert [p[:3] for p in problems[1:]] == [where]
    assert counts(db_url) == before
    assert sorted(p.name for p in out.iterdir()) == ["errors.csv"]
