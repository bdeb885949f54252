"""Tariff data as effective-dated values: LIGIE fracciones with NICO and US HTS lines.

The Mexican tariff (TIGIE/LIGIE, DOF 01-07-2020, in force 28-12-2020: eight-digit
fracción plus two-digit NICO) is kept as rows ``(fraccion, nico, description,
unit, igi_rate, since, until, source, igi_text)``; ``igi_rate`` is a fraction
(``0.15`` = 15 %), 0 for "Ex." (exento), and None when the source gives no ad
valorem rate: a descriptions-only catalog (``igi_text`` empty) or a specific,
mixed or prohibited duty, whose text the Tarifa prints is kept in ``igi_text``
(``0.36 Dls por kg``, ``Prohibida``). A lookup asks for the rows in force on a
date; nothing is guessed outside the data, and a row without a rate never
stands for a rate of 0.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TypeVar

from immex.duties.codes import prosec_sector, sector_number

K = TypeVar("K")

_DIGITS = re.compile(r"^\d+$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*%?$")
_DECIMAL_COMMA = re.compile(r"\d+,\d+")


@dataclass(frozen=True, slots=True)
class TariffRow:
    fraccion: str  # eight digits, no dots
    nico: str  # two digits, or "" when the row is for the whole fracción
    description: str
    unit: str  # Apéndice 7 unit (UMT) as the source writes it, or ""
    igi_rate: Decimal | None
    since: dt.date
    until: dt.date | None
    source: str
    igi_text: str = ""  # the import duty as the Tarifa writes it when it is not ad valorem

    def covers(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)

    def spanning(self, since: dt.date, until: dt.date | None) -> TariffRow:
        """The same row in force from ``since`` through ``until`` (built directly:
        ``dataclasses.replace`` is the slow part of merging a whole Tarifa)."""
        return TariffRow(
            self.fraccion,
            self.nico,
            self.description,
            self.unit,
            self.igi_rate,
            since,
            until,
            self.source,
            self.igi_text,
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.fraccion, self.nico)

    @property
    def code(self) -> str:
        """``8504.40.99.00`` (with the NICO when the row has one)."""
        return dotted(self.fraccion) + (f".{self.nico}" if self.nico else "")

    def no_rate_reason(self, day: dt.date) -> str:
        """Why this row gives no IGI rate on ``day`` (for the row that has none)."""
        if self.igi_text:
            return (
                f"fracción {self.code} has no ad valorem rate in the tariff on "
                f"{day.isoformat()}: its import duty is {self.igi_text!r} ({self.source})"
            )
        return f"fracción {self.code} has no IGI rate in the tariff on {day.isoformat()} ({self.source})"


def split_fraccion(text: str) -> tuple[str, str | None]:
    """``8504.40.99`` → (``85044099``, None); ``8504.40.99.01`` / ``8504409901`` → (…, ``01``).

    Raises ValueError for anything that is not 8 or 10 digits once dots and spaces go.
    """
    digits = text.replace(".", "").replace(" ", "").strip()
    if not _DIGITS.match(digits) or len(digits) not in (8, 10):
        raise ValueError(f"fracción {text!r} must have 8 digits (or 10 with the NICO)")
    return digits[:8], (digits[8:] if len(digits) == 10 else None)


def dotted(fraccion: str) -> str:
    """``85044099`` → ``8504.40.99`` (the way the TIGIE prints it)."""
    return f"{fraccion[:4]}.{fraccion[4:6]}.{fraccion[6:8]}"


def is_duty_text(text: str) -> bool:
    """Whether a cell that is not an ad valorem rate reads as a duty the Tarifa writes in
    words (a specific or mixed duty with its unit or currency, ``Prohibida``): it has a
    letter. A cell of digits and signs only (``15,5``, ``-3``) is a malformed rate."""
    return any(ch.isalpha() for ch in text)


def is_exento(text: str) -> bool:
    """``Ex.`` (and its spellings): the Tarifa's mark of an exempt duty."""
    return text.strip().lower().rstrip(".") in ("ex", "exento", "exenta")


