"""What to do with a lot that expires or has expired, and what each choice would cost.

For an open temporary-import lot the company can return it (``RT``/``H1``), transfer
it virtually (``V1``/``V5``) or change it to definitive import (``F4``, ``F5`` for a
fixed asset) before its Ley Aduanera Art. 108 deadline; after it, only a
regularization (``A3``) is open. Returns and transfers pay no contributions; a change
of regime and a regularization pay those of a definitive import of what remains (IGI,
DTA, IVA, by the duty engine of :mod:`immex.duties.pedimento`), with the rates, quotas
and exchange rate of the temporary import's date, updated by the actualización (CFF Art.
17-A, INPC factor from the month the goods entered, :mod:`immex.reports.actualizacion`):
a change of regime up to the month of the change (Reglamento de la Ley Aduanera Art. 140
fr. III), a regularization up to the payment, plus recargos (CFF Art. 21) on the
actualized amount. A month whose Ley de Ingresos rate is not in the data takes the last
rate known, and the report's notes say so. Every legal fact is in
``rules/lot_options.yaml`` and ``rules/inpc.yaml`` with its citation.

A cost that cannot be computed is never 0: :attr:`LotOptions.missing` says what is
missing (the value, the fracción, the exchange rate, the IGI rate on that date ...).
Pure: values in, values out (the tariff, exchange rates and material terms are given).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from immex.discharge.methods import Balance
from immex.duties.from_ledger import MaterialTerms
from immex.duties.ieps import RULES_FILE as IEPS_FILE
from immex.duties.ieps import ieps_categories, ieps_rate_on
from immex.duties.pedimento import compute_pedimento, resolve_dta
from immex.duties.rounding import exact, payment_round
from immex.duties.rules_data import iva_rates
from immex.duties.tariff import NicoNeeded, NoAdValoremRate, TariffIndex, igi_rate_on, split_fraccion
from immex.duties.values import (
    Company,
    DutyRules,
    Incrementables,
    PedimentoCase,
    PedimentoLine,
    Preference,
)
from immex.ledger.model import ImportLine
from immex.reports.actualizacion import InpcTable, factor_for, inpc_table
from immex.reports.labels import Lang, Reason, in_lang, sentence
from immex.rules import EffectiveSeries, Period, RulesError, as_decimal, build_series, read_yaml, require_keys

RULES_FILE = "lot_options.yaml"
OPTION_NAMES = ("return", "virtual_transfer", "change_of_regime", "regularization")
OPENS = ("before_deadline", "after_deadline")


# --------------------------------------------------------------------------- legal data


@dataclass(frozen=True, slots=True)
class OptionRule:
    name: str
    claves: tuple[str, ...]
    open: str
    reference: str


@dataclass(frozen=True, slots=True)
class LotOptionRules:
    """``rules/lot_options.yaml``, checked."""

    options: dict[str, OptionRule]
    change_of_regime_clave: dict[str, str]
    """``asset`` → F5, ``other`` → F4."""
    mora_increase: Decimal
    prorroga_rate: EffectiveSeries[Decimal]
    not_included: dict[str, str]
    tmec_originating_rate: Decimal
    date_basis: str
    rate_not_found: dict[int, str]
    """Year → why its Ley de Ingresos rate is not in the data (the last rate known is used, and said)."""


def _option(name: str, entry: Mapping[str, Any]) -> tuple[OptionRule, dict[str, str]]:
    keys = {"description", "claves", "open", "reference"}
    require_keys(entry, keys, keys, f"options.{name}")
    if entry["open"] not in OPENS or not str(entry["reference"]).strip():
        raise RulesError(f"options.{name}: open must be one of {OPENS} and reference non-empty")
    claves = entry["claves"]
    by_kind: dict[str, str] = {}
    if isinstance(claves, dict):
        require_keys(claves, {"asset", "other"}, {"asset", "other"}, f"options.{name}.claves")
        by_kind = {str(k): str(v) for k, v in claves.items()}
        claves = [by_kind["other"], by_kind["asset"]]
    return OptionRule(name, tuple(str(c) for c in claves), entry["open"], str(entry["reference"])), by_kind


def parse_rules(data: Any) -> LotOptionRules:
    """The checked content of ``rules/lot_options.yaml`` (RulesError on anything off)."""
    top = {"definitive_import_date", "options", "recargos", "not_included", "tmec_originating_rate"}
    require_keys(data, top, top, RULES_FILE)
    basis = data["definitive_import_date"]
    require_keys(basis, {"description", "reference", "value"}, {"description", "reference", "value"}, "date")
    if basis["value"] != "temporary_import":
        raise RulesError(f"definitive_import_date: {basis['value']!r} is not supported")
    require_keys(data["options"], set(OPTION_NAMES), set(OPTION_NAMES), "options")
    options: dict[str, OptionRule] = {}
    regime: dict[str, str] = {}
    for name in OPTION_NAMES:
        options[name], by_kind = _option(name, data["options"][name])
        regime = by_kind or regime
    recargos = data["recargos"]
    keys = {"description", "reference", "mora_increase", "mora_increase_reference", "prorroga_monthly_rate"}
    require_keys(recargos, keys, keys | {"not_found"}, "recargos")
    not_found = recargos.get("not_found") or {}
    if not isinstance(not_found, dict) or not all(
        isinstance(year, int) and str(why).strip() for year, why in not_found.items()
    ):
        raise RulesError("recargos.not_found: a mapping of year to a non-empty reason")
    series = build_series("recargos.prorroga_monthly_rate", recargos["prorroga_monthly_rate"], "rate")
    prorroga = EffectiveSeries(
        series.name,
        tuple(
            Period(p.since, p.until, as_decimal(p.value, f"{series.name} {p.since}"), p.reference)
            for p in series.periods
        ),
    )
    tmec = data["tmec_originating_rate"]
    require_keys(tmec, {"rate", "reference"}, {"rate", "reference"}, "tmec_originating_rate")
    not_included = data["not_included"]
    require_keys(
        not_included, {"actualizacion", "fines", "incrementables"}, set(not_included), "not_included"
    )
    return LotOptionRules(
        options,
        regime,
        as_decimal(recargos["mora_increase"], "recargos.mora_increase"),
        prorroga,
        {str(k): " ".join(str(v).split()) for k, v in not_included.items()},
        as_decimal(tmec["rate"], "tmec_originating_rate.rate"),
        str(basis["value"]),
        {int(year): " ".join(str(why).split()) for year, why in not_found.items()},
    )


@cache
def lot_option_rules() -> LotOptionRules:
    return parse_rules(read_yaml(RULES_FILE))


# --------------------------------------------------------------------------- inputs


ExchangeRate = Callable[[str, dt.date], Decimal | None]
"""(import pedimento, its date) → MXN per USD, or None when not known."""


@dataclass(frozen=True, slots=True)
class CostSources:
    """What the costs are computed from, besides the ledger."""

    duty_rules: DutyRules
    tariff: TariffIndex | None
    exchange_rate: ExchangeRate
    terms: Mapping[str, MaterialTerms]
    rules: LotOptionRules
    exchange_rate_hint: str = Reason("hint_exchange_rate_cli")
    """What to do about a missing exchange rate (the web says: give it in the form)."""
    load_tariff: Callable[[], TariffIndex] | None = None
    """Loads the tariff table on the first lot that needs it (when ``tariff`` is None)."""
    inpc: InpcTable | None = None
    """The INPC table of the actualización (None: the shipped ``rules/inpc.yaml``)."""

    def inpc_table(self) -> InpcTable:
        return self.inpc if self.inpc is not None else inpc_table()

    def tariff_table(self) -> TariffIndex | None:
        if self.tariff is None and self.load_tariff is not None:
            return self.load_tariff()  # the shipped table is cached by tariff_service
        return self.tariff


def no_exchange_rate(_pedimento: str, _day: dt.date) -> Decimal | None:
    return None


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Definitive:
    """Contributions of a definitive import of what remains of a lot (whole pesos)."""

    exchange_rate: Decimal
    customs_value: int
    igi_rate: Decimal
    rate_source: str
    igi: int
    dta: int
    iva: int
    ieps: int = 0
    """Ad valorem IEPS of the part's category (material terms ``ieps_category``), in the IVA base."""

    @property
    def total(self) -> int:
        return self.igi + self.dta + self.iva + self.ieps


