"""A store's first run COPYs its lines and allocation rows before the tables' secondary indexes are built.

``copy.indexes_built_after`` drops an empty table's secondary indexes (the import
lines, the export lines, the allocations) inside the run's transaction and builds
them again once its rows are in (PostgreSQL only: SQLite keeps its indexes). After
the run, refused or not, each table has the indexes it had; a later run, or one
that meets another transaction on a table, keeps that table's in place. The files
are the same either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from immex.discharge import service
from immex.discharge.service import run_discharge
from immex.store import copy
from immex.store.db import open_database
from immex.store.errors import InvariantViolation
from tests.store.test_store_references import AS_OF, _corrupt_first_row, _counts, _folder, _stored_run
from tests.store.test_store_scoped_checks import _longer

TABLES = ("import_line", "export_line", "allocation")  # in the order a run fills them


def _indexes(url: str, table: str = "allocation") -> list[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t ORDER BY 1"
            else:
                query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
            return sorted(
                (str(name), str(sql)) for name, sql in connection.execute(text(query), {"t": table})
            )
    finally:
        engine.dispose()


def _all_indexes(url: str) -> dict[str, list[tuple[str, str]]]:
    return {table: _indexes(url, table) for table in TABLES}


@contextmanager
def _watched(seen: list[tuple[str, bool]]) -> Iterator[None]:
    """Records (table, whether its indexes were built after) of each call."""
    real = copy.indexes_built_after

    @contextmanager
    def spy(session: Session, model: Any) -> Iterator[bool]:
        with real(session, model) as deferred:
            seen.append((model.__tablename__, deferred))
            yield deferred

    with mock.patch.object(service, "indexes_built_after", spy):
        yield


def test_only_a_first_run_on_postgresql_builds_the_indexes_after(tmp_path: Path, db_url: str) -> None:
    folder = _folder(tmp_path)
    open_database(db_url).dispose()  # the schema
    before = _all_indexes(db_url)
    seen: list[tuple[str, bool]] = []
    with _watched(seen):
        first = _stored_run(folder, tmp_path / "first", db_url)
        assert _all_indexes(db_url) == before
        _stored_run(_longer(tmp_path), tmp_path / "longer", db_url)
    memory = run_discharge(folder, tmp_path / "memory", as_of=AS_OF).run
    postgresql = db_url.startswith("postgresql")
    # the second run finds rows in every table
    assert seen == [(t, postgresql) for t in TABLES] + [(t, False) for t in TABLES]
    assert _all_indexes(db_url) == before
    assert all(len(before[table]) >= 3 for table in TABLES)  # besides the primary keys
    for name in ("allocations.csv", "shortfalls.csv", "balances.csv"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes()
    assert first["counts"]["allocations"] == memory["counts"]["allocations"]


def test_a_refused_first_run_leaves_the_indexes_and_nothing_else(tmp_path: Path, db_url: str) -> None:
    open_database(db_url).dispose()  # the schema
    before = _all_indexes(db_url)
    seen: list[tuple[str, bool]] = []
    with (
        _watched(seen),
        mock.patch.object(service, "wanted_rows", _corrupt_first_row("export_line_id")),
        pytest.raises(InvariantViolation, match="not the company's"),
    ):
        _stored_run(_folder(tmp_path), tmp_path / "refused", db_url)
    assert seen == [(t, db_url.startswith("postgresql")) for t in TABLES]
    assert _all_indexes(db_url) == before
    assert set(_counts(db_url).values()) == {0}


@pytest.mark.postgres
@pytest.mark.parametrize("read", TABLES)
def test_a_table_another_transaction_reads_keeps_its_indexes(tmp_path: Path, pg_url: str, read: str) -> None:
    open_database(pg_url).dispose()  # the schema
    before = _all_indexes(pg_url)
    reader = create_engine(pg_url)
    seen: list[tuple[str, bool]] = []
    try:
        with reader.connect() as connection, connection.begin():
            connection.execute(text(f"SELECT count(*) FROM {read}"))  # holds ACCESS SHARE to its end
            with _watched(seen):
                _stored_run(_folder(tmp_path), tmp_path / "out", pg_url)  # does not wait for the reader
    finally:
        reader.dispose()
    assert seen == [(t, t != read) for t in TABLES]  # only the table in use keeps its indexes
    assert _all_indexes(pg_url) == before
    assert _counts(pg_url)["allocation"] > 0