def parse_tigie_rate(text: str) -> Decimal | None:
    """A TIGIE ad valorem cell as a fraction: ``15`` / ``15%`` → 0.15, ``Ex.`` → 0.

    Returns None for an empty cell; raises ValueError for specific or mixed duties and
    anything else that is not an ad valorem percentage.
    """
    cleaned = text.strip()
    if not cleaned:
        return None
    if is_exento(cleaned):
        return Decimal(0)
    match = _PERCENT.match(cleaned)
    if not match:
        number = cleaned.removesuffix("%").strip()
        if _DECIMAL_COMMA.fullmatch(number):  # what Excel writes in a Spanish locale
            point = number.replace(",", ".")
            raise ValueError(f"{text!r} has a decimal comma; write decimals with a point ({point})")
        raise ValueError(f"{text!r} is not an ad valorem rate (a percentage or Ex.)")
    return Decimal(match.group(1)) / 100


def in_force(rows: Iterable[TariffRow], fraccion: str, nico: str | None, day: dt.date) -> list[TariffRow]:
    """The rows of a fracción (one NICO, or all of them) in force on ``day``."""
    return sorted(
        (
            row
            for row in rows
            if row.fraccion == fraccion and (nico is None or row.nico == nico) and row.covers(day)
        ),
        key=lambda r: r.nico,
    )


@dataclass(frozen=True, slots=True)
class ReleaseMerge:
    """The table after a release, and what the release did to it (counted by fracción +
    NICO): ``added`` had no row open on ``since``; ``changed`` had one with another rate,
    rate text, unit or description (closed the day before, the new one opens on
    ``since``); ``unchanged`` had the same one; ``closed`` (full releases only) had a row
    open on ``since`` that the release does not list."""

    rows: list[TariffRow]
    added: int
    changed: int
    unchanged: int
    closed: int


def apply_release(
    current: Sequence[TariffRow], release: Sequence[TariffRow], since: dt.date, *, full: bool = False
) -> ReleaseMerge:
    """Apply an official release in force from ``since`` to the current table.

    For each (fracción, NICO) of the release, the row open on ``since`` is closed the day
    before when its description, unit, rate or rate text changes, and the release row is
    added from ``since``; an unchanged row stays as it is. Rows starting after ``since``
    are kept: history is never rewritten.

    The Tarifa gives rates by fracción (8 digits) while NICOs subdivide it: a release row
    without NICO applies its rate and unit to every NICO of that fracción open on ``since``
    (each keeping its own description), unless the release names that NICO itself.

    Rows the release does not mention stay open (a release can be partial, e.g. the
    chapters a company uses), unless ``full``: the release is then the whole Tarifa in
    force from ``since``, and every row open on ``since`` that it does not mention (a
    fracción or NICO the decree suppressed) is closed the day before (a row that would
    only have started on ``since`` is dropped).
    """
    by_key: dict[tuple[str, str], TariffRow] = {row.key: row for row in release}
    open_nicos: dict[str, list[TariffRow]] = {}
    for row in current:
        if row.nico and row.covers(since):
            open_nicos.setdefault(row.fraccion, []).append(row)
    for entry in release:
        if not entry.nico and entry.fraccion in open_nicos:
            del by_key[entry.key]
            for old in open_nicos[entry.fraccion]:
                by_key.setdefault(old.key, replace(entry, nico=old.nico, description=old.description))
    out: list[TariffRow] = []
    kept: set[tuple[str, str]] = set()
    changed: set[tuple[str, str]] = set()
    closed: set[tuple[str, str]] = set()
    day_before = since - dt.timedelta(days=1)
    for row in current:
        new = by_key.get(row.key)
        if not row.covers(since) or (new is None and not full):
            out.append(row)
            continue
        if new is not None and _same_entry(row, new):
            out.append(row)
            kept.add(row.key)
            continue
        (changed if new is not None else closed).add(row.key)
        if row.since <= day_before:
            out.append(row.spanning(row.since, day_before))
    later = _next_starts(((row.key, row.since) for row in current), since)
    for key, new in by_key.items():
        if key not in kept:
            out.append(new.spanning(since, later.get(key)))
    out.sort(key=lambda r: (r.fraccion, r.nico, r.since))
    return ReleaseMerge(
        out,
        added=len(by_key.keys() - kept - changed),
        changed=len(changed),
        unchanged=len(kept),
        closed=len(closed),
    )


