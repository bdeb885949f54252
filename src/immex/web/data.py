"""What the pages show, read through the same use cases and reports as the API's endpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from immex.api import listing, work
from immex.api.companies import CompanyRef
from immex.api.orm import AuditRow
from immex.api.store import Store
from immex.core.problems import InputError, Problem
from immex.ledger.orm import (
    AdjustmentRow,
    DischargeRunRow,
    ExportLineRow,
    ImportLineRow,
    RunReversalRow,
)
from immex.reports import service as reports
from immex.reports import stored
from immex.reports.annual import (
    AnnualExports,
    ExportCommitment,
    Thresholds,
    commitment_thresholds,
    export_commitment,
)
from immex.reports.panel import AGE_LABELS, panel_totals
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


def stored_state(store: Store, company: CompanyRef) -> Any:
    with store.reading() as session:
        return work.stored_state(session, company)


@dataclass(frozen=True, slots=True)
class KeyPage:
    """One page of a stored report read by key: its rows, the number of its first row, and
    the cursor of the next page (None on the last)."""

    header: Sequence[str]
    rows: list[tuple[Any, ...]]
    start: int
    next_cursor: str | None


HEADERS = {
    "balances": stored.BALANCE_HEADER,
    "allocations": stored.ALLOCATION_HEADER,
    "shortfalls": stored.SHORTFALL_HEADER,
}


def _status(filters: dict[str, str]) -> str | None:
    status = filters.get("status") or None
    if status is not None and status not in STATUSES:
        raise InputError([Problem("", None, "status", f"{status!r} is not one of {', '.join(STATUSES)}")])
    return status


def _fetch(
    session: Session, company: CompanyRef, table: str, filters: dict[str, str], as_of: dt.date
) -> Callable[[stored.Key | None, int], stored.Page]:
    """The SQL page reader of a table with its filters (no whole ledger is loaded)."""
    given = {k: v for k, v in filters.items() if v}
    if table == "balances":
        wanted = stored.BalanceFilter(_status(given), given.get("part"), given.get("pedimento"))
        return lambda after, n: stored.balances_page(session, company.id, as_of, wanted, after, n)
    if table == "allocations":
        return lambda after, n: stored.allocations_page(
            session,
            company.id,
            given.get("export_pedimento"),
            given.get("import_pedimento"),
            given.get("part"),
            after,
            n,
        )
    return lambda after, n: stored.shortfalls_page(
        session, company.id, after, n, export_pedimento=given.get("export_pedimento"), part=given.get("part")
    )


def table_page(
    store: Store,
    company: CompanyRef,
    table: str,
    filters: dict[str, str],
    as_of: dt.date,
    cursor: str = "",
    start: int = 1,
) -> KeyPage:
    """One page of balances, allocations or shortfalls, filtered and paged in SQL."""
    after = listing.key_of(table, cursor)  # the API's opaque cursors: the same key, the same check
    with store.reading() as session:
        page = _fetch(session, company, table, filters, as_of)(after, PAGE_SIZE)
    following = None if page.next_key is None else listing.key_cursor(table, page.next_key)
    return KeyPage(HEADERS[table], list(page.rows), max(1, start), following)


def table_rows(
    store: Store, company: CompanyRef, table: str, filters: dict[str, str], as_of: dt.date
) -> Table:
    """The whole filtered table (downloads), read from SQL in chunks."""
    with store.reading() as session:
        rows = list(stored.every_row(_fetch(session, company, table, filters, as_of)))
    return Table(HEADERS[table], rows)


def trace_export(store: Store, company: CompanyRef, pedimento: str, line: int) -> Table | None:
    """None when the company has no such export line; no rows when it is not discharged yet."""
    with store.reading() as session:
        if not stored.export_line_exists(session, company.id, pedimento, line):
            return None
        rows = stored.every_row(
            lambda after, n: stored.trace_export_page(session, company.id, pedimento, line, after, n)
        )
        return Table(stored.TRACE_EXPORT_HEADER, list(rows))


def trace_import(store: Store, company: CompanyRef, pedimento: str, line: int) -> Table | None:
    with store.reading() as session:
        if not stored.import_line_exists(session, company.id, pedimento, line):
            return None
        rows = stored.every_row(
            lambda after, n: stored.trace_import_page(session, company.id, pedimento, line, after, n)
        )
        return Table(stored.TRACE_IMPORT_HEADER, list(rows))


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
    commitment: Commitment | None = None


_PANELS: dict[tuple[Any, ...], Panel] = {}
_PANELS_KEPT = 32


def data_version(store: Store, company: CompanyRef) -> tuple[Any, ...]:
    """What changes whenever the company's ledger or discharge does: the last audit record (every
    change through the API or the pages), and the last line, run, reversal and adjustment stored
    (changes by the CLI on the same store). Index lookups only."""
    firm = company.id
    lines = [
        select(func.count(row.id), func.max(row.id)).where(row.company_id == firm)
        for row in (ImportLineRow, ExportLineRow)
    ]
    with store.reading() as session:
        return (
            session.scalar(select(func.max(AuditRow.id))),
            session.scalar(
                select(func.max(DischargeRunRow.id)).where(DischargeRunRow.company_id == company.id)
            ),
            session.scalar(select(func.max(RunReversalRow.id))),
            session.scalar(select(func.max(AdjustmentRow.id)).where(AdjustmentRow.company_id == firm)),
            *(tuple(session.execute(query).one()) for query in lines),
        )


def panel(store: Store, company: CompanyRef, as_of: dt.date, total_sales_usd: Decimal | None = None) -> Panel:
    """The panel; built from grouped SQL, then kept until the company's data changes (the panel
    is every user's first page, and a plant's totals still take a few seconds to sum)."""
    key = (store.url, company.id, as_of, total_sales_usd, data_version(store, company))
    if key not in _PANELS:
        while len(_PANELS) >= _PANELS_KEPT:
            _PANELS.pop(next(iter(_PANELS)))
        _PANELS[key] = _panel(store, company, as_of, total_sales_usd)
    return _PANELS[key]


def _panel(store: Store, company: CompanyRef, as_of: dt.date, total_sales_usd: Decimal | None) -> Panel:
    """The panel from grouped SQL (:mod:`immex.reports.panel`): no ledger is loaded."""
    with store.reading() as session:
        totals = panel_totals(session, company.id, as_of, HORIZONS)
    lines = totals.balances
    by_status = [(s, lines.by_status[s].lines, lines.by_status[s].amount) for s in STATUSES]
    expiring = [(days, lines.expiring[days].lines, lines.expiring[days].amount) for days in HORIZONS]
    aging = [
        (label, Decimal(lines.aging[label].lines), tone)
        for label, tone in zip(AGE_LABELS, _TONES, strict=True)
    ]
    history = runs(store, company).rows
    return Panel(
        by_status,
        expiring,
        by_status[0][1],
        bars(aging),
        {label: lines.aging[label].amount for label in AGE_LABELS},
        bars([(str(d), Decimal(n), "warn") for d, n, _ in expiring]),
        totals.shortfalls.lines,
        totals.shortfalls.amount,
        history[0] if history else None,
        lines.lines,
        totals.export_lines,
        commitment(totals.year, total_sales_usd),
    )


_TONES = ("ok", "ok", "warn", "warn", "bad")  # of the age buckets, youngest first


@dataclass(frozen=True, slots=True)
class Commitment:
    """The year's exports against the Decreto IMMEX export commitment (Art. 24 fr. VI), for the
    panel: the amount threshold always; the share of total sales and the verdict when the
    analyst gives the year's total sales (the ledger does not hold them)."""

    year: int
    exports: AnnualExports
    thresholds: Thresholds
    exports_bar: float  # 0..100 of the chart's width
    threshold_at: float  # where the amount threshold's mark sits, 0..100
    verdict: ExportCommitment | None
    share_bar: float  # the share of sales, 0..100 of the chart (when the verdict is known)
    share_at: float  # where the share threshold's mark sits


def _scaled(value: Decimal, top: Decimal) -> float:
    return float(min(value, top) * 100 / top) if top > 0 else 0.0


def commitment(exports: AnnualExports, total_sales_usd: Decimal | None) -> Commitment:
    """Exports counted for the commitment in their year (reports.annual, as ``immex report annual``)."""
    year = exports.year
    thresholds = commitment_thresholds().on(dt.date(year, 12, 31))
    top = max(exports.exports_usd, thresholds.minimum_exports_usd) * Decimal("1.15")
    verdict = None
    if total_sales_usd is not None:
        verdict = export_commitment(exports.exports_usd, total_sales_usd, year)  # InputError if < exports
    share_top = Decimal(100)
    share = verdict.export_share_pct if verdict else Decimal(0)
    return Commitment(
        year,
        exports,
        thresholds,
        _scaled(exports.exports_usd, top),
        _scaled(thresholds.minimum_exports_usd, top),
        verdict,
        _scaled(share, share_top),
        _scaled(thresholds.minimum_export_share_pct, share_top),
    )
