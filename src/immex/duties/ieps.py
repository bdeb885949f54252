"""The ad valorem IEPS of an import by category (LIEPS Art. 2 fr. I), from ``rules/duties/ieps.yaml``.

A category is named by the company for a part (material terms ``ieps_category``); its rate
is the one in force on the import's date. The engine (:func:`immex.duties.pedimento.compute_pedimento`)
applies it to the IEPS base of LIEPS Art. 14 and adds the IEPS to the IVA base (LIVA Art. 27).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from immex.rules import EffectiveSeries, Period, RulesError, as_decimal, build_series, read_yaml, require_keys

RULES_FILE = "duties/ieps.yaml"


@dataclass(frozen=True, slots=True)
class IepsCategory:
    name: str
    description: str
    rates: EffectiveSeries[Decimal]


def parse_categories(data: Any) -> dict[str, IepsCategory]:
    """The checked content of ``rules/duties/ieps.yaml`` (RulesError on anything off)."""
    top = {"description", "reference", "categories"}
    require_keys(data, top, top, RULES_FILE)
    categories: dict[str, IepsCategory] = {}
    for name, entry in data["categories"].items():
        require_keys(entry, {"description", "rows"}, {"description", "rows"}, f"categories.{name}")
        series = build_series(f"ieps {name}", entry["rows"], "rate")
        periods = tuple(
            Period(
                p.since,
                p.until,
                as_decimal(p.value, f"{series.name} {p.since}", Decimal(0), or_equal=True),
                p.reference,
            )
            for p in series.periods
        )
        categories[str(name)] = IepsCategory(
            str(name), str(entry["description"]), EffectiveSeries(series.name, periods)
        )
    return categories


@cache
def ieps_categories() -> dict[str, IepsCategory]:
    return parse_categories(read_yaml(RULES_FILE))


def ieps_rate_on(category: str, day: dt.date) -> tuple[Decimal | None, str]:
    """(rate, "") of ``category`` on ``day``; (None, why) for an unknown category or a date without rate."""
    known = ieps_categories()
    if category not in known:
        return (
            None,
            f"IEPS category {category!r} is not one of {', '.join(sorted(known))} (rules/{RULES_FILE})",
        )
    try:
        return known[category].rates.on(day), ""
    except RulesError:
        return (
            None,
            f"IEPS rate of {category} on {day.isoformat()} (rules/{RULES_FILE} has none for that date)",
        )