def _next_starts(starts: Iterable[tuple[K, dt.date]], since: dt.date) -> dict[K, dt.date]:
    """Per key, the day before the first row that starts after ``since``: a release loaded
    after a later one (out of order) stays in force only until the later one starts."""
    found: dict[K, dt.date] = {}
    for key, start in starts:
        if start > since and (key not in found or start < found[key]):
            found[key] = start
    return {key: start - dt.timedelta(days=1) for key, start in found.items()}


def _same_entry(old: TariffRow, new: TariffRow) -> bool:
    return (old.description, old.unit, old.igi_rate, old.igi_text) == (
        new.description,
        new.unit,
        new.igi_rate,
        new.igi_text,
    )


class NoAdValoremRate(ValueError):
    """The tariff has the fracción + NICO on the date, with a duty that is not ad valorem:
    its IGI rate has to be given explicitly (never taken as 0)."""


@dataclass(frozen=True, slots=True)
class TariffIndex:
    """A tariff table keyed by (fracción, NICO): a lookup reads the few rows of one key
    instead of scanning the whole table (tens of thousands of rows)."""

    by_fraccion: dict[str, tuple[TariffRow, ...]]

    @classmethod
    def of(cls, rows: Iterable[TariffRow]) -> TariffIndex:
        grouped: dict[str, list[TariffRow]] = {}
        for row in rows:
            grouped.setdefault(row.fraccion, []).append(row)
        return cls({key: tuple(found) for key, found in grouped.items()})

    def in_force(self, fraccion: str, nico: str | None, day: dt.date) -> list[TariffRow]:
        return sorted(
            (
                row
                for row in self.by_fraccion.get(fraccion, ())
                if (nico is None or row.nico == nico) and row.covers(day)
            ),
            key=lambda r: r.nico,
        )


class NicoNeeded(ValueError):
    """The NICOs of a fracción in force on a date have different duties: the lookup needs
    the NICO (10 digits)."""


def igi_rate_on(
    rows: Iterable[TariffRow] | TariffIndex, fraccion: str, nico: str | None, day: dt.date
) -> Decimal | None:
    """The ad valorem IGI rate of a fracción + NICO on ``day``, None when the table has no
    rate for it (no row, or a row without a rate: a descriptions-only catalog, or a date
    the shipped rates do not vouch for).

    Without a NICO the fracción's rate is answered when every NICO in force has the same
    duty (the Tarifa sets duties by fracción; NICOs only subdivide it for statistics);
    :class:`NicoNeeded` when they differ.

    Raises :class:`NoAdValoremRate` naming the fracción, the date and the duty's text
    when the row in force has a specific, mixed or prohibited duty.
    """
    found = (
        rows.in_force(fraccion, nico, day)
        if isinstance(rows, TariffIndex)
        else in_force(rows, fraccion, nico, day)
    )
    if not found:
        return None
    if len({(r.igi_rate, r.igi_text) for r in found}) > 1:
        raise NicoNeeded(
            f"fracción {dotted(fraccion)} has NICOs with different duties on "
            f"{day.isoformat()}: give the NICO (10 digits)"
        )
    row = found[0]
    if row.igi_rate is None and row.igi_text:
        raise NoAdValoremRate(row.no_rate_reason(day))
    return row.igi_rate


