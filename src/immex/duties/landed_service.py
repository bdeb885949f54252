"""Use case of ``immex duties landed``: scenario file (+ what-if edits) → landed cost of
each item under each regime, tables and chart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from immex.duties import landed_chart as report
from immex.duties.landed import (
    LandedScenario,
    RegimeCost,
    landed_costs,
    required_dta,
    savings_by_regime,
)
from immex.duties.landed_case import apply_what_if, parse_landed_scenario
from immex.duties.rounding import fixed2
from immex.duties.rules_data import duty_rules, iva_rates, tmec_parties
from immex.duties.service import CaseError, load_case_json
from immex.duties.tariff import igi_rate_on, prosec_in_force, split_fraccion
from immex.duties.tariff_service import prosec_rows, tariff_index
from immex.duties.values import DutyRules
from immex.rules import RulesError


@dataclass(frozen=True, slots=True)
class LandedResult:
    scenarios: list[tuple[str, LandedScenario, list[RegimeCost]]]

    def tables(self) -> list[tuple[str, Sequence[RegimeCost]]]:
        return [(name, costs) for name, _, costs in self.scenarios]

    def savings(self) -> list[tuple[str, dict[str, Fraction]]]:
        return [(name, savings_by_regime(costs)) for name, _, costs in self.scenarios]


def _iva_on(day: str) -> Decimal | None:
    try:
        return iva_rates().on(dt.date.fromisoformat(day))
    except RulesError:
        return None


def _parties_on(day: str) -> frozenset[str] | None:
    try:
        return tmec_parties().on(dt.date.fromisoformat(day))
    except RulesError:
        return None


def _tariff_rate(data_dir: Path | None) -> Any:
    def lookup(fraccion: str, day: str) -> Decimal | None:
        try:
            digits, nico = split_fraccion(fraccion)
        except ValueError:
            return None
        # A row with a duty that is not ad valorem raises NoAdValoremRate, a fracción whose
        # NICOs differ NicoNeeded (both ValueErrors, reported on the item).
        return igi_rate_on(tariff_index(data_dir), digits, nico, dt.date.fromisoformat(day))

    return lookup


def _prosec(data_dir: Path | None) -> Any:
    def lookup(fraccion: str, day: str, sectors: frozenset[str]) -> tuple[str, Decimal] | None:
        try:
            digits, _ = split_fraccion(fraccion)
        except ValueError:
            return None
        found = prosec_in_force(prosec_rows(data_dir), digits, dt.date.fromisoformat(day), sectors)
        return (found[0].sector, found[0].rate) if found else None

    return lookup


def scenario_from_data(data: Any, data_dir: Path | None = None, file: str | None = None) -> LandedScenario:
    scenario, problems = parse_landed_scenario(
        data,
        iva_rate_on=_iva_on,
        igi_rate_of=_tariff_rate(data_dir),
        parties_on=_parties_on,
        prosec_of=_prosec(data_dir),
        file=file,
    )
    if scenario is None:
        raise CaseError(problems)
    return scenario


def compute(scenario: LandedScenario, rules: DutyRules | None = None) -> list[RegimeCost]:
    rules = rules or duty_rules()
    dta, problems = required_dta(scenario, rules)
    if dta is None:
        raise CaseError(problems)
    return landed_costs(scenario, dta, rules)


def run_landed(
    data: Any,
    what_if: Sequence[str] = (),
    data_dir: Path | None = None,
    volumes: Mapping[str, Decimal] | None = None,
    file: str | None = None,
) -> LandedResult:
    """Base scenario and, when edits are given, the what-if scenario beside it.

    ``volumes`` (part → annual quantity, e.g. from the stored ledger) replaces the
    quantities of the file for the parts it names."""
    base = scenario_from_data(data, data_dir, file)
    if volumes:
        base = replace(
            base,
            items=tuple(
                replace(item, annual_quantity=volumes.get(item.part, item.annual_quantity))
                for item in base.items
            ),
        )
    out = [("base", base, compute(base))]
    if what_if:
        changed, problems = apply_what_if(data, what_if)
        if problems:
            raise CaseError(problems)
        scenario = scenario_from_data(changed, data_dir, file)
        if volumes:
            edited = {
                e.split("=", 1)[0].split(".")[1]
                for e in what_if
                if e.startswith("items.") and e.split("=", 1)[0].endswith(".annual_quantity")
            }
            scenario = replace(
                scenario,
                items=tuple(
                    item
                    if item.part in edited
                    else replace(item, annual_quantity=volumes.get(item.part, item.annual_quantity))
                    for item in scenario.items
                ),
            )
        out.append(("what-if", scenario, compute(scenario)))
    return LandedResult(out)


def run_landed_file(
    path: Path,
    what_if: Sequence[str] = (),
    data_dir: Path | None = None,
    volumes: Mapping[str, Decimal] | None = None,
) -> LandedResult:
    return run_landed(load_case_json(path), what_if, data_dir, volumes, path.name)


def landed_json(result: LandedResult) -> dict[str, Any]:
    def cost_json(c: RegimeCost) -> dict[str, Any]:
        return {
            "part": c.part,
            "regime": c.regime,
            "available": c.available,
            "reason": c.reason or None,
            "annual_quantity": format(c.annual_quantity, "f"),
            "shipments": c.shipments,
            "customs_value": c.customs_value,
            "igi": c.igi,
            "cc": c.cc,
            "dta": c.dta,
            "iva": c.iva,
            "iva_forma_pago": c.iva_forma_pago,
            "iva_cash_cost": fixed2(c.iva_cash_cost),
            "art25_igi": c.art25_igi,
            "change_of_regime_igi": c.change_of_regime_igi,
            "landed_cost": fixed2(c.landed_cost) if c.available else None,
            "landed_cost_per_unit": fixed2(c.per_unit) if c.available else None,
            "savings_vs_definitive": (
                None if c.savings_vs_definitive is None else fixed2(c.savings_vs_definitive)
            ),
        }

    out: dict[str, Any] = {"command": "landed", "scenarios": []}
    for (name, scenario, costs), (_, totals) in zip(result.scenarios, result.savings(), strict=True):
        out["scenarios"].append(
            {
                "name": name,
                "date": scenario.date.isoformat(),
                "items": [cost_json(c) for c in costs],
                "savings_by_regime": {r: fixed2(v) for r, v in totals.items()},
            }
        )
    return out


def landed_text(result: LandedResult) -> str:
    lines: list[str] = []
    for name, _, costs in result.scenarios:
        lines.append(f"== {name}")
        lines.append(
            f"{'part':<12} {'regime':<11} {'landed/yr':>16} {'per unit':>12} {'savings/yr':>16}  note"
        )
        for c in costs:
            if not c.available:
                lines.append(f"{c.part:<12} {c.regime:<11} {'-':>16} {'-':>12} {'-':>16}  {c.reason}")
                continue
            savings = "" if c.savings_vs_definitive is None else fixed2(c.savings_vs_definitive)
            lines.append(
                f"{c.part:<12} {c.regime:<11} {fixed2(c.landed_cost):>16} "
                f"{fixed2(c.per_unit):>12} {savings:>16}"
            )
    for name, totals in result.savings():
        lines.append(
            f"savings by regime ({name}): "
            + ", ".join(f"{r} {fixed2(v)}" for r, v in totals.items() if r != "definitive")
        )
    return "\n".join(lines)


def write_outputs(
    result: LandedResult, csv_path: Path | None, xlsx_path: Path | None, chart_path: Path | None
) -> None:
    if csv_path is not None:
        report.write_csv(result.tables(), csv_path)
    if xlsx_path is not None:
        report.write_xlsx(result.tables(), result.savings(), xlsx_path)
    if chart_path is not None:
        report.savings_chart(result.savings(), chart_path)
