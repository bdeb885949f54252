"""The company panel's totals from grouped SQL, without loading the ledger.

The panel counts import lines by status, what expires within some days, the aging of
open balances (lines and USD value left per age bucket), the shortfalls, the lines of
the ledger and the year's exports against the export commitment. Built from the whole
ledger (``load_ledger`` + ``stored_result`` + ``balances``) a plant's first panel took
minutes; here the database does the sums:

- one grouped query streams each import line as a tuple (its part's kind, clearance
  date, quantity, the sums of its adjustments and of its active allocations, quantity
  as written and unit value), and one pass in Python gives the status, the Art. 108
  deadline (:func:`immex.discharge.deadlines.deadline`, legal data), the expiring and
  the aging buckets, exactly as :func:`immex.discharge.methods.balances` and
  :func:`immex.reports.service.aging_report` give them for the loaded ledger;
- the shortfalls are one grouped query over the active shortfall rows;
- the commitment reads only the outgoing lines of the year
  (:func:`immex.reports.annual.annual_exports`), the count of export lines one query
  grouped by clave and day (the clave's class is dated legal data).

Quantities stay exact: the sums are those of :mod:`immex.reports.stored` (NUMERIC on
PostgreSQL, an exact aggregate of decimal texts on SQLite).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from immex.core.numbers import EXACT
from immex.discharge.deadlines import BalanceStatus, balance_status, deadline
from immex.ledger.claves import clave_class
from immex.ledger.model import ExportLine, ImportLine
from immex.ledger.orm import (
    AdjustmentRow,
    AllocationRow,
    Company,
    DischargeRunRow,
    ExportLineRow,
    ImportLineRow,
    PartRow,
    PedimentoRow,
)
from immex.ledger.service import split_outgoing
from immex.reports.annual import AnnualExports, annual_exports
from immex.reports.service import AGE_BUCKETS, age_bucket, value_left
from immex.reports.stored import ExactMath, active_allocation, part_kind

__all__ = ["AGE_LABELS", "STATUSES", "Count", "PanelTotals", "line_totals", "panel_totals", "tally"]

STATUSES: tuple[BalanceStatus, ...] = ("overdue", "expiring", "open", "discharged")
AGE_LABELS = (*(label for _, label in AGE_BUCKETS), f">{AGE_BUCKETS[-1][0]}")
_NOT_EXPORTS = ("regularization", "not_discharging")  # outgoing lines apart from the Ledger's exports


@dataclass(slots=True)
class Count:
    """How many lines and the sum of an amount over them."""

    lines: int = 0
    amount: Decimal = field(default_factory=Decimal)

    def add(self, amount: Decimal | None) -> None:
        self.lines += 1
        if amount is not None:
            self.amount = EXACT.add(self.amount, amount)


@dataclass(frozen=True, slots=True)
class BalanceTotals:
    """The import lines counted: by status (remaining quantity), within each horizon (lines
    open whose deadline is 0..days away, remaining quantity), by age bucket of the open
    lines (USD value left)."""

    lines: int
    by_status: dict[str, Count]
    expiring: dict[int, Count]
    aging: dict[str, Count]


@dataclass(frozen=True, slots=True)
class PanelTotals:
    balances: BalanceTotals
    shortfalls: Count
    export_lines: int  # the lines that discharge (not A3 regularizations, not A1/BM/BO)
    year: AnnualExports


# One import line as the panel reads it: (kind, cleared_on, qty as stored, adjusted, discharged,
# qty_given, unit_value_usd); adjusted and discharged None when there are none.
LineTotal = tuple[str, dt.date, Decimal, Decimal | None, Decimal | None, Decimal | None, Decimal | None]


def line_totals(session: Session, company: int) -> Iterator[LineTotal]:
    """Every import line of the company with its sums, streamed (one grouped query)."""
    math = ExactMath.of(session)
    runs = select(DischargeRunRow.id).where(DischargeRunRow.company_id == company)
    discharged = (
        select(AllocationRow.import_line_id.label("line_id"), math.total(AllocationRow.qty).label("qty"))
        .where(
            AllocationRow.run_id.in_(runs),
            AllocationRow.import_line_id.is_not(None),
            active_allocation(AllocationRow),
        )
        .group_by(AllocationRow.import_line_id)
        .subquery()
    )
    adjusted = (
        select(AdjustmentRow.import_line_id.label("line_id"), math.total(AdjustmentRow.qty).label("qty"))
        .where(AdjustmentRow.company_id == company)
        .group_by(AdjustmentRow.import_line_id)
        .subquery()
    )
    query = (
        select(
            part_kind(),
            ImportLineRow.cleared_on,
            ImportLineRow.qty,
            adjusted.c.qty,
            discharged.c.qty,
            ImportLineRow.qty_given,
            ImportLineRow.unit_value_usd,
        )
        .outerjoin(
            PartRow, and_(PartRow.company_id == ImportLineRow.company_id, PartRow.part == ImportLineRow.part)
        )
        .outerjoin(adjusted, adjusted.c.line_id == ImportLineRow.id)
        .outerjoin(discharged, discharged.c.line_id == ImportLineRow.id)
        .where(ImportLineRow.company_id == company)
    )
    for row in session.execute(query.execution_options(yield_per=5000)):
        yield tuple(row)


class _Deadlines:
    """deadline() per (kind, clearance day): a plant's lines share few of them."""

    def __init__(self, program_valid_to: dt.date | None) -> None:
        self.program_valid_to = program_valid_to
        self.known: dict[tuple[str, dt.date], dt.date | None] = {}

    def of(self, kind: str, cleared_on: dt.date) -> dt.date | None:
        key = (kind, cleared_on)
        if key not in self.known:
            self.known[key] = deadline(kind, cleared_on, self.program_valid_to)
        return self.known[key]