@dataclass(frozen=True, slots=True)
class LotOptions:
    """The choices for one lot and their cost; ``missing`` says why a cost is empty."""

    open_before_deadline: bool
    change_of_regime_clave: str
    definitive: Definitive | None
    regularization_on: dt.date
    recargos: int | None
    recargos_months: int
    missing: tuple[str, ...]
    actualizacion_factor: Decimal | None = None
    actualizacion: int | None = None
    """R(contributions × factor) − contributions, whole pesos (CFF Art. 17-A)."""
    inpc_used: tuple[str, ...] = ()
    """The INPC months of each factor, by clave (``F4: INPC 2026-02 / INPC 2025-03; A3: ...``)."""
    change_of_regime_actualizacion: int | None = None
    """The actualización of a change of regime on the as-of date (RLA Art. 140 fr. III)."""

    @property
    def change_of_regime_cost(self) -> int | None:
        if self.definitive is None or not self.open_before_deadline:
            return None
        if self.change_of_regime_actualizacion is None:
            return None
        return self.definitive.total + self.change_of_regime_actualizacion

    @property
    def regularization_cost(self) -> int | None:
        if self.definitive is None or self.recargos is None or self.actualizacion is None:
            return None
        return self.definitive.total + self.actualizacion + self.recargos


# --------------------------------------------------------------------------- arithmetic


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def months_or_fraction(start: dt.date, end: dt.date) -> int:
    """Months from ``start`` to ``end``, a started month counting whole (CFF Art. 21 "mes o fracción")."""
    if end <= start:
        return 0
    whole = (end.year - start.year) * 12 + end.month - start.month
    while whole > 0 and add_months(start, whole) > end:
        whole -= 1
    return whole + (1 if add_months(start, whole) < end else 0)


