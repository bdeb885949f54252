"""The balances page sums a line's allocations from an index alone (revision ``api_0003``).

At plant size the sums of a page were most of a request's time: the allocations of one
import line lie on as many table pages as export lines consumed it. The statements that
``stored.balances_page`` sends are captured and explained on each store, with the table
scans the planner could fall back to disabled on PostgreSQL (a test ledger is too small
for the planner to prefer an index on its own): the sums must be an index-only scan of
``ix_allocation_import_line_sums``, which reads no table page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from immex.api.store import Store
from immex.discharge import service as discharge_service
from immex.ledger.read import read_ledger
from immex.ledger.service import company_id, store_ledger
from immex.reports import stored
from immex.store.db import open_database
from tests.api.ledgers import small_ledger

INDEX = "ix_allocation_import_line_sums"
DAY = dt.date(2025, 12, 31)


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    opened = open_database(db_url)
    yield opened
    opened.dispose()


def _discharged(engine: Engine, folder: Path) -> int:
    """The small ledger stored and discharged; the company's id."""
    read = read_ledger(small_ledger(folder / "ledger"))
    assert read.ledger is not None, read.problems
    with Session(engine) as session, session.begin():
        company = company_id(session, "plans")
        _counts, problems = store_ledger(session, read.ledger, company)
        assert not problems
        discharge_service.discharge_stored(session, company, "fifo", DAY, folder / "run")
    if engine.dialect.name == "postgresql":  # the visibility map an index-only scan relies on
        vacuum = create_engine(engine.url, isolation_level="AUTOCOMMIT")
        with vacuum.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE allocation")
        vacuum.dispose()
    return company


def _sums_plans(engine: Engine, company: int, after: stored.Key | None) -> list[str]:
    """The plans of the statements of one balances page that read allocations."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "allocation" in statement:
            sent.append((statement, parameters))

    with Session(engine) as session, session.begin():
        event.listen(engine, "before_cursor_execute", capture)
        try:
            page = stored.balances_page(session, company, DAY, after=after, limit=2)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert page.rows  # the statement was run on lines that have allocations
        connection = session.connection()
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        return [
            "\n".join(str(row[-1]) for row in connection.exec_driver_sql(explain + sql, params))
            for sql, params in sent
        ]


@pytest.mark.parametrize("keyed", [False, True])
def test_a_balances_page_sums_allocations_from_the_covering_index(
    engine: Engine, tmp_path: Path, keyed: bool
) -> None:
    company = _discharged(engine, tmp_path)
    after = ("254734565000001", 1, "A") if keyed else None
    plans = _sums_plans(engine, company, after)
    assert plans
    for plan in plans:
        if engine.dialect.name == "postgresql":
            assert f"Index Only Scan using {INDEX} on allocation" in plan, plan
        else:
            assert f"USING COVERING INDEX {INDEX}" in plan, plan


@pytest.mark.postgres
def test_the_servers_postgresql_sessions_do_not_jit_and_keep_the_urls_options(pg_url: str) -> None:
    """jit=off on every connection of the server (a filtered balances batch spent seconds in
    JIT compilation); options the administrator put in the URL still apply."""
    for url in (pg_url, f"{pg_url}?options=-c%20statement_timeout%3D12345"):
        store = Store(url)
        try:
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
                timeout = conn.exec_driver_sql("SHOW statement_timeout").scalar()
                assert timeout == ("12345ms" if "options" in url else "0")
        finally:
            store.close()


@pytest.mark.parametrize("status", ["open", "expiring", "overdue", "discharged"])
def test_a_status_page_sums_only_the_lines_whose_dates_pass(
    engine: Engine, tmp_path: Path, status: str
) -> None:
    """The statement of a status filter tests the line's dates before its sums (a CASE: in a
    plain AND PostgreSQL put the sums first), and leaves the order to Python (with ORDER BY
    and LIMIT it chose a nested loop that stopped at the limit, which few lines reach)."""
    company = _discharged(engine, tmp_path)
    sent: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "allocation" in statement:
            sent.append(statement)

    with Session(engine) as session:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            stored.balances_page(session, company, DAY, stored.BalanceFilter(status), limit=1)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
    assert sent
    for statement in sent:
        where = statement.upper().rpartition("WHERE IMPORT_LINE.COMPANY_ID")[2]
        assert "ORDER BY" not in where and "LIMIT" not in where
        if status != "discharged":  # its test is on the sums alone
            assert "CASE WHEN CASE COALESCE((SELECT PART.KIND" in where  # dates (by kind), then sums
