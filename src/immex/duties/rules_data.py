"""Loader of the duty engine's legal data (``dta.yaml``, ``tmec25.yaml``, ``catalogs.yaml``).

Strict like the rest of ``immex.rules``: a missing citation, an unknown key,
a value that is not a quoted decimal or overlapping periods raise
:class:`immex.rules.RulesError` when the file is read.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from immex.duties.values import (
    Catalog,
    CitedValue,
    DtaRow,
    DtaTable,
    DutyRules,
    EvidenceTerm,
)
from immex.rules import (
    EffectiveSeries,
    Period,
    RulesError,
    as_date,
    build_series,
    read_yaml,
    require_keys,
)

_DECIMAL = re.compile(r"^\d+(\.\d+)?$")
DTA_VALUES = ("fr_i_rate", "fr_ii_rate", "fr_iii_quota", "fr_iv_quota", "fr_v_quota")


def read_duties_yaml(name: str) -> Any:
    return read_yaml(name, "immex.rules.duties")


def _reference(entry: Mapping[str, Any], where: str) -> str:
    text = str(entry.get("reference") or "").strip()
    if not text:
        raise RulesError(f"{where}: empty reference")
    return text


def _cited(entry: Any, where: str) -> CitedValue:
    if not isinstance(entry, dict):
        raise RulesError(f"{where}: expected {{value, reference}}")
    require_keys(entry, {"value", "reference"}, {"value", "reference"}, where)
    raw = entry["value"]
    if raw is None:
        return CitedValue(None, _reference(entry, where))
    if not isinstance(raw, str) or not _DECIMAL.match(raw):
        raise RulesError(f"{where}: value {raw!r} must be a quoted plain decimal")
    return CitedValue(Decimal(raw), _reference(entry, where))


def parse_dta_table(data: Any, where: str = "dta.yaml") -> DtaTable:
    """The LFD Art. 49 table from the parsed YAML of ``dta.yaml``."""
    if not isinstance(data, dict):
        raise RulesError(f"{where}: expected a mapping")
    require_keys(data, {"dta"}, {"dta"}, where)
    block = data["dta"]
    require_keys(block, {"description", "reference", "rows"}, {"description", "reference", "rows"}, "dta")
    _reference(block, "dta")
    rows: list[DtaRow] = []
    for index, row in enumerate(block["rows"]):
        at = f"dta.rows[{index}]"
        require_keys(row, {"from", *DTA_VALUES}, {"from", "until", *DTA_VALUES}, at)
        since = as_date(row["from"], at)
        until = as_date(row["until"], at) if row.get("until") is not None else None
        if until is not None and until < since:
            raise RulesError(f"{at}: until {until} is before from {since}")
        cited = [_cited(row[key], f"{at}.{key}") for key in DTA_VALUES]
        rows.append(DtaRow(since, until, *cited))
    rows.sort(key=lambda r: r.since)
    for before, after in itertools.pairwise(rows):
        if before.since == after.since:
            raise RulesError(f"dta: two rows from {after.since}")
        if before.until is not None and before.until >= after.since:
            raise RulesError(f"dta: rows from {before.since} and {after.since} overlap")
    if not rows:
        raise RulesError("dta: no rows")
    return DtaTable(tuple(rows))


def _catalog(data: Any) -> Catalog:
    where = "catalogs.yaml"
    keys = {"reference", "contributions", "formas_pago", "tipos_tasa", "identificadores"}
    require_keys(data, keys, keys | {"input_codes"}, where)  # input_codes: immex.duties.codes
    _reference(data, where)
    contributions: dict[str, tuple[int, str]] = {}
    for name, entry in data["contributions"].items():
        require_keys(
            entry, {"code", "abbr", "reference"}, {"code", "abbr", "reference"}, f"contributions.{name}"
        )
        _reference(entry, f"contributions.{name}")
        contributions[name] = (int(entry["code"]), str(entry["abbr"]))
    codes: dict[str, dict[str, int]] = {}
    for section in ("formas_pago", "tipos_tasa"):
        codes[section] = {}
        for name, entry in data[section].items():
            require_keys(entry, {"code", "reference"}, {"code", "reference"}, f"{section}.{name}")
            _reference(entry, f"{section}.{name}")
            codes[section][name] = int(entry["code"])
    art25 = data["identificadores"]["art25"]
    require_keys(
        art25,
        {"clave", "reference", "complementos"},
        {"clave", "reference", "complementos"},
        "identificadores.art25",
    )
    complementos: dict[str, str] = {}
    for name, entry in art25["complementos"].items():
        require_keys(
            entry, {"code", "reference"}, {"code", "reference"}, f"identificadores.art25.complementos.{name}"
        )
        complementos[name] = str(entry["code"])
    needed = {
        "contributions": ({"dta", "cc", "iva", "igi", "art25"}, contributions.keys()),
        "formas_pago": (
            {"efectivo", "temporal_no_sujeta", "exento", "credito_iva_ieps", "garantia_iva_ieps"},
            codes["formas_pago"].keys(),
        ),
        "tipos_tasa": ({"minima", "cuota_fija", "al_millar"}, codes["tipos_tasa"].keys()),
        "complementos": ({"complementario", "on_return", "not_applicable"}, complementos.keys()),
    }
    for section, (want, have) in needed.items():
        if want - set(have):
            raise RulesError(f"{where}: {section} lacks {sorted(want - set(have))}")
    return Catalog(
        contributions, codes["formas_pago"], codes["tipos_tasa"], str(art25["clave"]), complementos
    )


def _evidence_terms(data: Any) -> tuple[EvidenceTerm, ...]:
    require_keys(data, {"evidence_term", "tmec_parties"}, {"evidence_term", "tmec_parties"}, "tmec25.yaml")
    block = data["evidence_term"]
    require_keys(
        block, {"description", "reference", "rows"}, {"description", "reference", "rows"}, "evidence_term"
    )
    series = build_series("evidence_term", block["rows"], "days")
    terms = []
    for period in series.periods:
        if not isinstance(period.value, int) or period.value <= 0:
            raise RulesError(f"evidence_term: days {period.value!r} must be a positive integer")
        terms.append(EvidenceTerm(period.since, period.until, period.value))
    return tuple(terms)


@cache
def duty_rules() -> DutyRules:
    """The duty engine's legal data shipped with the package (read once)."""
    return DutyRules(
        dta=parse_dta_table(read_duties_yaml("dta.yaml")),
        catalog=_catalog(read_duties_yaml("catalogs.yaml")),
        evidence_terms=_evidence_terms(read_duties_yaml("tmec25.yaml")),
    )