def tally(
    lines: Iterable[LineTotal], as_of: dt.date, program_valid_to: dt.date | None, horizons: Sequence[int]
) -> BalanceTotals:
    """One pass over the lines: what ``balances`` and ``aging_report`` would count."""
    totals = BalanceTotals(
        0,
        {status: Count() for status in STATUSES},
        {days: Count() for days in horizons},
        {label: Count() for label in AGE_LABELS},
    )
    deadlines = _Deadlines(program_valid_to)
    count = 0
    for line in lines:
        count += 1
        _count_line(totals, line, deadlines.of(line[0], line[1]), as_of)
    return BalanceTotals(count, totals.by_status, totals.expiring, totals.aging)


def _count_line(totals: BalanceTotals, line: LineTotal, due: dt.date | None, as_of: dt.date) -> None:
    _kind, cleared_on, qty, adjusted, discharged, qty_given, unit_value = line
    usable = qty - (adjusted or 0)  # as load_imports nets the adjustments
    left = EXACT.subtract(usable, discharged or 0)
    totals.by_status[balance_status(left, due, as_of)].add(left)
    if left <= 0:
        return
    days_left = None if due is None else (due - as_of).days
    for horizon, count in totals.expiring.items():
        if days_left is not None and 0 <= days_left <= horizon:
            count.add(left)
    # the value left prorated as the aging report does it (a line without pedimento: not shown)
    lot = ImportLine(
        "", 0, "", "", cleared_on, usable, "", qty_given, unit_value, adjusted=adjusted or Decimal(0)
    )
    bucket = totals.aging.get(age_bucket((as_of - cleared_on).days))
    if bucket is not None:  # a lot cleared after the as-of day has no age: not in the chart
        bucket.add(value_left(lot, left))


def shortfall_totals(session: Session, company: int) -> Count:
    """How many active shortfall rows the company's discharge has, and the quantity missing."""
    math = ExactMath.of(session)
    runs = select(DischargeRunRow.id).where(DischargeRunRow.company_id == company)
    query = select(func.count(AllocationRow.id), math.total(AllocationRow.qty)).where(
        AllocationRow.run_id.in_(runs),
        AllocationRow.import_line_id.is_(None),
        active_allocation(AllocationRow),
    )
    lines, missing = session.execute(query).one()
    return Count(int(lines), missing or Decimal(0))


def export_line_count(session: Session, company: int) -> int:
    """Outgoing lines that discharge as exports (the Ledger's ``exports``): by clave and day,
    since a clave's class is dated."""
    query = (
        select(ExportLineRow.clave, ExportLineRow.cleared_on, func.count(ExportLineRow.id))
        .where(ExportLineRow.company_id == company)
        .group_by(ExportLineRow.clave, ExportLineRow.cleared_on)
    )
    return sum(n for clave, day, n in session.execute(query) if clave_class(clave, day) not in _NOT_EXPORTS)


def year_exports(session: Session, company: int, year: int) -> AnnualExports:
    """``annual_exports`` of the outgoing lines cleared in ``year`` (only those are read)."""
    query = (
        select(PedimentoRow.number, *_EXPORT_COLUMNS)
        .join(PedimentoRow, PedimentoRow.id == ExportLineRow.pedimento_id)
        .where(
            ExportLineRow.company_id == company,
            ExportLineRow.cleared_on.between(dt.date(year, 1, 1), dt.date(year, 12, 31)),
        )
        .order_by(ExportLineRow.id)
    )
    lines = (_export_line(tuple(row)) for row in session.execute(query))
    exports, regularizations, held = split_outgoing(lines)
    return annual_exports(exports + regularizations + held, year)  # the order of outgoing_lines()


def _export_line(row: tuple[Any, ...]) -> ExportLine:
    number, line, product, clave, cleared_on, qty, uom, given, value, country, hs, lot, row_id, lot_line = row
    return ExportLine(
        number, line, product, clave, cleared_on, qty, uom, given, value, country, hs, lot,
        row=row_id, import_line=lot_line,
    )  # fmt: skip


# The stored columns of an ExportLine as ``load_exports`` fills it, after the pedimento's number.
_EXPORT_COLUMNS = (
    ExportLineRow.line,
    ExportLineRow.product,
    ExportLineRow.clave,
    ExportLineRow.cleared_on,
    ExportLineRow.qty,
    ExportLineRow.uom,
    ExportLineRow.qty_given,
    ExportLineRow.unit_value_usd,
    ExportLineRow.destination_country,
    ExportLineRow.hs,
    ExportLineRow.import_pedimento,
    ExportLineRow.id,
    ExportLineRow.import_line,
)


def panel_totals(session: Session, company: int, as_of: dt.date, horizons: Sequence[int]) -> PanelTotals:
    """Every total of the panel as of ``as_of`` (the commitment for the year of ``as_of``)."""
    program_valid_to = session.scalar(select(Company.program_valid_to).where(Company.id == company))
    return PanelTotals(
        tally(line_totals(session, company), as_of, program_valid_to, horizons),
        shortfall_totals(session, company),
        export_line_count(session, company),
        year_exports(session, company, as_of.year),
    )
