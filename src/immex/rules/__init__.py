"""Effective-dated legal data (terms, rates, quotas, rule texts) with citations.

Every legal constant the engines use is read from a file in this folder; code
asks for "the value in force on date D" and never carries a bare literal.
Loading is strict: a missing citation, an unknown key or overlapping periods
raise :class:`RulesError` when the file is read, not later.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Generic, TypeVar

import yaml

T = TypeVar("T")


class RulesError(ValueError):
    """A rules file is malformed, or a date falls outside the data."""


@dataclass(frozen=True, slots=True)
class Period(Generic[T]):
    """One value in force from ``since`` through ``until`` (inclusive; None = open)."""

    since: dt.date
    until: dt.date | None
    value: T
    reference: str

    def covers(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True, slots=True)
class EffectiveSeries(Generic[T]):
    """Non-overlapping periods of one legal value, sorted by start date."""

    name: str
    periods: tuple[Period[T], ...]

    def period_on(self, day: dt.date) -> Period[T]:
        for period in self.periods:
            if period.covers(day):
                return period
        raise RulesError(f"{self.name}: no value in force on {day.isoformat()}")

    def on(self, day: dt.date) -> T:
        return self.period_on(day).value


# libyaml's parser when PyYAML was built with it: the same safe constructors, about 10x faster
# (the rules files are parsed at every command's start).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """Parse YAML text with the safe loader (no arbitrary objects), libyaml's when available."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # a safe loader: no arbitrary objects


def read_yaml(name: str, package: str = __name__) -> Any:
    """Parse the YAML file ``name`` shipped inside ``package`` (default ``immex.rules``)."""
    return parse_yaml(resources.files(package).joinpath(name).read_text(encoding="utf-8"))


def as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise RulesError(f"{where}: {value!r} is not a YYYY-MM-DD date") from exc


def as_decimal(value: Any, where: str, above: Decimal | None = None, or_equal: bool = False) -> Decimal:
    """A decimal written as a quoted string (YAML would read 0.1 as a float), finite when bounded.

    ``above``: the value must be greater than it (``or_equal``: greater or equal).
    """
    if not isinstance(value, str):
        raise RulesError(f"{where}: {value!r} must be a quoted decimal")
    try:
        number = Decimal(value)
    except ArithmeticError as exc:
        raise RulesError(f"{where}: {value!r} is not a decimal") from exc
    if above is not None and not (number.is_finite() and (number >= above if or_equal else number > above)):
        raise RulesError(f"{where}: {value!r} must be {'>=' if or_equal else '>'} {above}")
    return number


def require_keys(entry: Mapping[str, Any], required: set[str], allowed: set[str], where: str) -> None:
    missing = required - entry.keys()
    unknown = entry.keys() - allowed
    if missing:
        raise RulesError(f"{where}: missing {sorted(missing)}")
    if unknown:
        raise RulesError(f"{where}: unknown keys {sorted(unknown)}")


def build_series(name: str, rows: Sequence[Mapping[str, Any]], value_key: str) -> EffectiveSeries[Any]:
    """Build a series from rows of ``{since, until?, <value_key>, reference}``."""
    periods = []
    for index, row in enumerate(rows):
        where = f"{name}[{index}]"
        required = {"since", value_key, "reference"}
        require_keys(row, required, required | {"until"}, where)
        if not str(row["reference"]).strip():
            raise RulesError(f"{where}: empty reference")
        until = as_date(row["until"], where) if row.get("until") is not None else None
        periods.append(Period(as_date(row["since"], where), until, row[value_key], str(row["reference"])))
    periods.sort(key=lambda p: p.since)
    for before, after in itertools.pairwise(periods):
        if before.until is None or before.until >= after.since:
            raise RulesError(f"{name}: periods starting {before.since} and {after.since} overlap")
    return EffectiveSeries(name, tuple(periods))


@cache
def temporary_import_terms() -> dict[str, EffectiveSeries[int | None]]:
    """Ley Aduanera Art. 108 terms by part kind, in months (None = program validity)."""
    data = read_yaml("terms.yaml")
    require_keys(data, {"temporary_import_term"}, {"temporary_import_term"}, "terms.yaml")
    term = data["temporary_import_term"]
    require_keys(
        term,
        {"description", "reference", "by_kind"},
        {"description", "reference", "by_kind"},
        "temporary_import_term",
    )
    return {
        kind: build_series(f"temporary_import_term.{kind}", rows, "months")
        for kind, rows in term["by_kind"].items()
    }
