"""Actualización of an amount owed to the fisco (CFF Art. 17-A), from the INPC table in ``rules/inpc.yaml``.

factor = INPC of the month before the latest month of the period ÷ INPC of the month
before the oldest month of the period, computed to the ten-thousandth (truncated), never
below 1. For a regularization the period runs from the month the goods entered (RGCE
2.5.2) to the month of payment. A month the table lacks is never guessed: the factor is
None and the reason names the month (the report's ``cost_missing``).

Pure: the table is data; :func:`inpc_table` loads the shipped one once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import cache
from typing import Any

from immex.rules import RulesError, as_decimal, read_yaml, require_keys

RULES_FILE = "inpc.yaml"
Month = tuple[int, int]


@dataclass(frozen=True, slots=True)
class InpcTable:
    """Monthly INPC values by (year, month), and the CFF Art. 17-A factor rules."""

    values: Mapping[Month, Decimal]
    minimum_factor: Decimal
    decimals: int

    def span(self) -> str:
        if not self.values:
            return "no months"
        first, last = min(self.values), max(self.values)
        return f"{len(self.values)} months from {_name(first)} to {_name(last)}"


def _name(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def _month(value: Any, where: str) -> Month:
    text = value.isoformat()[:7] if isinstance(value, dt.date) else str(value)
    try:
        day = dt.date.fromisoformat(f"{text}-01")
    except ValueError as exc:
        raise RulesError(f"{where}: {value!r} is not a YYYY-MM month") from exc
    return day.year, day.month


def parse_table(data: Any) -> InpcTable:
    """The checked content of ``rules/inpc.yaml`` (RulesError on anything off)."""
    top = {"description", "reference", "base", "months", "factor"}
    require_keys(data, top, top, RULES_FILE)
    values: dict[Month, Decimal] = {}
    for i, row in enumerate(data["months"] or []):
        where = f"{RULES_FILE} months[{i}]"
        require_keys(row, {"month", "value", "source"}, {"month", "value", "source"}, where)
        if not str(row["source"]).strip():
            raise RulesError(f"{where}: empty source")
        month = _month(row["month"], where)
        if month in values:
            raise RulesError(f"{where}: {_name(month)} is given twice")
        values[month] = as_decimal(row["value"], where, Decimal(0))
    factor = data["factor"]
    keys = {"minimum", "minimum_reference", "decimals", "decimals_reference", "unpublished_reference"}
    require_keys(factor, keys, keys, f"{RULES_FILE} factor")
    decimals = factor["decimals"]
    if not isinstance(decimals, int) or not 0 <= decimals <= 10:
        raise RulesError(f"{RULES_FILE} factor.decimals: {decimals!r} must be a whole number 0..10")
    return InpcTable(values, as_decimal(factor["minimum"], "factor.minimum", Decimal(0)), decimals)


@cache
def inpc_table() -> InpcTable:
    return parse_table(read_yaml(RULES_FILE))


def month_before(day: dt.date) -> Month:
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


def update_factor(due: dt.date, paid: dt.date, table: InpcTable) -> tuple[Decimal | None, str]:
    """(factor, "") for an amount due in ``due``'s month and paid on ``paid``; (None, what is missing)."""
    if paid < due:
        raise ValueError(f"payment {paid.isoformat()} before the due date {due.isoformat()}")
    latest, oldest = month_before(paid), month_before(due)
    missing = [m for m in (oldest, latest) if m not in table.values]
    if missing:
        months = " and ".join(_name(m) for m in dict.fromkeys(missing))
        return None, (
            f"INPC of {months} for the actualización (CFF Art. 17-A; rules/{RULES_FILE} has {table.span()})"
        )
    quotient = table.values[latest] / table.values[oldest]
    factor = quotient.quantize(Decimal(1).scaleb(-table.decimals), rounding=ROUND_DOWN)
    return max(factor, table.minimum_factor), ""
