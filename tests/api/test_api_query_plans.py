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
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session

from immex.api.store import Store, _connect_args
from immex.discharge import service as discharge_service
from immex.discharge.deadlines import EXPIRING_WITHIN_DAYS, deadline
from immex.ledger.orm import AllocationReversalRow, AllocationRow, ImportLineRow
from immex.ledger.read import read_ledger
from immex.ledger.service import company_id, store_ledger
from immex.reports import stored
from immex.rules import temporary_import_terms
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
    if engine.dialect.name == "postgresql" and status in ("open", "expiring"):
        _assert_dated(sent)
        return
    for statement in sent:
        where = statement.upper().rpartition("WHERE IMPORT_LINE.COMPANY_ID")[2]
        assert "ORDER BY" not in where and "LIMIT" not in where
        if status != "discharged":  # its test is on the sums alone
            assert "CASE WHEN CASE COALESCE((SELECT PART.KIND" in where  # dates (by kind), then sums


def _assert_dated(sent: list[str]) -> None:
    """open and expiring on PostgreSQL: one statement, whose lines come from a subquery of the
    lines the status's clearance dates allow, in key order and fenced (OFFSET 0: PostgreSQL
    does not move the tests on the sums into it), then summed and tested up to the limit."""
    assert len(sent) == 1
    statement = " ".join(sent[0].upper().split())
    candidates = statement.partition("(SELECT CANDIDATE.ID")[2].partition(") AS CANDIDATES")[0]
    assert "CANDIDATE.CLEARED_ON BETWEEN" in candidates and candidates.endswith("OFFSET 0")
    assert "ALLOCATION" not in candidates  # no sums in the subquery
    assert "ORDER BY CANDIDATE_PEDIMENTO.NUMBER, CANDIDATE.LINE, CANDIDATE.PART " in candidates
    outside = statement.rpartition(") AS CANDIDATES")[2]
    assert outside.endswith("ORDER BY CANDIDATES.NUMBER, CANDIDATES.LINE, CANDIDATES.PART LIMIT %(COUNT)S")
    assert "CASE WHEN CASE COALESCE((SELECT PART.KIND" in statement  # dates (by kind), then sums


MONTH_KINDS = sorted(
    name
    for name, series in temporary_import_terms().items()
    if any(period.value is not None for period in series.periods)
)


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from(["open", "expiring"]),
    as_of=st.dates(dt.date(2004, 1, 1), dt.date(2060, 12, 31)),
    cleared=st.dates(dt.date(2003, 1, 1), dt.date(2060, 12, 31)),
    kind=st.sampled_from(MONTH_KINDS),
)
def test_the_clearance_ranges_of_a_status_hold_every_line_whose_deadline_fits_it(
    status: str, as_of: dt.date, cleared: dt.date, kind: str
) -> None:
    """The dated statement reads only the lines cleared in the status's ranges: a line whose
    deadline (deadline(), per kind) falls in the status's window must lie in one of them."""
    due = deadline(kind, cleared, None)
    assert due is not None
    days = (due - as_of).days
    fits = 0 <= days <= EXPIRING_WITHIN_DAYS if status == "expiring" else days > EXPIRING_WITHIN_DAYS
    ranges = stored._clearance_ranges(status, as_of)
    if fits:
        assert any(lo <= cleared <= hi for lo, hi in ranges), (cleared, due, ranges)


def test_the_clearance_ranges_leave_out_the_lines_long_due() -> None:
    as_of = dt.date(2026, 11, 23)
    for status in ("open", "expiring"):
        ranges = stored._clearance_ranges(status, as_of)
        assert ranges and all(lo > dt.date(2024, 11, 1) for lo, _hi in ranges), ranges
    assert stored._clearance_ranges("expiring", as_of)[-1][1] < as_of


@pytest.mark.postgres
def test_the_servers_postgresql_connections_prepare_statements_at_once(pg_url: str) -> None:
    """psycopg prepares a statement the first time a connection runs it (its default waits for
    the fifth: a pool of 20 connections planned each page statement 100 times first)."""
    store = Store(pg_url)
    try:
        with store.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            assert raw.prepare_threshold == 0
            conn.exec_driver_sql("SELECT 1 WHERE 1 = %(one)s", {"one": 1})
            prepared = conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar()
            assert prepared and prepared >= 1
    finally:
        store.close()


def test_a_driver_without_a_prepare_threshold_is_not_given_one() -> None:
    psycopg3 = _connect_args("postgresql+psycopg://u@localhost/db")
    assert psycopg3["prepare_threshold"] == 0 and "jit=off" in psycopg3["options"]
    other = _connect_args("postgresql+psycopg2://u@localhost/db")
    assert "prepare_threshold" not in other and "jit=off" in other["options"]


def _statements_on_import_lines(engine: Engine, run: Any) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "import_line" in statement:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return sent


@pytest.mark.parametrize("keyed", [False, True])
def test_an_unfiltered_balances_page_is_one_statement_in_key_order_on_postgresql(
    engine: Engine, tmp_path: Path, keyed: bool
) -> None:
    """On PostgreSQL a page without a part or status filter is one statement that walks the
    pedimento index in number order and stops at the limit (no batch of pedimento ids first);
    SQLite, whose planner has no incremental sort, keeps the batches."""
    company = _discharged(engine, tmp_path)
    after = ("254734565000001", 1, "A") if keyed else None
    with Session(engine) as session:
        first = stored.balances_page(session, company, DAY, limit=1000)

        def page() -> None:
            stored.balances_page(session, company, DAY, after=after, limit=2)

        sent = _statements_on_import_lines(engine, page)
        if engine.dialect.name != "postgresql":
            assert len(sent) == 2 and "pedimento.id IN" in sent[1][0]
            return
        assert len(sent) == 1
        statement, params = sent[0]
        assert "ORDER BY pedimento.number, import_line.line, import_line.part" in statement
        assert "ids" not in params and statement.rstrip().endswith("LIMIT %(count)s")
        # the company's pedimento index, bounded below by the key's pedimento when there is one
        assert "pedimento.company_id = %(company)s" in statement
        assert ("pedimento.number >= %(k0)s" in statement) is keyed
    keys = [row[:3] for row in first.rows]
    assert keys == sorted(keys) and len(keys) > 2


def test_a_withdrawn_allocation_leaves_the_sums_once_the_store_holds_a_withdrawal(
    engine: Engine, tmp_path: Path
) -> None:
    """The balances sums skip the withdrawal test while the store holds no withdrawal at all
    (``few_withdrawals``); once one exists, the allocation it withdraws no longer counts."""
    company = _discharged(engine, tmp_path)
    discharged = stored.BALANCE_HEADER.index("qty_discharged")
    with Session(engine) as session, session.begin():
        before = stored.balances_page(session, company, DAY, limit=1000).rows
        allocation = session.scalars(
            select(AllocationRow)
            .join(ImportLineRow, ImportLineRow.id == AllocationRow.import_line_id)
            .where(ImportLineRow.company_id == company)
            .order_by(AllocationRow.id)
        ).first()
        assert allocation is not None and allocation.import_line_id is not None
        lot = session.get(ImportLineRow, allocation.import_line_id)
        assert lot is not None
        line, withdrawn = lot.line, allocation.qty
        session.add(AllocationReversalRow(allocation_id=allocation.id, run_id=allocation.run_id))
        session.flush()
        after = stored.balances_page(session, company, DAY, limit=1000).rows
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert len(changed) == 1
    old, new = changed[0]
    assert new[1] == line
    assert Decimal(str(old[discharged])) - Decimal(str(new[discharged])) == withdrawn