def recargos_rate(start: dt.date, months: int, rules: LotOptionRules) -> tuple[Fraction | None, str]:
    """Σ of the monthly mora rates (Ley de Ingresos rate × 1.5) of each month from ``start``.

    A month after the last period of the data takes the last period's rate (the Ley de
    Ingresos of that year was not found; :func:`report_notes` says so); a month before the
    first period has no rate.
    """
    total = Fraction(0)
    factor = 1 + exact(rules.mora_increase)
    for k in range(months):
        month = add_months(start, k)
        rate = _monthly_rate(month, rules)
        if rate is None:
            span = _span(rules.prorroga_rate)
            return None, Reason(
                "missing_recargos_rate", month=month.strftime("%Y-%m"), file=RULES_FILE, span=span
            )
        total += exact(rate) * factor
    return total, ""


def _monthly_rate(month: dt.date, rules: LotOptionRules) -> Decimal | None:
    """The Ley de Ingresos prórroga rate of ``month``; after the data's last period, the last one."""
    try:
        return rules.prorroga_rate.on(month)
    except RulesError:
        last = rules.prorroga_rate.periods[-1]
        if last.until is not None and month > last.until:
            return last.value
        return None


def carried_over_note(rules: LotOptionRules, lang: Lang = "en") -> str:
    """What the report says about the years whose Ley de Ingresos rate is not in the data."""
    last = rules.prorroga_rate.periods[-1]
    if last.until is None:
        return ""
    reasons = "; ".join(f"{year}: {why}" for year, why in sorted(rules.rate_not_found.items()))
    return sentence(
        "recargos_carried_over",
        lang,
        until=last.until.isoformat(),
        rate=format((last.value * 100).normalize(), "f"),
        since=last.since.isoformat(),
        reasons=reasons or sentence("not_found", lang),
    )


def _span(series: EffectiveSeries[Decimal]) -> Reason:
    periods = series.periods
    since, until = periods[0].since.isoformat(), periods[-1].until
    return (
        Reason("rates_span", since=since, until=until.isoformat())
        if until
        else Reason("rates_span_open", since=since)
    )


# --------------------------------------------------------------------------- the definitive import


def remaining_value_usd(lot: ImportLine, remaining: Decimal) -> Fraction | None:
    """Exact USD value of what remains (unit_value_usd is per unit as written)."""
    imported = lot.qty + lot.adjusted
    if lot.unit_value_usd is None or imported == 0:
        return None
    given = imported if lot.qty_given is None else lot.qty_given
    return exact(lot.unit_value_usd) * exact(given) * exact(remaining) / exact(imported)


