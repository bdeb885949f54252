"""Anexo 22 (RGCE) catalogs — the apéndices a pedimento and a Data Stage use.

Each ``apendice_*.yaml`` file in this folder is one catalog with its legal
reference, the source it was taken from, and a ``since`` date (optionally
overridden per entry, with an optional ``until``). Loading is strict, as for
every file under ``rules/``: an unknown key, a duplicate code, an empty
citation or a bad date raise :class:`~immex.rules.RulesError` at load time.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from immex.rules import RulesError, as_date, read_yaml, require_keys

_HEADER_KEYS = {"catalog", "title", "reference", "source", "since", "entries"}
_ENTRY_KEYS = {"code", "description", "since", "until", "source"}

SETTLEMENTS = ("paid", "paid_elsewhere", "pending", "guaranteed", "credited", "not_due", "other")
"""What an amount declared under a forma de pago (Apéndice 13) is; see ``apendice_13_formas_pago.yaml``.
Only ``paid`` is money paid with this pedimento."""


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One code of an apéndice, in force from ``since`` through ``until`` (None = open)."""

    code: str
    description: str
    since: dt.date
    until: dt.date | None
    names: tuple[str, ...] = ()
    abbreviation: str = ""
    settlement: str = ""
    """Apéndice 13 only: one of :data:`SETTLEMENTS`."""
    claves: tuple[str, ...] = ()
    """Generic fracción codes only: the claves de pedimento the code is declared under."""

    def in_force(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True, slots=True)
class Catalog:
    """An Anexo 22 apéndice: codes with their validity, reference and source."""

    name: str
    title: str
    reference: str
    source: str
    entries: Mapping[str, CatalogEntry]

    def get(self, code: str) -> CatalogEntry | None:
        return self.entries.get(code)

    def in_force(self, code: str, day: dt.date) -> bool:
        entry = self.entries.get(code)
        return entry is not None and entry.in_force(day)


def _read(name: str) -> Any:
    return read_yaml(name, __name__)


def load_catalog(
    file_name: str,
    extra_entry_keys: frozenset[str] = frozenset(),
    extra_header_keys: frozenset[str] = frozenset(),
) -> tuple[Catalog, dict[str, Any]]:
    """Load ``rules/anexo22/<file_name>`` strictly; returns the catalog and any extra header data."""
    data = _read(file_name)
    if not isinstance(data, dict):
        raise RulesError(f"{file_name}: expected a mapping")
    require_keys(data, _HEADER_KEYS, _HEADER_KEYS | extra_header_keys, file_name)
    for key in ("title", "reference", "source"):
        if not str(data[key]).strip():
            raise RulesError(f"{file_name}: empty {key}")
    default_since = as_date(data["since"], f"{file_name}.since")
    entries: dict[str, CatalogEntry] = {}
    rows = data["entries"]
    if not isinstance(rows, list) or not rows:
        raise RulesError(f"{file_name}: entries must be a non-empty list")
    for index, row in enumerate(rows):
        where = f"{file_name}.entries[{index}]"
        if not isinstance(row, dict):
            raise RulesError(f"{where}: expected a mapping")
        require_keys(row, {"code", "description"}, _ENTRY_KEYS | extra_entry_keys, where)
        code = str(row["code"]).strip()
        if not code:
            raise RulesError(f"{where}: empty code")
        if code in entries:
            raise RulesError(f"{where}: duplicate code {code!r}")
        since = as_date(row["since"], where) if row.get("since") is not None else default_since
        until = as_date(row["until"], where) if row.get("until") is not None else None
        if until is not None and until < since:
            raise RulesError(f"{where}: until {until} before since {since}")
        names = tuple(str(n).strip().lower() for n in row.get("names", ()))
        claves = tuple(str(c).strip().upper() for c in row.get("claves", ()))
        entries[code] = CatalogEntry(
            code,
            str(row["description"]),
            since,
            until,
            names,
            str(row.get("abbreviation", "")),
            str(row.get("settlement", "")),
            claves,
        )
    extra = {key: data[key] for key in extra_header_keys if key in data}
    catalog = Catalog(
        str(data["catalog"]), str(data["title"]), str(data["reference"]), str(data["source"]), entries
    )
    return catalog, extra


