"""``--db`` with read problems: an A3 is checked against the stored ledger, as exactly as in memory.

The stored lots and exports are read (read only) beside the input rows, so an A3 beyond
what its lot has left after the stored returns is listed in the same errors.csv as the
read problems, without "at most"; nothing is stored.

The plant: 10 of copper imported (I1) and 7 returned on 2025-02-01, stored by a first
run. The second folder brings the lots again, not the return, an A3 of 5 of I1 on
2025-03-01 (3 are left, not the 10 the folder alone shows) and a bad row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger.ledger_files import exp, imp, part, write_ledger
from tests.operations.helpers import (
    E1,
    E2,
    I1,
    I2,
    R1,
    digits,
    errors,
    ok,
    path_args,
    reg,
    store_counts,
    write_regularizations,
)

DB = "plant.db"


def first_run(tmp_path: Path) -> list[str]:
    """Copper and aluminium imported, 7 of copper returned: stored by a run that succeeds."""
    write_ledger(
        tmp_path / "in",
        parts=[part("CU"), part("AL")],
        imports=[imp(I1, 1, "CU", "10", "2024-01-10"), imp(I2, 1, "AL", "10", "2025-01-10")],
        exports=[exp(E1, 1, "CU", "7", "2025-02-01")],
    )
    db = path_args(tmp_path, "stored")
    ok(tmp_path, *db)
    return db


def second_folder(tmp_path: Path, a3_qty: str, bad_export: bool = True) -> None:
    """The lots again (an A3 names a lot of its folder), not the stored return; an A3 of I1 on
    2025-03-01 and (``bad_export``) an export row refused."""
    write_ledger(
        tmp_path / "in",
        parts=[part("CU"), part("AL")],
        imports=[imp(I1, 1, "CU", "10", "2024-01-10"), imp(I2, 1, "AL", "10", "2025-01-10")],
        exports=[exp(E2, 1, "AL", "1", "2025-02-31")] if bad_export else [],
    )
    write_regularizations(tmp_path / "in", [reg(R1, 1, "CU", a3_qty, "2025-03-01", I1, 1)])


def test_the_stored_return_counts_for_the_a3_beside_a_bad_row(tmp_path: Path) -> None:
    db = first_run(tmp_path)
    before = store_counts(tmp_path / DB)
    second_folder(tmp_path, "5")
    assert errors(tmp_path, *db) == [
        ("exports.csv", "2", "cleared_on", "'2025-02-31' is not a real calendar date"),
        (
            "regularizations.csv",
            "2",
            "qty",
            f"asks 5 of import pedimento {digits(I1)} line 1 ('CU'), which has 3 left on 2025-03-01",
        ),
    ]
    assert store_counts(tmp_path / DB) == before


@pytest.mark.parametrize("qty", ["3", "2"])
def test_an_a3_within_what_the_stored_ledger_left_is_not_reported(tmp_path: Path, qty: str) -> None:
    db = first_run(tmp_path)
    second_folder(tmp_path, qty)
    assert [e[:3] for e in errors(tmp_path, *db)] == [("exports.csv", "2", "cleared_on")]


def test_the_same_errors_as_the_run_once_the_bad_row_is_fixed(tmp_path: Path) -> None:
    """What the check says beside the bad row is what the stored run says once the row is fixed."""
    db = first_run(tmp_path)
    second_folder(tmp_path, "4")
    beside = [e for e in errors(tmp_path, *db) if e[0] == "regularizations.csv"]
    second_folder(tmp_path, "4", bad_export=False)
    alone = errors(tmp_path, *db)
    assert beside == alone and len(alone) == 1 and "which has 3 left" in alone[0][3]


def test_an_unreadable_store_leaves_the_lot_alone_bound(tmp_path: Path) -> None:
    """A --db that is not a store: each A3 is checked against its lot alone, saying "at most"."""
    second_folder(tmp_path, "12")
    (tmp_path / DB).write_text("not a database")
    found = errors(tmp_path, "--db", f"sqlite:///{tmp_path / DB}")
    assert [e[:3] for e in found] == [("exports.csv", "2", "cleared_on"), ("regularizations.csv", "2", "qty")]
    assert "which has 10 left on 2025-03-01 (at most:" in found[1][3]
    assert (tmp_path / DB).read_text() == "not a database"


def _active_runs(url: str) -> int:
    from sqlalchemy import create_engine, func, select

    from immex.ledger.orm import DischargeRunRow

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(DischargeRunRow)) or 0)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_the_stored_return_counts_too(tmp_path: Path, pg_url: str) -> None:
    """The same plant on PostgreSQL: the A3 beside the bad row finds the 3 the stored return left."""
    write_ledger(
        tmp_path / "in",
        parts=[part("CU"), part("AL")],
        imports=[imp(I1, 1, "CU", "10", "2024-01-10"), imp(I2, 1, "AL", "10", "2025-01-10")],
        exports=[exp(E1, 1, "CU", "7", "2025-02-01")],
    )
    ok(tmp_path, "--db", pg_url)
    second_folder(tmp_path, "5")
    found = errors(tmp_path, "--db", pg_url)
    assert [e[:3] for e in found] == [("exports.csv", "2", "cleared_on"), ("regularizations.csv", "2", "qty")]
    assert "which has 3 left on 2025-03-01" in found[1][3] and "at most" not in found[1][3]
    assert _active_runs(pg_url) == 1