def _igi_rate(
    lot: ImportLine, fraccion: str, nico: str | None, sources: CostSources
) -> tuple[Decimal | None, Preference | None, str, str]:
    """(rate, preference, where the rate comes from, what is missing)."""
    term = sources.terms.get(lot.part)
    if term is not None and term.originating:
        tmec = sources.rules.tmec_originating_rate
        return tmec, Preference("TMEC", tmec), Reason("rate_source_tmec"), ""
    if term is not None and term.igi_rate is not None:
        preference = term.preference()
        source = (
            Reason("rate_source_terms")
            if preference is None
            else Reason("rate_source_program", program=preference.program)
        )
        return term.igi_rate, preference, source, ""
    table = sources.tariff_table()
    if table is None:
        return None, None, "", Reason("missing_igi_no_tariff")
    day = lot.cleared_on.isoformat()
    try:
        rate: Decimal | None = igi_rate_on(table, fraccion, nico, lot.cleared_on)
    except (NoAdValoremRate, NicoNeeded) as exc:
        return None, None, "", Reason("missing_igi", error=exc)
    if rate is None:
        return None, None, "", Reason("missing_igi_on_date", fraccion=fraccion, day=day)
    return rate, None, "LIGIE", ""


def definitive_cost(
    lot: ImportLine, remaining: Decimal, hs: str, sources: CostSources
) -> tuple[Definitive | None, list[str]]:
    """IGI, DTA and IVA of a definitive import (A1 contributions) of what remains of ``lot``.

    Rates, quotas and the exchange rate are those of the temporary import's date
    (rules/lot_options.yaml ``definitive_import_date``); the customs value is the
    commercial value (the ledger has no incrementables).
    """
    missing: list[str] = []
    value = remaining_value_usd(lot, remaining)
    if value is None:
        missing.append(Reason("missing_unit_value"))
    fraccion, nico = "", None
    try:
        fraccion, nico = split_fraccion(hs)
    except ValueError as exc:
        missing.append(Reason("missing_fraccion_unreadable", error=exc) if hs else Reason("missing_fraccion"))
    rate = sources.exchange_rate(lot.pedimento, lot.cleared_on)
    if rate is None:
        day = lot.cleared_on.isoformat()
        missing.append(Reason("missing_exchange_rate", day=day, hint=sources.exchange_rate_hint))
    igi_rate, preference, rate_source, why = (None, None, "", "")
    if fraccion:
        igi_rate, preference, rate_source, why = _igi_rate(lot, fraccion, nico, sources)
        if why:
            missing.append(why)
    try:
        iva_rate = iva_rates().on(lot.cleared_on)
    except RulesError as exc:
        missing.append(Reason("missing_iva_rate", error=exc))
    ieps_rate = _ieps_rate(lot, sources, missing)
    if missing or value is None or rate is None or igi_rate is None:
        return None, missing
    line = PedimentoLine(1, fraccion, value, igi_rate, preference, Decimal(0), iva_rate, ieps_rate)
    case = PedimentoCase("A1", lot.cleared_on, rate, Incrementables(), iva_rate, Company(immex=True), (line,))
    dta, problems = resolve_dta(case, sources.duty_rules)
    if dta is None:
        return None, [Reason("missing_dta", detail=p.message) for p in problems]
    result = compute_pedimento(case, dta, sources.duty_rules)
    codes = sources.duty_rules.catalog.contributions
    by_code = result.by_code
    return (
        Definitive(
            rate,
            result.customs_value,
            igi_rate if preference is None else preference.rate,
            rate_source,
            by_code.get(codes["igi"][0], 0),
            by_code.get(codes["dta"][0], 0),
            by_code.get(codes["iva"][0], 0),
            sum(line.ieps for line in result.lines),
        ),
        [],
    )


def _ieps_rate(lot: ImportLine, sources: CostSources, missing: list[str]) -> Decimal:
    """The IEPS rate of the part's category on the import date (0 when the terms name none)."""
    term = sources.terms.get(lot.part)
    if term is None or term.ieps_category is None:
        return Decimal(0)
    rate, why = ieps_rate_on(term.ieps_category, lot.cleared_on)
    if rate is None:  # an unknown category is refused where the terms are read: a date without rate
        known = term.ieps_category in ieps_categories()
        day = lot.cleared_on.isoformat()
        reason = Reason("missing_ieps_rate", category=term.ieps_category, day=day, file=IEPS_FILE)
        missing.append(reason if known else why)
        return Decimal(0)
    return rate


