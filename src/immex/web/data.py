"""What the pages show, read through the same use cases and reports as the API's endpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from immex.api import work
from immex.api.companies import CompanyRef
from immex.api.store import Store
from immex.core.problems import InputError
from immex.discharge.methods import Balance
from immex.discharge.methods import balances as balances_of
from immex.discharge.outputs import ALLOCATION_HEADER, allocation_rows
from immex.ledger.orm import DischargeRunRow
from immex.reports import service as reports
from immex.web.charts import Bar, bars

PAGE_SIZE = 50
STATUSES = ("overdue", "expiring", "open", "discharged")
HORIZONS = (30, 60, 90)


@dataclass(frozen=True, slots=True)
class Table:
    header: Sequence[str]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Page:
    header: Sequence[str]
    rows: Sequence[tuple[Any, ...]]
    number: int
    pages: int
    total: int


def page_of(table: Table, number: int) -> Page:
    pages = max(1, -(-len(table.rows) // PAGE_SIZE))
    number = min(max(1, number), pages)
    start = (number - 1) * PAGE_SIZE
    return Page(table.header, table.rows[start : start + PAGE_SIZE], number, pages, len(table.rows))


def _state(store: Store, company: CompanyRef) -> Any:
    with store.reading() as session:
        return work.stored_state(session, company)


def balances(store: Store, company: CompanyRef, filters: dict[str, str], as_of: dt.date) -> Table:
    ledger, result = _state(store, company)
    report = reports.balances_report(ledger, result, as_of)
    col = {name: i for i, name in enumerate(report.header)}
    keep = _matcher(col, filters, {"status": "status", "part": "part", "pedimento": "import_pedimento"})
    return Table(report.header, [r for r in report.rows if keep(r)])


def allocations(store: Store, company: CompanyRef, filters: dict[str, str]) -> Table:
    _ledger, result = _state(store, company)
    col = {name: i for i, name in enumerate(ALLOCATION_HEADER)}
    keep = _matcher(
        col,
        filters,
        {"export_pedimento": "export_pedimento", "import_pedimento": "import_pedimento", "part": "part"},
    )
    return Table(ALLOCATION_HEADER, [r for r in allocation_rows(result.allocations) if keep(r)])


def shortfalls(store: Store, company: CompanyRef, filters: dict[str, str]) -> Table:
    _ledger, result = _state(store, company)
    report = reports.shortfalls_report(result)
    col = {name: i for i, name in enumerate(report.header)}
    keep = _matcher(col, filters, {"export_pedimento": "export_pedimento", "part": "part"})
    return Table(report.header, [r for r in report.rows if keep(r)])


def _matcher(
    col: dict[str, int], filters: dict[str, str], columns: dict[str, str]
) -> Callable[[tuple[Any, ...]], bool]:
    wanted = [(col[columns[k]], v) for k, v in filters.items() if v and k in columns]
    return lambda row: all(str(row[i]) == v for i, v in wanted)


def trace_export(store: Store, company: CompanyRef, pedimento: str, line: int) -> Table | None:
    """None when the company has no such export line; no rows when it is not discharged yet."""
    ledger, result = _state(store, company)
    if not any(e.pedimento == pedimento and e.line == line for e in ledger.exports):
        return None
    try:
        report = reports.trace_export_report(ledger, result, pedimento, line)
    except InputError:  # stored but not discharged yet
        return Table(reports.TRACE_EXPORT_HEADER, [])
    return Table(report.header, list(report.rows))


def trace_import(store: Store, company: CompanyRef, pedimento: str, line: int) -> Table | None:
    ledger, result = _state(store, company)
    if not any(lot.pedimento == pedimento and lot.line == line for lot in ledger.imports):
        return None
    report = reports.trace_import_report(ledger, result, pedimento, line)
    return Table(report.header, list(report.rows))


def runs(store: Store, company: CompanyRef) -> Table:
    """The company's runs, newest first (the runs report, as the API lists it)."""
    with store.reading() as session:
        ids = set(session.scalars(select(DischargeRunRow.id).where(DischargeRunRow.company_id == company.id)))
    report = reports.runs_report(store.url)
    rows = [r for r in report.rows if r[0] in ids]
    rows.reverse()
    return Table(report.header, rows)


@dataclass(frozen=True, slots=True)
class Panel:
    by_status: list[tuple[str, int, Decimal]]
    expiring: list[tuple[int, int, Decimal]]
    overdue: int
    aging: list[Bar]
    aging_value: dict[str, Decimal]
    horizon_bars: list[Bar]
    shortfalls: int
    shortfall_qty: Decimal
    last_run: tuple[Any, ...] | None
    lots: int
    exports: int


def _count_and_qty(rows: list[Balance]) -> tuple[int, Decimal]:
    return len(rows), sum((r.qty_remaining for r in rows), Decimal(0))


def _within(row: Balance, days: int) -> bool:
    """Open, not yet overdue, and its term ends within ``days``."""
    return row.qty_remaining > 0 and row.days_left is not None and 0 <= row.days_left <= days


def panel(store: Store, company: CompanyRef, as_of: dt.date) -> Panel:
    ledger, result = _state(store, company)
    rows = balances_of(ledger, result.allocations, as_of)
    by_status = [(s, *_count_and_qty([r for r in rows if r.status == s])) for s in STATUSES]
    expiring = [(days, *_count_and_qty([r for r in rows if _within(r, days)])) for days in HORIZONS]
    aging = reports.aging_report(ledger, result, as_of)
    labels = [label for _, label in reports.AGE_BUCKETS] + [f">{reports.AGE_BUCKETS[-1][0]}"]
    counts = {label: Decimal(sum(1 for r in aging.rows if r[6] == label)) for label in labels}
    value: dict[str, Decimal] = {label: Decimal(0) for label in labels}
    for r in aging.rows:
        if isinstance(r[8], Decimal):
            value[str(r[6])] += r[8]
    tones = ["ok", "ok", "warn", "warn", "bad"]
    history = runs(store, company).rows
    return Panel(
        by_status,
        expiring,
        by_status[0][1],
        bars([(label, counts[label], tones[i]) for i, label in enumerate(labels)]),
        value,
        bars([(str(d), Decimal(n), "warn") for d, n, _ in expiring]),
        len(result.shortfalls),
        sum((s.qty_missing for s in result.shortfalls), Decimal(0)),
        history[0] if history else None,
        len(ledger.imports),
        len(ledger.exports),
    )
