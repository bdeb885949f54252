"""The reports answered in SQL (``immex.reports.stored``) equal the CLI's, on both stores.

Random small ledgers (hypothesis) are stored, discharged, adjusted, discharged again and
reversed; after each step every page of balances (with every filter), allocations,
shortfalls and both traces, concatenated, equals the rows the CLI's report builders give
for the same store (and ``balances.csv`` of the run, as it was written).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from immex.core.problems import InputError
from immex.discharge import service as discharge_service
from immex.discharge.outputs import allocation_rows
from immex.ledger.model import ImportLine, Ledger, Part
from immex.ledger.orm import Company, DischargeRunRow, RunReversalRow
from immex.ledger.service import add_adjustment, company_id, load_ledger, store_ledger
from immex.reports import service as reports
from immex.reports import stored
from immex.reports.stored import BalanceFilter, Key, Page
from immex.store.db import open_database
from tests.ledger.ledger_files import read_csv
from tests.ledger.strategies import START, ledgers

_companies = itertools.count(1)
STATUSES = ("discharged", "overdue", "expiring", "open", "nonsense")


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    opened = open_database(db_url)
    yield opened
    opened.dispose()


def _all(fetch: Callable[[Key | None, int], Page], limit: int) -> list[tuple[Any, ...]]:
    """Every row, ``limit`` at a time, following each page's key."""
    rows: list[tuple[Any, ...]] = []
    after: Key | None = None
    while True:
        page = fetch(after, limit)
        assert len(page.rows) <= limit
        rows += page.rows
        if page.next_key is None:
            return rows
        assert len(page.rows) == limit  # a page short of the limit is the last
        after = page.next_key


def _cli_balances(rows: list[tuple[Any, ...]], wanted: BalanceFilter) -> list[tuple[Any, ...]]:
    """The rows of the CLI's balances report that pass the API's filters."""
    header = {name: i for i, name in enumerate(stored.BALANCE_HEADER)}

    def keep(row: tuple[Any, ...]) -> bool:
        if wanted.status is not None and row[header["status"]] != wanted.status:
            return False
        if wanted.part is not None and row[header["part"]] != wanted.part:
            return False
        if wanted.pedimento is not None and row[header["import_pedimento"]] != wanted.pedimento:
            return False
        if wanted.expiring_within_days is not None:
            left, remaining = row[header["days_left"]], row[header["qty_remaining"]]
            return left is not None and left <= wanted.expiring_within_days and remaining > 0
        return True

    return [r for r in rows if keep(r)]


def _check_balances(session: Session, company: int, ledger: Ledger, day: dt.date, limit: int) -> None:
    filters = [BalanceFilter(status=s) for s in STATUSES]
    filters += [BalanceFilter(expiring_within_days=n) for n in (0, 30, 400)]
    filters += [BalanceFilter(part=p) for p in ("R1", "R4", "F1", "nothing")]
    filters += [BalanceFilter(pedimento=p) for p in sorted({lot.pedimento for lot in ledger.imports})[:2]]
    filters += [BalanceFilter(status="open", part="R4"), BalanceFilter()]
    state = load_ledger(session, company), discharge_service.stored_result(session, company)
    rows = reports.balances_report(*state, day).rows
    for wanted in filters:
        mine = _all(partial(stored.balances_page, session, company, day, wanted), limit)
        assert mine == _cli_balances(rows, wanted), wanted


def _check_lists(session: Session, company: int, ledger: Ledger, limit: int) -> None:
    stored_ledger = load_ledger(session, company)
    result = discharge_service.stored_result(session, company)
    allocations = _all(
        lambda after, n: stored.allocations_page(session, company, after=after, limit=n), limit
    )
    assert allocations == list(allocation_rows(result.allocations))
    shortfalls = _all(lambda after, n: stored.shortfalls_page(session, company, after, n), limit)
    assert shortfalls == reports.shortfalls_report(result).rows
    for export in ledger.exports:
        mine = _all(partial(stored.trace_export_page, session, company, export.pedimento, export.line), limit)
        try:
            theirs = reports.trace_export_report(stored_ledger, result, export.pedimento, export.line).rows
        except InputError:
            theirs = []
        assert mine == theirs
    for lot in ledger.imports:
        mine = _all(partial(stored.trace_import_page, session, company, lot.pedimento, lot.line), limit)
        assert mine == reports.trace_import_report(stored_ledger, result, lot.pedimento, lot.line).rows


def _check_everything(session: Session, company: int, ledger: Ledger, limit: int) -> None:
    for day in (START + dt.timedelta(days=500), START + dt.timedelta(days=800)):
        _check_balances(session, company, ledger, day, limit)
    _check_lists(session, company, ledger, limit)


