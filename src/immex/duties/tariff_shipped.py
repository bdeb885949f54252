"""The LIGIE table shipped with immex, composed from the releases of ``releases.yaml``.

``rules/duties/tariff/releases.yaml`` lists, in order, the files that make the table and
the date each one is in force from. The first (``ligie.csv``) is a whole table in the
project's format; each later one is a release in the compact layout of
:data:`RELEASE_COLUMNS` (one row per fracción + NICO, no dates), applied as ``immex duties
tariff update --full`` applies an official file: every row open on its date that changes
or that it does not list is closed the day before. A release with ``rates: false`` brings
only the nomenclature (descriptions and units): a date it covers has the fracción without
a rate, so a rate for it must come from a release the user loads or from the case.

Loading is strict (:class:`immex.rules.RulesError`): unknown keys, a source id that
``sources.yaml`` does not cite, dates out of order, malformed or repeated rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from immex.duties.tariff import TariffRow, apply_release
from immex.rules import RulesError, as_date, parse_yaml, require_keys

RELEASE_COLUMNS = ("fraccion", "nico", "description", "unit", "igi_rate", "igi_text")
LAYOUTS = ("table", "release")
_PACKAGE = "immex.rules.duties"


@dataclass(frozen=True, slots=True)
class ShippedRelease:
    """One entry of ``releases.yaml``: a file, the date it is in force from, its source id
    (cited in ``sources.yaml``) and whether its rates are taken (``rates: false`` keeps
    only fracciones, NICOs, descriptions and units)."""

    file: str
    layout: str
    since: dt.date | None
    source: str | None
    rates: bool


def _text(name: str) -> str:
    return resources.files(_PACKAGE).joinpath("tariff", name).read_text(encoding="utf-8")


def cited_sources() -> dict[str, Any]:
    """``sources.yaml``: source id → its description and reference."""
    data = parse_yaml(_text("sources.yaml"))
    if not isinstance(data, dict):
        raise RulesError("tariff/sources.yaml: expected a mapping of source ids")
    for key, entry in data.items():
        if not isinstance(entry, dict) or not str(entry.get("reference") or "").strip():
            raise RulesError(f"tariff/sources.yaml: {key}: empty reference")
    return data


def load_releases() -> list[ShippedRelease]:
    """The entries of ``releases.yaml``, checked."""
    data = parse_yaml(_text("releases.yaml"))
    where = "tariff/releases.yaml"
    if not isinstance(data, dict):
        raise RulesError(f"{where}: expected a mapping")
    require_keys(data, {"releases"}, {"releases"}, where)
    sources = cited_sources()
    out: list[ShippedRelease] = []
    for number, entry in enumerate(data["releases"] or [], start=1):
        at = f"{where}: release {number}"
        if not isinstance(entry, dict):
            raise RulesError(f"{at}: expected a mapping")
        layout = entry.get("layout")
        if layout == "table":
            require_keys(entry, {"file", "layout"}, {"file", "layout"}, at)
            out.append(ShippedRelease(str(entry["file"]), "table", None, None, False))
            continue
        if layout != "release":
            raise RulesError(f"{at}: layout must be one of {', '.join(LAYOUTS)}")
        keys = {"file", "layout", "since", "source", "rates"}
        require_keys(entry, keys, keys, at)
        since = as_date(entry["since"], f"{at}.since")
        source = str(entry["source"])
        if source not in sources:
            raise RulesError(f"{at}: source {source!r} is not cited in tariff/sources.yaml")
        if not isinstance(entry["rates"], bool):
            raise RulesError(f"{at}: rates must be true or false")
        previous = [r.since for r in out if r.since is not None]
        if previous and since <= previous[-1]:
            raise RulesError(f"{at}: since {since} is not after the previous release")
        out.append(ShippedRelease(str(entry["file"]), "release", since, source, entry["rates"]))
    if not out or out[0].layout != "table":
        raise RulesError(f"{where}: the first release must be the base table (layout: table)")
    return out


def read_release_csv(text: str, name: str, since: dt.date, source: str, *, rates: bool) -> list[TariffRow]:
    """Rows of a compact release file, in force from ``since``; without their rates (and
    duty texts) when ``rates`` is false."""
    reader = csv.reader(io.StringIO(text))
    if tuple(next(reader, ())) != RELEASE_COLUMNS:
        raise RulesError(f"{name}: header must be {','.join(RELEASE_COLUMNS)}")
    rows: list[TariffRow] = []
    seen: set[tuple[str, str]] = set()
    rate_of: dict[str, Decimal | None] = {}  # a few dozen distinct rates: parsed once
    for number, cells in enumerate(reader, start=2):
        if len(cells) != len(RELEASE_COLUMNS):
            raise RulesError(f"{name}:{number}: expected {len(RELEASE_COLUMNS)} cells")
        fraccion, nico, description, unit, rate_cell, text_ = cells
        if len(fraccion) != 8 or not fraccion.isdigit() or len(nico) != 2 or not nico.isdigit():
            raise RulesError(f"{name}:{number}: fracción must be 8 digits and NICO 2")
        if (fraccion, nico) in seen:
            raise RulesError(f"{name}:{number}: {fraccion} NICO {nico} repeats")
        seen.add((fraccion, nico))
        if rate_cell not in rate_of:
            rate_of[rate_cell] = _rate(rate_cell, f"{name}:{number}")
        rate = rate_of[rate_cell]
        if (rate is None) == (not text_):
            raise RulesError(
                f"{name}:{number}: a row has an ad valorem igi_rate or the text of another duty (exactly one)"
            )
        if not rates:
            rate, text_ = None, ""
        rows.append(TariffRow(fraccion, nico, description, unit, rate, since, None, source, text_))
    return rows


def _rate(cell: str, where: str) -> Decimal | None:
    if not cell:
        return None
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise RulesError(f"{where}: igi_rate {cell!r} is not a decimal") from None
    if not value.is_finite() or value < 0:
        raise RulesError(f"{where}: igi_rate {cell!r} must be a fraction >= 0")
    return value


def write_release_csv(rows: Iterable[TariffRow]) -> str:
    """A release in the compact layout, sorted by fracción and NICO (deterministic: the
    same rows give the same bytes). Rates are fractions written without exponent or
    trailing zeros (``0.35``, ``0``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RELEASE_COLUMNS)
    for row in sorted(rows, key=lambda r: (r.fraccion, r.nico)):
        rate = "" if row.igi_rate is None else format(row.igi_rate.normalize(), "f")
        writer.writerow([row.fraccion, row.nico, row.description, row.unit, rate, row.igi_text])
    return out.getvalue()


def compose_shipped(read_table: Any) -> list[TariffRow]:
    """The shipped table: the base table (parsed by ``read_table(text, name)``), then each
    release applied as a full release from its date."""
    releases = load_releases()
    rows: list[TariffRow] = read_table(_text(releases[0].file), releases[0].file)
    for release in releases[1:]:
        assert release.since is not None and release.source is not None
        entries = read_release_csv(
            _text(release.file), release.file, release.since, release.source, rates=release.rates
        )
        rows = apply_release(rows, entries, release.since, full=True).rows
    return rows
