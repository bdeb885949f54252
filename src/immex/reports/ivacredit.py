"""The IVA and IEPS credit of temporary imports (certified companies), cancelled as the lots leave.

A company certified in IVA and IEPS (RGCE 7.1.2/7.1.3, rubros A, AA, AAA) applies to each
temporary import a tax credit equal to its IVA (LIVA Art. 28-A) and IEPS (LIEPS Art.
15-A), declared with forma de pago 21 "crédito en IVA e IEPS" (Anexo 22 Apéndice 13). The
credit is charged to the company's account in the SAT's control of credits and guarantees
(RGCE Anexo 30, formerly 31) and discharged as the goods leave the temporary regime: a
return or virtual transfer, a change of regime to definitive, a regularization.

Pure: a :class:`CreditLot` per import line (the credit it took) and the quantities that
left it (:class:`Departure`) give, for each month end, what was cancelled in the month
and the balance. A lot's cumulative cancellation is its credit × (quantity that left up
to that day ÷ quantity imported), rounded half-up to the cent, capped at the credit: the
cancellation can never exceed what was credited, whatever the quantities.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from immex.core.table_files import Cell

CENT = Decimal("0.01")
Key = tuple[str, int, str]

IVACREDIT_HEADER = (
    "month_end",
    "import_pedimento",
    "import_line",
    "part",
    "cleared_on",
    "source",
    "iva_credit",
    "ieps_credit",
    "qty_imported",
    "qty_discharged_month",
    "qty_discharged",
    "iva_cancelled",
    "ieps_cancelled",
    "iva_balance",
    "ieps_balance",
)


@dataclass(frozen=True, slots=True)
class CreditLot:
    """One import line and the credit it took (MXN), with where the amounts come from."""

    key: Key
    cleared_on: dt.date
    qty_imported: Decimal
    iva: Decimal
    ieps: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class Departure:
    """A quantity of a lot that left the temporary regime on a day (return, F4/F5, A3)."""

    key: Key
    day: dt.date
    qty: Decimal


def cancelled_share(credit: Decimal, left: Decimal, imported: Decimal) -> Decimal:
    """The cumulative cancellation of ``credit`` once ``left`` of ``imported`` has left: never above it."""
    if imported <= 0 or left <= 0:
        return Decimal(0)
    fraction = min(Decimal(1), left / imported)
    return min(credit, (credit * fraction).quantize(CENT, rounding=ROUND_HALF_UP))


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """The last day of each month from ``start``'s to ``end``'s; the last one is ``end`` itself."""
    days: list[dt.date] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        days.append(min(last, end))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def credit_rows(
    lots: Sequence[CreditLot], departures: Iterable[Departure], start: dt.date, end: dt.date
) -> list[tuple[Cell, ...]]:
    """Month-end rows of every lot with a credit, cleared by then, with a balance or a move in the month."""
    by_lot: dict[Key, list[Departure]] = defaultdict(list)
    for departure in departures:
        by_lot[departure.key].append(departure)
    rows: list[tuple[Cell, ...]] = []
    previous_end = start - dt.timedelta(days=1)
    for month_end in month_ends(start, end):
        for lot in lots:
            if lot.cleared_on > month_end:
                continue
            row = _month_row(lot, by_lot.get(lot.key, []), previous_end, month_end)
            if row is not None:
                rows.append(row)
        previous_end = month_end
    return rows


def _month_row(
    lot: CreditLot, moves: list[Departure], before: dt.date, month_end: dt.date
) -> tuple[Cell, ...] | None:
    left_before = sum((m.qty for m in moves if m.day <= before), Decimal(0))
    left_now = sum((m.qty for m in moves if m.day <= month_end), Decimal(0))
    iva_before = cancelled_share(lot.iva, left_before, lot.qty_imported)
    ieps_before = cancelled_share(lot.ieps, left_before, lot.qty_imported)
    iva_now = cancelled_share(lot.iva, left_now, lot.qty_imported)
    ieps_now = cancelled_share(lot.ieps, left_now, lot.qty_imported)
    moved = left_now - left_before
    balance_before = (lot.iva - iva_before) + (lot.ieps - ieps_before)
    if moved == 0 and balance_before == 0 and lot.cleared_on <= before:
        return None  # fully cancelled in an earlier month: nothing left to show
    return (
        month_end,
        lot.key[0],
        lot.key[1],
        lot.key[2],
        lot.cleared_on,
        lot.source,
        lot.iva,
        lot.ieps,
        lot.qty_imported,
        moved,
        left_now,
        iva_now - iva_before,
        ieps_now - ieps_before,
        lot.iva - iva_now,
        lot.ieps - ieps_now,
    )


def split_credit(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` shared by ``weights`` to the cent; the last share takes the rounding so the sum is exact."""
    whole = sum(weights, Decimal(0))
    if not weights:
        return []
    if whole <= 0:
        weights, whole = [Decimal(1)] * len(weights), Decimal(len(weights))
    shares = [(total * w / whole).quantize(CENT, rounding=ROUND_HALF_UP) for w in weights[:-1]]
    return [*shares, total - sum(shares, Decimal(0))]
