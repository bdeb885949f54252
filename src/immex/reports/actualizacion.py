"""Actualización of an amount owed to the fisco (CFF Art. 17-A), from the INPC table in ``rules/inpc.yaml``.

factor = INPC of the month before the latest month of the period ÷ INPC of the month
before the oldest month of the period, computed to the ten-thousandth (truncated), never
below 1. For a regularization the period runs from the month the goods entered (RGCE
2.5.2) to the month of payment; for a change of regime, to the month of the change (RLA
Art. 140 fr. III).

When the index of the month before the latest month is later than the last month of the
table, the last index of the table is used: CFF Art. 17-A second paragraph ("en los casos
en que el INPC del mes anterior al más reciente del periodo no haya sido publicado ... se
realizará aplicando el último índice mensual publicado"). The table holds the months read
in a published source, so its last month is the last published index this project knows;
:attr:`Factor.indexes` says which months were used, so a reader sees when it applied. Any
other month the table lacks (a gap, or the month before the goods entered) is never
guessed: there is no factor and the reason names the month (the report's ``cost_missing``).

Pure: the table is data; :func:`inpc_table` loads the shipped one once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import cache
from typing import Any

from immex.reports.labels import Reason
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
        """``24 months from 2019-04 to 2026-02`` (a :class:`Reason`: in Spanish in a Spanish report)."""
        if not self.values:
            return Reason("inpc_span_empty")
        first, last = min(self.values), max(self.values)
        return Reason("inpc_span", count=len(self.values), first=_name(first), last=_name(last))


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


@dataclass(frozen=True, slots=True)
class Factor:
    """A CFF Art. 17-A factor and the INPC months it was computed from."""

    value: Decimal
    latest: Month
    """The month whose index is the numerator (the last published one when ``wanted`` is not)."""
    oldest: Month
    wanted: Month
    """The month before the latest month of the period (what the first paragraph asks for)."""

    @property
    def last_published(self) -> bool:
        """True when the second paragraph applied: ``wanted`` is later than every month known."""
        return self.latest != self.wanted

    def indexes(self) -> str:
        """``INPC 2026-02 / INPC 2025-03`` and, when it applied, why the numerator is not ``wanted``."""
        latest, oldest = _name(self.latest), _name(self.oldest)
        if self.last_published:
            wanted = _name(self.wanted)
            return Reason(
                "inpc_indexes_last_published", latest=latest, oldest=oldest, wanted=wanted, file=RULES_FILE
            )
        return Reason("inpc_indexes", latest=latest, oldest=oldest)


def factor_for(due: dt.date, paid: dt.date, table: InpcTable) -> tuple[Factor | None, str]:
    """(factor, "") for an amount due in ``due``'s month and paid on ``paid``; (None, what is missing)."""
    if paid < due:
        raise ValueError(f"payment {paid.isoformat()} before the due date {due.isoformat()}")
    wanted, oldest = month_before(paid), month_before(due)
    last = max(table.values, default=None)
    latest = last if last is not None and wanted > last else wanted
    missing = [oldest] if oldest not in table.values else []
    if latest not in table.values:  # a gap inside the table (or no table at all)
        missing.append(wanted)
    if missing:
        names = [_name(m) for m in dict.fromkeys(missing)]
        months = names[0] if len(names) == 1 else Reason("two_months", first=names[0], second=names[1])
        return None, Reason("missing_inpc", months=months, file=RULES_FILE, span=table.span())
    quotient = table.values[latest] / table.values[oldest]
    value = quotient.quantize(Decimal(1).scaleb(-table.decimals), rounding=ROUND_DOWN)
    return Factor(max(value, table.minimum_factor), latest, oldest, wanted), ""


def update_factor(due: dt.date, paid: dt.date, table: InpcTable) -> tuple[Decimal | None, str]:
    """The factor's value alone (see :func:`factor_for`)."""
    factor, why = factor_for(due, paid, table)
    return (None if factor is None else factor.value), why
