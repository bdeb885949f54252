"""A store's first run COPYs its allocation rows before the table's secondary indexes are built.

``copy.indexes_built_after`` drops an empty allocation table's secondary indexes
inside the run's transaction and builds them again before the commit checks
(PostgreSQL only: SQLite keeps its indexes). After the run, refused or not, the
table has the indexes it had; a later run, or one that meets another transaction
on the table, keeps them in place. The files are the same either way.
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


def _indexes(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'allocation' ORDER BY 1"
            else:
                query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'allocation'"
            return sorted((str(name), str(sql)) for name, sql in connection.execute(text(query)))
    finally:
        engine.dispose()


@contextmanager
def _watched(seen: list[bool]) -> Iterator[None]:
    real = copy.indexes_built_after

    @contextmanager
    def spy(session: Session, model: Any) -> Iterator[bool]:
        with real(session, model) as deferred:
            seen.append(deferred)
            yield deferred

    with mock.patch.object(service, "indexes_built_after", spy):
        yield


def test_only_a_first_run_on_postgresql_builds_the_indexes_after(tmp_path: Path, db_url: str) -> None:
    folder = _folder(tmp_path)
    seen: list[bool] = []
    with _watched(seen):
        first = _stored_run(folder, tmp_path / "first", db_url)
        indexes = _indexes(db_url)
        _stored_run(_longer(tmp_path), tmp_path / "longer", db_url)
    memory = run_discharge(folder, tmp_path / "memory", as_of=AS_OF).run
    postgresql = db_url.startswith("postgresql")
    assert seen == [postgresql, False]  # the second run finds rows in the table
    assert _indexes(db_url) == indexes and len(indexes) >= 3
    for name in ("allocations.csv", "shortfalls.csv", "balances.csv"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes()
    assert first["counts"]["allocations"] == memory["counts"]["allocations"]


def test_a_refused_first_run_leaves_the_indexes_and_nothing_else(tmp_path: Path, db_url: str) -> None:
    open_database(db_url).dispose()  # the schema
    before = _indexes(db_url)
    seen: list[bool] = []
    with (
        _watched(seen),
        mock.patch.object(service, "wanted_rows", _corrupt_first_row("export_line_id")),
        pytest.raises(InvariantViolation, match="not the company's"),
    ):
        _stored_run(_folder(tmp_path), tmp_path / "refused", db_url)
    assert seen == [db_url.startswith("postgresql")]
    assert _indexes(db_url) == before
    assert set(_counts(db_url).values()) == {0}


@pytest.mark.postgres
def test_a_table_another_transaction_reads_keeps_its_indexes(tmp_path: Path, pg_url: str) -> None:
    open_database(pg_url).dispose()  # the schema
    before = _indexes(pg_url)
    reader = create_engine(pg_url)
    seen: list[bool] = []
    try:
        with reader.connect() as connection, connection.begin():
            connection.execute(text("SELECT count(*) FROM allocation"))  # holds ACCESS SHARE to its end
            with _watched(seen):
                _stored_run(_folder(tmp_path), tmp_path / "out", pg_url)  # does not wait for the reader
    finally:
        reader.dispose()
    assert seen == [False]
    assert _indexes(pg_url) == before
    assert _counts(pg_url)["allocation"] > 0
