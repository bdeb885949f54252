"""T-MEC Art. 2.5 (NAFTA Art. 303): the IGI owed on the non-originating materials of an
export or return to the US or Canada, "the lesser of" (contract ``immex duties tmec25``).

M = R(SUM(customs_value_mxn_i * g_i)) over the non-originating materials, one rounding
on the total (Regla 8.2 of the NAFTA customs Resolution, fr. I); U = R(foreign duty ×
exchange rate) (fr. II); exemption = min(M, U); payable = M − exemption.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from immex.duties.rounding import exact, fixed2, payment_round
from immex.duties.values import (
    DutyRules,
    FieldProblem,
    Material,
    MaterialResult,
    Tmec25Case,
    Tmec25Result,
)


def material_rate(material: Material) -> tuple[Decimal, str]:
    """g_i and where it comes from: the preference (PROSEC, Regla 8a) or the TIGIE rate."""
    if material.preference is not None:
        return material.preference.rate, material.preference.program
    return material.igi_rate, "TIGIE"


def mexican_igi_exact(materials: tuple[Material, ...] | list[Material]) -> Fraction:
    """SUM(customs_value_mxn_i * g_i) over the non-originating materials, exact."""
    total = Fraction(0)
    for material in materials:
        if not material.originating:
            rate, _ = material_rate(material)
            total += exact(material.customs_value_mxn) * exact(rate)
    return total


def resolve_tmec25(case: Tmec25Case, rules: DutyRules) -> tuple[dict[str, Decimal | int], list[FieldProblem]]:
    """The fr. V quota and the evidence term the case needs, or the problems."""
    needs = (
        not case.export.same_condition
        and case.foreign_duty is not None
        and payment_round(mexican_igi_exact(case.materials)) > 0
    )
    found: dict[str, Decimal | int] = {}
    if not needs:
        return found, []
    problems: list[FieldProblem] = []
    day = case.export.date
    quota = case.quotas.dta_v
    if quota is None:
        row = rules.dta.row_on(day)
        quota = row.fr_v_quota.value if row is not None else None
    if quota is None:
        problems.append(
            FieldProblem(
                "export.date",
                f"no LFD Art. 49 fr. V quota in force on {day.isoformat()} in the DTA "
                "table; give it as quotas.dta_v",
            )
        )
    else:
        found["dta_v"] = quota
    days = rules.evidence_days_on(day)
    if days is None:
        problems.append(
            FieldProblem("export.date", f"no T-MEC Art. 2.5 evidence term in force on {day.isoformat()}")
        )
    else:
        found["days"] = days
    return found, problems


def compute_tmec25(case: Tmec25Case, resolved: dict[str, Decimal | int], rules: DutyRules) -> Tmec25Result:
    catalog = rules.catalog
    code, abbr = catalog.contributions["art25"]
    cash = catalog.formas_pago["efectivo"]
    ident = catalog.art25_identificador
    compl = catalog.art25_complementos
    applies = not case.export.same_condition

    results: list[MaterialResult] = []
    for material in case.materials:
        rate, source = material_rate(material)
        included = applies and not material.originating
        igi = exact(material.customs_value_mxn) * exact(rate) if included else Fraction(0)
        results.append(MaterialResult(material.id, included, rate, source, fixed2(igi)))

    if not applies:
        return Tmec25Result(
            False, tuple(results), 0, None, 0, 0, code, abbr, cash, ident, compl["not_applicable"], None, 0
        )

    mexican = payment_round(mexican_igi_exact(case.materials))
    foreign: int | None = None
    if case.foreign_duty is not None:
        foreign = payment_round(exact(case.foreign_duty.amount) * exact(case.foreign_duty.exchange_rate))
    if mexican == 0:
        return Tmec25Result(
            True, tuple(results), 0, foreign, 0, 0, code, abbr, cash, ident, compl["not_applicable"], None, 0
        )
    if foreign is not None:
        exemption = min(mexican, foreign)
        days = int(resolved["days"])
        dta_v = resolved["dta_v"]
        assert isinstance(dta_v, Decimal)
        due = case.export.date + dt.timedelta(days=days)
        return Tmec25Result(
            True,
            tuple(results),
            mexican,
            foreign,
            exemption,
            mexican - exemption,
            code,
            abbr,
            cash,
            ident,
            compl["complementario"],
            due,
            payment_round(exact(dta_v)),
        )
    return Tmec25Result(
        True,
        tuple(results),
        mexican,
        None,
        0,
        mexican,
        code,
        abbr,
        cash,
        ident,
        compl["on_return"],
        case.export.date,
        0,
    )
