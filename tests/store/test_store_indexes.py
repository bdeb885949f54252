"""Migration ``ledger_0004``: the allocations of an import line are found through the covering index.

``ix_allocation_import_line_id`` is gone; every statement that reaches allocations
by their import line (a lot's trace, the allocations of a lot, the commit's
overdrawn check) must use ``ix_allocation_import_line_sums`` instead. The plans
are taken with the table scans disabled on PostgreSQL (a test ledger is too small
for the planner to prefer an index on its own), as ``tests/api/test_api_query_plans.py``
does. The migration goes down (the index is back) and up again, on both stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session

from immex.discharge import service as discharge_service
from immex.ledger.read import read_ledger
from immex.ledger.service import company_id, store_ledger
from immex.reports import stored
from immex.store.db import _alembic_config, open_database
from tests.api.ledgers import I2, small_ledger

COVERING = "ix_allocation_import_line_sums"
DROPPED = "ix_allocation_import_line_id"
DAY = dt.date(2025, 12, 31)


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    opened = open_database(db_url)
    yield opened
    opened.dispose()


def _discharged(engine: Engine, folder: Path) -> int:
    read = read_ledger(small_ledger(folder / "ledger"))
    assert read.ledger is not None, read.problems
    with Session(engine) as session, session.begin():
        company = company_id(session, "plans")
        _counts, problems = store_ledger(session, read.ledger, company)
        assert not problems
        discharge_service.discharge_stored(session, company, "fifo", DAY, folder / "run")
    return company


def _plans(engine: Engine, use: Callable[[Session], Any]) -> list[str]:
    """The plans of the statements ``use`` sends that read the allocation table."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "FROM allocation" in statement or "JOIN allocation" in statement:
            sent.append((statement, parameters))

    with Session(engine) as session, session.begin():
        event.listen(engine, "before_cursor_execute", capture)
        try:
            use(session)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        connection = session.connection()
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        return [
            "\n".join(str(row[-1]) for row in connection.exec_driver_sql(explain + sql, params))
            for sql, params in sent
        ]


def _indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes("allocation")}


def test_the_allocations_of_a_lot_are_read_through_the_covering_index(engine: Engine, tmp_path: Path) -> None:
    company = _discharged(engine, tmp_path)
    assert DROPPED not in _indexes(engine) and COVERING in _indexes(engine)
    if engine.dialect.name == "postgresql":
        # On a ledger of three lines PostgreSQL starts these statements from the export
        # lines or the primary key whatever scans are allowed; on the 100,000-line
        # benchmark ledger the traces, the allocations of a lot and the balances read the
        # covering index (benchmarks/results/store.md; the balances: test_api_query_plans).
        return
    uses: list[Callable[[Session], Any]] = [
        lambda s: stored.trace_import_page(s, company, I2, 1),
        lambda s: stored.allocations_page(s, company, import_pedimento=I2),
    ]
    for use in uses:
        plans = _plans(engine, use)
        assert plans
        assert any(COVERING in plan for plan in plans), plans
        assert not any(DROPPED in plan for plan in plans), plans


def _alembic(engine: Engine, step: Callable[..., None], target: str) -> None:
    alembic = create_engine(engine.url)
    try:
        config = _alembic_config()
        with alembic.begin() as connection:
            config.attributes["connection"] = connection
            step(config, target)
    finally:
        alembic.dispose()


def test_the_migration_drops_the_index_and_gives_it_back(engine: Engine, tmp_path: Path) -> None:
    _discharged(engine, tmp_path)  # with rows, as a store being upgraded has
    _alembic(engine, command.downgrade, "ledger_0003")
    assert {DROPPED, COVERING} <= _indexes(engine)
    _alembic(engine, command.upgrade, "heads")
    assert DROPPED not in _indexes(engine) and COVERING in _indexes(engine)
