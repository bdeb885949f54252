"""Ley Aduanera Art. 108 deadlines: calendar-month terms from ``rules/terms.yaml``."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Literal

from immex.rules import temporary_import_terms

BalanceStatus = Literal["discharged", "overdue", "expiring", "open"]

# A lot is "expiring" when 0 <= days_left <= this (product policy of the discharge
# contract, balances.csv `status`; not a legal term).
EXPIRING_WITHIN_DAYS = 60


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of the month ``months`` later, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def term_months(kind: str, cleared_on: dt.date) -> int | None:
    """Months the line may stay in the country (None: as long as the program)."""
    return temporary_import_terms()[kind].on(cleared_on)


def deadline(kind: str, cleared_on: dt.date, program_valid_to: dt.date | None = None) -> dt.date | None:
    """``cleared_on`` + the Art. 108 term; for a term of "program validity" (assets) its end, if known."""
    months = term_months(kind, cleared_on)
    return program_valid_to if months is None else add_months(cleared_on, months)


def balance_status(remaining: Decimal, deadline_on: dt.date | None, as_of: dt.date) -> BalanceStatus:
    """First that applies: discharged, overdue, expiring (0..60 days left), open."""
    if not remaining:
        return "discharged"
    if deadline_on is None:
        return "open"
    days_left = (deadline_on - as_of).days
    if days_left < 0:
        return "overdue"
    if days_left <= EXPIRING_WITHIN_DAYS:
        return "expiring"
    return "open"