def _adjust(session: Session, company: int, ledger: Ledger, amounts: list[Decimal]) -> None:
    for lot, qty in zip(ledger.imports, amounts, strict=False):
        with contextlib.suppress(InputError):  # more than the line holds: refused, as it should be
            add_adjustment(session, company, lot.pedimento, lot.line, lot.part, qty, "count", "test")


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    ledger=ledgers(),
    amounts=st.lists(st.decimals(min_value=Decimal("-1"), max_value=Decimal(30), places=2), max_size=4),
    limit=st.integers(1, 4),
)
def test_pages_equal_the_cli_reports_after_runs_adjustments_and_reversals(
    engine: Engine, tmp_path: Path, ledger: Ledger, amounts: list[Decimal], limit: int
) -> None:
    day = START + dt.timedelta(days=700)
    with Session(engine) as session, session.begin():
        company = company_id(session, f"hypo{next(_companies)}")
        _counts, problems = store_ledger(session, ledger, company)
        assert not problems
        out = tmp_path / f"run{company}"
        discharge_service.discharge_stored(session, company, "fifo", day, out)
        written = read_csv(out / "balances.csv")
        mine = _all(lambda after, n: stored.balances_page(session, company, day, after=after, limit=n), limit)
        assert [_as_decimals(r) for r in mine] == [_as_decimals(tuple(r.values())) for r in written]
        _check_everything(session, company, ledger, limit)
        _adjust(session, company, ledger, [a for a in amounts if a != 0])
        _check_everything(session, company, ledger, limit)
        discharge_service.discharge_stored(session, company, "fifo", day, tmp_path / f"again{company}")
        _check_everything(session, company, ledger, limit)
        latest = session.scalar(
            select(DischargeRunRow.id)
            .where(DischargeRunRow.company_id == company)
            .order_by(DischargeRunRow.id.desc())
        )
        session.add(RunReversalRow(run_id=latest, reversed_by="test", reason="check"))
        session.flush()
        _check_everything(session, company, ledger, limit)


def _as_decimals(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row as comparable values: numbers as Decimal, the rest as text."""
    out: list[Any] = []
    for value in row:
        text = "" if value is None else str(value).lower()
        try:
            out.append(Decimal(text))
        except ArithmeticError:
            out.append(text)
    return tuple(out)


# ---- fixed assets: their deadline is the end of the company's program ----------------------------

ASSET_DAYS = st.integers(min_value=0, max_value=900)


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    cleared=st.lists(ASSET_DAYS, min_size=1, max_size=6),
    program_end=st.none() | ASSET_DAYS,
    as_of=st.integers(min_value=300, max_value=1200),
)
def test_an_asset_is_due_at_the_programs_end_as_in_balances_csv(
    engine: Engine, cleared: list[int], program_end: int | None, as_of: int
) -> None:
    """A fixed asset's deadline, days left and status follow the program's end (the profile's
    ``program_valid_to``), in every page and filter, as the CLI's balances report gives them."""
    parts = {"M1": Part("M1", "pcs", "asset"), "R1": Part("R1", "pcs", "raw")}
    imports = tuple(
        ImportLine(
            f"2447345{i:08d}", 1, "M1" if i % 3 else "R1", "IN", START + dt.timedelta(days=d), Decimal(5)
        )
        for i, d in enumerate(cleared)
    )
    ledger = Ledger(parts, imports, ())
    day = START + dt.timedelta(days=as_of)
    end = None if program_end is None else START + dt.timedelta(days=program_end)
    with Session(engine) as session, session.begin():
        company = company_id(session, f"asset{next(_companies)}")
        _counts, problems = store_ledger(session, ledger, company)
        assert not problems
        profile = session.get(Company, company)
        assert profile is not None
        profile.program_valid_to = end
        session.flush()
        state = load_ledger(session, company), discharge_service.stored_result(session, company)
        assert state[0].program_valid_to == end
        rows = reports.balances_report(*state, day).rows
        due = {row[0] for row in rows if row[2] == "M1"}  # import pedimentos of assets
        deadline_of = {row[0]: row[stored.BALANCE_HEADER.index("deadline")] for row in rows}
        assert all(deadline_of[p] == end for p in due)  # the reference itself: the program's end
        filters = [BalanceFilter(status=s) for s in STATUSES]
        filters += [BalanceFilter(expiring_within_days=n) for n in (0, 30, 400)]
        filters += [BalanceFilter(), BalanceFilter(part="M1", status="open")]
        for wanted in filters:
            mine = _all(partial(stored.balances_page, session, company, day, wanted), 2)
            assert mine == _cli_balances(rows, wanted), (wanted, end, day)