@cache
def aduanas() -> Catalog:
    """Apéndice 1: two-digit aduana codes (the sección digit is not catalogued exhaustively)."""
    catalog, extra = load_catalog("apendice_01_aduanas.yaml", extra_header_keys=frozenset({"secciones"}))
    for index, row in enumerate(extra.get("secciones") or ()):
        where = f"apendice_01_aduanas.yaml.secciones[{index}]"
        require_keys(row, {"code", "description"}, {"code", "description"}, where)
        code = str(row["code"])
        if len(code) != 3 or not code.isdigit() or code[:2] not in catalog.entries:
            raise RulesError(f"{where}: sección {code!r} is not 3 digits of a listed aduana")
    for code in catalog.entries:
        if len(code) != 2 or not code.isdigit():
            raise RulesError(f"apendice_01_aduanas.yaml: aduana {code!r} is not 2 digits")
    return catalog


@cache
def claves_pedimento() -> Catalog:
    """Apéndice 2: claves de pedimento."""
    return load_catalog("apendice_02_claves.yaml")[0]


@cache
def paises_no_iso() -> Catalog:
    """Apéndice 4 codes that are not ISO 3166-1 alpha-3."""
    return load_catalog("apendice_04_paises.yaml")[0]


@cache
def unidades() -> Catalog:
    """Apéndice 7: unidades de medida, with the ledger unit names mapped to each code."""
    catalog = load_catalog("apendice_07_unidades.yaml", extra_entry_keys=frozenset({"names"}))[0]
    seen: dict[str, str] = {}
    for entry in catalog.entries.values():
        if not entry.names:
            raise RulesError(f"apendice_07_unidades.yaml: code {entry.code} has no names")
        for name in entry.names:
            if name in seen and seen[name] != entry.code:
                raise RulesError(
                    f"apendice_07_unidades.yaml: name {name!r} maps to {seen[name]} and {entry.code}"
                )
            seen[name] = entry.code
    return catalog


@cache
def unit_names() -> dict[str, str]:
    """Ledger unit name (lower case, trimmed) → Apéndice 7 code."""
    return {name: entry.code for entry in unidades().entries.values() for name in entry.names}


@cache
def identificadores() -> Catalog:
    """Apéndice 8: identificadores (pedimento and partida level)."""
    return load_catalog("apendice_08_identificadores.yaml")[0]


@cache
def contribuciones() -> Catalog:
    """Apéndice 12: contribution codes."""
    return load_catalog("apendice_12_contribuciones.yaml", extra_entry_keys=frozenset({"abbreviation"}))[0]


@cache
def formas_pago() -> Catalog:
    """Apéndice 13: formas de pago, each with its :data:`SETTLEMENTS` kind."""
    catalog = load_catalog("apendice_13_formas_pago.yaml", extra_entry_keys=frozenset({"settlement"}))[0]
    for entry in catalog.entries.values():
        if entry.settlement not in SETTLEMENTS:
            raise RulesError(
                f"apendice_13_formas_pago.yaml: forma {entry.code} has settlement "
                f"{entry.settlement!r}, expected one of {', '.join(SETTLEMENTS)}"
            )
    return catalog


@cache
def fraccion_placeholders() -> Catalog:
    """Generic fracción codes of the Anexo 22 instructivo (``00000000`` transit, ``99999999`` GC)."""
    catalog = load_catalog("fraccion_placeholders.yaml", extra_entry_keys=frozenset({"claves"}))[0]
    known = claves_pedimento()
    for entry in catalog.entries.values():
        if len(entry.code) != 8 or not entry.code.isdigit():
            raise RulesError(f"fraccion_placeholders.yaml: {entry.code!r} is not 8 digits")
        if not entry.claves or any(known.get(c) is None for c in entry.claves):
            raise RulesError(f"fraccion_placeholders.yaml: code {entry.code} needs claves of Apéndice 2")
    return catalog


@cache
def nomenclaturas() -> Catalog:
    """Editions of the LIGIE Tarifa with their periods (non-overlapping, sorted by start)."""
    catalog = load_catalog("tigie_nomenclaturas.yaml")[0]
    ordered = sorted(catalog.entries.values(), key=lambda e: e.since)
    for before, after in itertools.pairwise(ordered):
        if before.until is None or before.until >= after.since:
            raise RulesError(f"tigie_nomenclaturas.yaml: {before.code} overlaps {after.code}")
    return catalog