def lot_options(
    lot: ImportLine, balance: Balance, kind: str, hs: str, as_of: dt.date, sources: CostSources
) -> LotOptions:
    """The choices for ``lot`` on ``as_of`` and what each costs.

    A regularization is costed on ``as_of`` for an overdue lot, else on the first
    day after the deadline (what letting it expire would cost).
    """
    rules = sources.rules
    before = balance.status != "overdue"
    clave = rules.change_of_regime_clave["asset" if kind == "asset" else "other"]
    definitive, missing = definitive_cost(lot, balance.qty_remaining, hs, sources)
    deadline = balance.deadline
    pay_on = as_of if not before or deadline is None else max(as_of, deadline + dt.timedelta(days=1))
    months = months_or_fraction(lot.cleared_on, pay_on)
    table = sources.inpc_table()
    used: list[str] = []
    change_update: int | None = None
    if before:  # RLA Art. 140 fr. III: updated from the month of entry to the change (today)
        change, why_change = factor_for(lot.cleared_on, max(as_of, lot.cleared_on), table)
        if change is None:
            missing.append(Reason("of_clave", clave=clave, reason=why_change))
        else:
            used.append(Reason("of_clave", clave=clave, reason=change.indexes()))
            change_update = _updated(definitive, change.value)[0]
    factor, why_factor = factor_for(lot.cleared_on, pay_on, table)
    if factor is None:
        missing.append(why_factor)
    else:
        regularize = "/".join(rules.options["regularization"].claves)
        used.append(Reason("of_clave", clave=regularize, reason=factor.indexes()))
    rate, why_rate = recargos_rate(lot.cleared_on, months, rules)
    if why_rate:
        missing.append(why_rate)
    actualizacion, updated = _updated(definitive, None if factor is None else factor.value)
    recargos = None if updated is None or rate is None else payment_round(updated * rate)
    return LotOptions(
        before,
        clave,
        definitive,
        pay_on,
        recargos,
        months,
        tuple(missing),
        None if factor is None else factor.value,
        actualizacion,
        tuple(used),
        change_update,
    )


def _updated(definitive: Definitive | None, factor: Decimal | None) -> tuple[int | None, Fraction | None]:
    """(actualización in whole pesos, the exact updated amount) of the contributions, or Nones."""
    if definitive is None or factor is None:
        return None, None
    updated = Fraction(definitive.total) * exact(factor)  # CFF Art. 21: recargos on the updated amount
    return payment_round(updated) - definitive.total, updated


def advice(
    balance: Balance, options: LotOptions, rules: LotOptionRules | None = None, lang: Lang = "es"
) -> str:
    """One sentence for the manager: the choices open today and what each costs, in ``lang``.

    The sentences are those of the report label catalog (``reports/labels.yaml``,
    ``sentences``); the claves come from ``rules/lot_options.yaml`` (an option's claves,
    joined with ``/``).
    """
    rules = rules or lot_option_rules()

    def claves(option: str) -> str:
        return "/".join(rules.options[option].claves)

    def cost(clave: str, amount: int | None) -> str:
        if amount is None:
            return sentence("cost_unknown", lang, clave=clave)
        return sentence("cost", lang, clave=clave, amount=f"{amount:,}")

    regularize = claves("regularization")
    a3 = cost(regularize, options.regularization_cost)
    if not options.open_before_deadline:
        return sentence(
            "advice_overdue",
            lang,
            deadline=balance.deadline,
            clave=regularize,
            cost=a3,
            months=options.recargos_months,
        )
    return sentence(
        "advice_open",
        lang,
        deadline=balance.deadline,
        returns=claves("return"),
        transfers=claves("virtual_transfer"),
        change=cost(options.change_of_regime_clave, options.change_of_regime_cost),
        regularization_on=options.regularization_on,
        cost=a3,
    )


# --------------------------------------------------------------------------- report cells