def merge_release(
    current: Sequence[TariffRow], release: Sequence[TariffRow], since: dt.date
) -> list[TariffRow]:
    """The table after a partial release (see :func:`apply_release`)."""
    return apply_release(current, release, since).rows


@dataclass(frozen=True, slots=True)
class HtsRow:
    """A US HTS line the company exports under, with its general (column 1) duty."""

    hts: str  # 8 or 10 digits, no dots
    description: str
    general_text: str  # as the HTS writes it: "2.5%", "Free", "4.4¢/kg"
    general_rate: Decimal | None  # ad valorem fraction; None when not ad valorem
    source: str


def parse_hts_general(text: str) -> Decimal | None:
    """``Free`` → 0, ``2.5%`` → 0.025; None for specific/compound duties or an empty cell."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if cleaned.lower() == "free":
        return Decimal(0)
    match = re.match(r"^(\d+(?:\.\d+)?)%$", cleaned)
    return Decimal(match.group(1)) / 100 if match else None


def hts_digits(text: str) -> str:
    digits = text.replace(".", "").replace(" ", "").strip()
    if not _DIGITS.match(digits) or len(digits) not in (4, 6, 8, 10):
        raise ValueError(f"HTS number {text!r} must have 4, 6, 8 or 10 digits")
    return digits


def hts_lookup(rows: Iterable[HtsRow], code: str) -> HtsRow | None:
    """The row of ``code``, else the nearest shorter heading that has a rate."""
    digits = hts_digits(code)
    table = {row.hts: row for row in rows}
    for length in (10, 8, 6, 4):
        if length > len(digits):
            continue
        row = table.get(digits[:length])
        if row is not None and (row.general_rate is not None or length == len(digits)):
            return row
    return None


@dataclass(frozen=True, slots=True)
class ProsecRow:
    """A fracción of PROSEC decree Art. 5 with its rate for one sector (Art. 3 fracción)."""

    sector: str
    fraccion: str
    rate: Decimal
    since: dt.date
    until: dt.date | None
    source: str

    def covers(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


def _sector_key(sector: str) -> str:
    return prosec_sector(sector) or sector  # a name in a user's table stays as written


def _program(sector: str) -> str | None:
    checked = prosec_sector(sector)
    return sector_number(checked) if checked else None


def prosec_in_force(
    rows: Iterable[ProsecRow], fraccion: str, day: dt.date, sectors: Iterable[str] | None = None
) -> list[ProsecRow]:
    """PROSEC rows of a fracción in force on ``day`` (only ``sectors`` when given; a sector
    written "xix" or "Sector XIX" is XIX, and a row of an inciso, "XX b", is of program XX)."""
    wanted = None if sectors is None else {_sector_key(s) for s in sectors}
    return sorted(
        (
            row
            for row in rows
            if row.fraccion == fraccion
            and row.covers(day)
            and (wanted is None or _sector_key(row.sector) in wanted or _program(row.sector) in wanted)
        ),
        key=lambda r: (r.rate, r.sector),
    )


def merge_prosec(
    current: Sequence[ProsecRow], release: Sequence[ProsecRow], since: dt.date
) -> list[ProsecRow]:
    """Like :func:`merge_release`, keyed by (sector, fracción)."""
    by_key = {(row.sector, row.fraccion): row for row in release}
    out: list[ProsecRow] = []
    kept: set[tuple[str, str]] = set()
    day_before = since - dt.timedelta(days=1)
    for row in current:
        key = (row.sector, row.fraccion)
        new = by_key.get(key)
        if new is None or not row.covers(since):
            out.append(row)
        elif new.rate == row.rate:
            out.append(row)
            kept.add(key)
        elif row.since <= day_before:
            out.append(replace(row, until=day_before))
    later = _next_starts((((row.sector, row.fraccion), row.since) for row in current), since)
    out.extend(
        replace(new, since=since, until=later.get(key)) for key, new in by_key.items() if key not in kept
    )
    out.sort(key=lambda r: (r.fraccion, r.sector, r.since))
    return out
