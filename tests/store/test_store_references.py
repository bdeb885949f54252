"""The allocation tables' references, checked at commit as a set (migration ``ledger_0003``).

The allocation and withdrawal rows carry no foreign-key constraints (PostgreSQL
checks those row by row; tens of millions of COPYed rows took minutes). The
commit's checks (``immex.ledger.invariants.dangling_references``) must refuse a
run whose rows name a line or an allocation that is not the company's, on both
stored paths and both stores, and leave the store as it was. The migration
goes up and down on both stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import polars as pl
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from immex.discharge import service, stored_frames
from immex.discharge.service import run_discharge
from immex.ledger.invariants import check_ledger, check_new_runs, note_new_run
from immex.ledger.orm import (
    AllocationReversalRow,
    AllocationRow,
    Company,
    DischargeRunRow,
    ExportLineRow,
    ImportLineRow,
    PedimentoRow,
)
from immex.store.base import Base
from immex.store.db import _alembic_config, make_engine, open_database
from immex.store.errors import InvariantViolation
from tests.discharge_scale.synth import write_units_folder

AS_OF = dt.date(2026, 12, 7)
TABLES = (
    Company,
    PedimentoRow,
    ImportLineRow,
    ExportLineRow,
    DischargeRunRow,
    AllocationRow,
    AllocationReversalRow,
)
ALLOCATION_TABLES = ("allocation", "allocation_reversal")
NOWHERE = 10**9  # an id no row has


@contextmanager
def _session(url: str) -> Iterator[Session]:
    engine = make_engine(url)  # SQLite with foreign keys enforced, as immex opens it
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _counts(url: str) -> dict[str, int]:
    with _session(url) as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0 for m in TABLES}


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    write_units_folder(folder, 20, 10, seed=3)
    return folder


def _corrupt_first_row(column: str) -> Callable[..., pl.DataFrame]:
    """A ``wanted_rows`` whose first row names an id no row has."""
    real = stored_frames.wanted_rows

    def corrupted(*args: Any) -> pl.DataFrame:
        rows = real(*args)
        first = pl.int_range(pl.len()) == 0
        return rows.with_columns(pl.when(first).then(pl.lit(NOWHERE)).otherwise(pl.col(column)).alias(column))

    return corrupted


def _stored_run(folder: Path, out: Path, url: str) -> dict[str, Any]:
    return run_discharge(folder, out, db_url=url, as_of=AS_OF).run


@pytest.mark.parametrize("column", ["export_line_id", "import_line_id"])
def test_a_columnar_run_naming_a_missing_line_is_refused_and_stores_nothing(
    tmp_path: Path, db_url: str, column: str
) -> None:
    folder = _folder(tmp_path)
    with (
        mock.patch.object(service, "wanted_rows", _corrupt_first_row(column)),
        pytest.raises(InvariantViolation, match="not the company's") as refused,
    ):
        _stored_run(folder, tmp_path / "out", db_url)
    assert "allocation row(s)" in str(refused.value)
    assert set(_counts(db_url).values()) == {0}  # not even the lines: one transaction
    assert not (tmp_path / "out").exists()


def test_a_refused_run_leaves_an_earlier_run_as_it_was(tmp_path: Path, db_url: str) -> None:
    folder = _folder(tmp_path)
    first = _stored_run(folder, tmp_path / "first", db_url)
    before = _counts(db_url)
    assert before["allocation"] > 0
    with (
        mock.patch.object(service, "wanted_rows", _corrupt_first_row("export_line_id")),
        pytest.raises(InvariantViolation, match="not the company's"),
    ):
        _stored_run(folder, tmp_path / "refused", db_url)
    assert _counts(db_url) == before
    again = _stored_run(folder, tmp_path / "again", db_url)
    assert again["reused_existing_run"] and again["run_id"] == first["run_id"]


def test_a_per_row_run_naming_a_missing_import_line_is_refused(tmp_path: Path, db_url: str) -> None:
    folder = _folder(tmp_path)
    real = service._new_rows

    def corrupted(*args: Any) -> dict[int, list[dict[str, Any]]]:
        grouped = real(*args)
        rows = next(rows for rows in grouped.values() if rows[0]["import_line_id"] is not None)
        rows[0]["import_line_id"] = NOWHERE
        return grouped

    with (
        mock.patch.object(service, "_run_stored_columnar", return_value="forced by the test"),
        mock.patch.object(service, "_new_rows", corrupted),
        pytest.raises(InvariantViolation, match="not the company's"),
    ):
        _stored_run(folder, tmp_path / "out", db_url)
    assert set(_counts(db_url).values()) == {0}


def test_rows_naming_another_company_or_a_missing_allocation_are_refused(tmp_path: Path, db_url: str) -> None:
    _stored_run(_folder(tmp_path), tmp_path / "out", db_url)
    with _session(db_url) as session:
        company = session.scalar(select(Company.id))
        other = Company(code="other", name="other")
        session.add(other)
        session.flush()
        line = session.scalars(select(ExportLineRow)).first()
        assert company is not None and line is not None
        run = DischargeRunRow(
            company_id=other.id, method="fifo", as_of=AS_OF, input_fingerprint="x", ledger_fingerprint="x"
        )
        session.add(run)
        session.flush()
        note_new_run(session, run.id)
        # the other company's run names the first company's export line, and withdraws a row that is not there
        session.add(AllocationRow(run_id=run.id, export_line_id=line.id, part="X", qty=Decimal(1), seq=0))
        session.add(AllocationReversalRow(allocation_id=NOWHERE, run_id=run.id))
        session.flush()
        with pytest.raises(InvariantViolation) as refused:
            check_ledger(session, "other")
        message = str(refused.value)
        assert "1 allocation row(s) name an export or import line that is not the company's" in message
        assert "1 withdrawal row(s) name an allocation that is not the company's" in message
        session.rollback()


def _foreign_keys(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {t: {fk["referred_table"] for fk in found.get_foreign_keys(t)} for t in ALLOCATION_TABLES}
    finally:
        engine.dispose()


def _alembic(url: str, step: Callable[..., None], target: str) -> None:
    engine = create_engine(url)
    try:
        config = _alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, target)
    finally:
        engine.dispose()


def test_the_migration_drops_the_foreign_keys_and_gives_them_back(tmp_path: Path, db_url: str) -> None:
    _stored_run(_folder(tmp_path), tmp_path / "out", db_url)  # with rows, as a store being upgraded has
    rows = _counts(db_url)
    assert _foreign_keys(db_url) == {"allocation": set(), "allocation_reversal": set()}
    _alembic(db_url, command.downgrade, "ledger_0002")
    assert _foreign_keys(db_url) == {
        "allocation": {"discharge_run", "export_line", "import_line"},
        "allocation_reversal": {"allocation", "discharge_run"},
    }
    assert _counts(db_url) == rows
    # the database itself refuses a dangling row again
    with _session(db_url) as session, pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        session.execute(
            text("INSERT INTO allocation_reversal (allocation_id, run_id) VALUES (:a, :r)"),
            {"a": NOWHERE, "r": NOWHERE},
        )
    open_database(db_url).dispose()  # a store opened by immex is upgraded to every head again
    assert _foreign_keys(db_url) == {"allocation": set(), "allocation_reversal": set()}
    assert _counts(db_url) == rows


def test_the_models_describe_what_the_migrations_make(db_url: str) -> None:
    engine = open_database(db_url)
    ours = MetaData(naming_convention=Base.metadata.naming_convention)
    for name in ("company", "pedimento", "import_line", "export_line", "discharge_run", *ALLOCATION_TABLES):
        Base.metadata.tables[name].to_metadata(ours)
    try:
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), ours)
    finally:
        engine.dispose()
    mine = [d for d in diffs if any(t in repr(d) for t in ALLOCATION_TABLES) and d[0] != "remove_table"]
    assert [d for d in mine if "foreign" in repr(d) or d[0].endswith("_fk")] == []


def test_a_repeat_run_that_writes_nothing_skips_the_whole_ledger_checks(tmp_path: Path, db_url: str) -> None:
    folder = _folder(tmp_path)
    with mock.patch.object(service, "check_new_runs", wraps=check_new_runs) as checks:
        _stored_run(folder, tmp_path / "first", db_url)
        assert checks.call_count == 1
        again = _stored_run(folder, tmp_path / "again", db_url)
        assert again["reused_existing_run"]
        assert checks.call_count == 1  # nothing written: the checks of the first commit still hold
        longer = tmp_path / "longer"
        write_units_folder(longer, 20, 14, seed=3)  # the same lines and more
        _stored_run(longer, tmp_path / "more", db_url)
    assert checks.call_count == 2