def dta_rows_in_force(day: dt.date) -> DtaRow | None:
    """The LFD Art. 49 row in force on ``day`` (None outside the data)."""
    return duty_rules().dta.row_on(day)


@cache
def iva_rates() -> EffectiveSeries[Decimal]:
    """General IVA rate by period (LIVA Art. 1)."""
    data = read_duties_yaml("iva.yaml")
    require_keys(data, {"iva_rate"}, {"iva_rate"}, "iva.yaml")
    block = data["iva_rate"]
    require_keys(
        block, {"description", "reference", "rows"}, {"description", "reference", "rows"}, "iva_rate"
    )
    series = build_series("iva_rate", block["rows"], "rate")
    periods = []
    for period in series.periods:
        if not isinstance(period.value, str) or not _DECIMAL.match(period.value):
            raise RulesError(f"iva_rate: {period.value!r} must be a quoted plain decimal")
        periods.append(Period(period.since, period.until, Decimal(period.value), period.reference))
    return EffectiveSeries("iva_rate", tuple(periods))


@cache
def tmec_parties() -> EffectiveSeries[frozenset[str]]:
    """Countries (Anexo 22 Apéndice 4 codes) that are T-MEC Parties, by period."""
    block = read_duties_yaml("tmec25.yaml")["tmec_parties"]
    require_keys(
        block, {"description", "reference", "rows"}, {"description", "reference", "rows"}, "tmec_parties"
    )
    series = build_series("tmec_parties", block["rows"], "countries")
    return EffectiveSeries(
        "tmec_parties",
        tuple(
            Period(p.since, p.until, frozenset(str(c) for c in p.value), p.reference) for p in series.periods
        ),
    )