OPTION_COLUMNS = (
    "exchange_rate",
    "customs_value_mxn",
    "igi_rate_pct",
    "igi_rate_source",
    "igi_mxn",
    "dta_mxn",
    "iva_mxn",
    "ieps_mxn",
    "return_mxn",
    "change_of_regime_clave",
    "change_of_regime_actualizacion_mxn",
    "change_of_regime_mxn",
    "regularization_on",
    "actualizacion_factor",
    "actualizacion_inpc",
    "actualizacion_mxn",
    "recargos_months",
    "recargos_mxn",
    "regularization_mxn",
    "cost_missing",
)
"""Columns the expiring report adds after ``what_to_do`` (amounts in whole pesos)."""

Cell = str | int | Decimal | dt.date | None


def option_cells(options: LotOptions, lang: Lang = "es") -> tuple[Cell, ...]:
    """The :data:`OPTION_COLUMNS` of one lot; an amount that cannot be computed is empty, never 0.

    Where a rate comes from and why a cost is missing are in ``lang``."""
    d = options.definitive
    before = options.open_before_deadline
    return (
        None if d is None else d.exchange_rate,
        None if d is None else d.customs_value,
        None if d is None else d.igi_rate * 100,
        None if d is None else in_lang(d.rate_source, lang),
        None if d is None else d.igi,
        None if d is None else d.dta,
        None if d is None else d.iva,
        None if d is None else d.ieps,
        0 if before else None,
        options.change_of_regime_clave if before else None,
        options.change_of_regime_actualizacion if before else None,
        options.change_of_regime_cost,
        options.regularization_on,
        options.actualizacion_factor,
        "; ".join(in_lang(used, lang) for used in options.inpc_used) or None,
        options.actualizacion,
        options.recargos_months,
        options.recargos,
        options.regularization_cost,
        "; ".join(in_lang(reason, lang) for reason in options.missing),
    )


def report_notes(rules: LotOptionRules, lang: Lang = "es") -> tuple[str, ...]:
    """What every cost of the report leaves out, and where the law for each option is cited, in
    ``lang`` (what is not included is quoted from rules/lot_options.yaml, in English there)."""
    notes = rules.not_included
    carried = carried_over_note(rules, lang)
    items = f"{notes['actualizacion']}; {notes['fines']}; {notes['incrementables']}"
    return (
        sentence("expiring_costs_note", lang),
        *((carried,) if carried else ()),
        sentence("not_included", lang, items=items),
        sentence("legal_data", lang, file=RULES_FILE),
    )


def default_sources(
    exchange_rate: ExchangeRate = no_exchange_rate,
    terms: Mapping[str, MaterialTerms] | None = None,
    tariff: TariffIndex | None = None,
) -> CostSources:
    """The shipped duty rules and tariff table, with what the user gave."""
    from immex.duties.rules_data import duty_rules
    from immex.duties.tariff_service import tariff_index

    return CostSources(
        duty_rules(),
        tariff,
        exchange_rate,
        terms or {},
        lot_option_rules(),
        load_tariff=tariff_index if tariff is None else None,
    )


# --------------------------------------------------------------------------- adapters (files)


def cost_sources(
    exchange_rates: Path | None = None, exchange_rate: str | None = None, terms: Path | None = None
) -> CostSources:
    """Sources from the files a user gives (``--exchange-rates``, ``--exchange-rate``, ``--terms``).

    Bad input raises InputError naming the file, row and column (exit 2, nothing stored).
    """
    from immex.core.numbers import parse_decimal
    from immex.core.problems import InputError, Problem
    from immex.duties.ledger_service import read_exchange_rates, read_material_terms

    if exchange_rates is not None and exchange_rate is not None:
        both = "give either --exchange-rates FILE or --exchange-rate MXN_PER_USD, not both"
        raise InputError([Problem("", None, "--exchange-rate", both)])
    rate_of: ExchangeRate = no_exchange_rate
    if exchange_rates is not None:
        table = read_exchange_rates(exchange_rates)
        rate_of = table.on
    elif exchange_rate is not None:
        try:
            fixed = parse_decimal(exchange_rate)
        except ValueError as exc:
            raise InputError([Problem("", None, "--exchange-rate", str(exc))]) from None
        if fixed <= 0:
            raise InputError([Problem("", None, "--exchange-rate", f"{exchange_rate!r} must be > 0")])
        rate_of = lambda _pedimento, _day: fixed  # noqa: E731
    return default_sources(rate_of, read_material_terms(terms) if terms is not None else None)
