"""Landed cost of a part under each import regime, and the yearly savings between them.

For each item the same pedimento engine as ``immex duties pedimento`` is run on one
shipment (annual quantity / shipments per year) under:

- ``definitive``: A1 at the TIGIE rate;
- ``prosec``: A1 at the PROSEC sector rate (company registered in that sector);
- ``tmec``: A1 with the T-MEC preference (originating goods with certification: IGI at
  the T-MEC rate, DTA exempt);
- ``immex``: IN temporary import (fixed DTA quota, IGI deferred; IVA credited with an
  A/AA/AAA certification, guaranteed, or paid), plus the T-MEC Art. 2.5 IGI of the
  exported share computed by the Art. 2.5 engine against the US/CA duty, and the IGI
  of the share sold in Mexico (change of regime).

Landed cost per year = customs value + IGI and C.C. paid + DTA + the financial cost of
the IVA (IVA is creditable, so only its cash-flow effect counts: paid IVA costs
``cost_of_money × recovery_days / 365``, guaranteed IVA costs the guarantee fee) +
Art. 2.5 IGI + change-of-regime IGI. Savings = definitive − regime.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from immex.duties.pedimento import DtaInputs, compute_pedimento
from immex.duties.rounding import exact, payment_round
from immex.duties.tmec25 import compute_tmec25
from immex.duties.values import (
    Company,
    DutyRules,
    ExportOperation,
    FieldProblem,
    ForeignDuty,
    Incrementables,
    Material,
    PedimentoCase,
    PedimentoLine,
    Preference,
    Tmec25Case,
)

REGIMES = ("definitive", "prosec", "tmec", "immex")
DAYS_PER_YEAR = 365


@dataclass(frozen=True, slots=True)
class LandedItem:
    part: str
    fraccion: str
    supplier_country: str
    originating: bool
    unit_value: Decimal  # in the scenario currency
    freight_per_unit: Decimal
    insurance_per_unit: Decimal
    annual_quantity: Decimal
    shipments_per_year: int
    igi_rate: Decimal
    prosec_sector: str | None
    prosec_rate: Decimal | None
    tmec_rate: Decimal
    exported_share: Decimal  # 0..1 of the quantity leaving to the US/Canada
    us_duty_per_unit: Decimal  # US/CA duty attributable to one unit, in the currency
    cc_rate: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class LandedScenario:
    date: dt.date
    exchange_rate: Decimal
    iva_rate: Decimal
    cost_of_money: Decimal
    iva_recovery_days: int
    guarantee_fee: Decimal
    company: Company
    prosec_sectors: frozenset[str]
    items: tuple[LandedItem, ...]


@dataclass(frozen=True, slots=True)
class RegimeCost:
    part: str
    regime: str
    available: bool
    reason: str
    annual_quantity: Decimal
    shipments: int
    customs_value: int
    igi: int
    cc: int
    dta: int
    iva: int
    iva_forma_pago: int | None
    iva_cash_cost: Fraction
    art25_igi: int
    change_of_regime_igi: int
    landed_cost: Fraction
    savings_vs_definitive: Fraction | None

    @property
    def per_unit(self) -> Fraction:
        qty = exact(self.annual_quantity)
        return self.landed_cost / qty if qty else Fraction(0)


def _shipment_case(
    scn: LandedScenario, item: LandedItem, clave: str, preference: Preference | None
) -> PedimentoCase:
    qty = exact(item.annual_quantity) / item.shipments_per_year
    value = exact(item.unit_value) * qty
    freight = exact(item.freight_per_unit) * qty
    insurance = exact(item.insurance_per_unit) * qty
    line = PedimentoLine(
        1,
        item.fraccion,
        value,
        item.igi_rate,
        preference,
        item.cc_rate if clave == "A1" else Decimal(0),
        scn.iva_rate,
    )
    company = replace(scn.company, immex=True) if clave == "IN" else scn.company
    return PedimentoCase(
        clave,  # type: ignore[arg-type]
        scn.date,
        scn.exchange_rate,
        Incrementables(freight, insurance),
        scn.iva_rate,
        company,
        (line,),
    )


def _iva_cost(scn: LandedScenario, iva: int, forma_pago: int, rules: DutyRules) -> Fraction:
    fp = rules.catalog.formas_pago
    if forma_pago == fp["efectivo"]:
        return iva * exact(scn.cost_of_money) * Fraction(scn.iva_recovery_days, DAYS_PER_YEAR)
    if forma_pago == fp["garantia_iva_ieps"]:
        return iva * exact(scn.guarantee_fee)
    return Fraction(0)


def regime_cost(
    scn: LandedScenario, item: LandedItem, regime: str, dta: DtaInputs, rules: DutyRules
) -> RegimeCost:
    """The yearly cost of importing ``item`` under ``regime`` (see module doc)."""
    unavailable = _why_unavailable(scn, item, regime)
    empty = RegimeCost(
        item.part,
        regime,
        False,
        unavailable or "",
        item.annual_quantity,
        item.shipments_per_year,
        0,
        0,
        0,
        0,
        0,
        None,
        Fraction(0),
        0,
        0,
        Fraction(0),
        None,
    )
    if unavailable:
        return empty
    preference: Preference | None = None
    clave = "A1"
    if regime == "prosec":
        assert item.prosec_rate is not None
        preference = Preference("PROSEC", item.prosec_rate, sector=item.prosec_sector)
    elif regime == "tmec":
        preference = Preference("TMEC", item.tmec_rate, certificate="certification of origin")
    elif regime == "immex":
        clave = "IN"
    case = _shipment_case(scn, item, clave, preference)
    result = compute_pedimento(case, dta, rules)
    n = item.shipments_per_year
    line = result.lines[0]
    codes = {row.code: row for row in line.contributions}
    igi_code = rules.catalog.contributions["igi"][0]
    cc_code = rules.catalog.contributions["cc"][0]
    iva_code = rules.catalog.contributions["iva"][0]
    igi_row, iva_row = codes[igi_code], codes[iva_code]
    cc = codes[cc_code].amount if cc_code in codes else 0
    igi_paid = igi_row.amount if igi_row.forma_pago == rules.catalog.formas_pago["efectivo"] else 0
    iva_cost = _iva_cost(scn, iva_row.amount, iva_row.forma_pago, rules)

    art25 = change = 0
    if regime == "immex":
        art25, change = _immex_igi(scn, item, line.customs_value, rules)
    landed = (
        Fraction(line.customs_value + igi_paid + cc + result.dta.amount + art25 + change) + iva_cost
    ) * n
    return RegimeCost(
        item.part,
        regime,
        True,
        "",
        item.annual_quantity,
        n,
        line.customs_value * n,
        igi_paid * n,
        cc * n,
        result.dta.amount * n,
        iva_row.amount * n,
        iva_row.forma_pago,
        iva_cost * n,
        art25 * n,
        change * n,
        landed,
        None,
    )


def _best_rate(scn: LandedScenario, item: LandedItem) -> tuple[Decimal, str]:
    """The IGI rate a non-originating material of the item bears, and its source."""
    if item.prosec_rate is not None and item.prosec_sector in scn.prosec_sectors:
        return min(item.prosec_rate, item.igi_rate), "PROSEC"
    return item.igi_rate, "TIGIE"


def _immex_igi(
    scn: LandedScenario, item: LandedItem, customs_value: int, rules: DutyRules
) -> tuple[int, int]:
    """(Art. 2.5 IGI of the exported share, IGI of the share changed to definitive), per
    shipment."""
    share = exact(item.exported_share)
    rate, source = _best_rate(scn, item)
    exported_value = Fraction(customs_value) * share
    art25 = 0
    if share > 0:
        preference = Preference("PROSEC", rate, sector=item.prosec_sector) if source == "PROSEC" else None
        material = Material(
            item.part, item.fraccion, exported_value, item.originating, item.igi_rate, preference
        )
        qty = exact(item.annual_quantity) / item.shipments_per_year * share
        us_duty = exact(item.us_duty_per_unit) * qty
        foreign = ForeignDuty(us_duty, scn.exchange_rate)
        days = rules.evidence_days_on(scn.date) or 0
        case = Tmec25Case(ExportOperation(None, scn.date, "RT", "US"), foreign, (material,))
        dta_v = rules.dta.row_on(scn.date)
        resolved: dict[str, Decimal | int] = {"days": days}
        if dta_v is not None and dta_v.fr_v_quota.value is not None:
            resolved["dta_v"] = dta_v.fr_v_quota.value
        else:
            resolved["dta_v"] = Decimal(0)
        art25 = compute_tmec25(case, resolved, rules).payable
    domestic = Fraction(customs_value) * (1 - share)
    change = 0 if item.originating else payment_round(domestic * exact(rate))
    return art25, change


def _why_unavailable(scn: LandedScenario, item: LandedItem, regime: str) -> str | None:
    if regime == "prosec":
        if item.prosec_rate is None:
            return "no PROSEC rate for this fracción"
        if item.prosec_sector not in scn.prosec_sectors:
            return f"company not registered in PROSEC sector {item.prosec_sector}"
    if regime == "tmec" and not item.originating:
        return "goods not T-MEC originating"
    if regime == "immex" and not scn.company.immex:
        return "company has no IMMEX program"
    return None


def landed_costs(scn: LandedScenario, dta: DtaInputs, rules: DutyRules) -> list[RegimeCost]:
    """Every item under every regime, with savings against the definitive import."""
    out: list[RegimeCost] = []
    for item in scn.items:
        costs = [regime_cost(scn, item, regime, dta, rules) for regime in REGIMES]
        base = costs[0].landed_cost
        out.extend(
            replace(c, savings_vs_definitive=base - c.landed_cost) if c.available else c for c in costs
        )
    return out


def savings_by_regime(costs: list[RegimeCost]) -> dict[str, Fraction]:
    """Yearly savings against definitive import, per regime, over the items where the
    regime is available."""
    totals: dict[str, Fraction] = {regime: Fraction(0) for regime in REGIMES}
    for cost in costs:
        if cost.available and cost.savings_vs_definitive is not None:
            totals[cost.regime] += cost.savings_vs_definitive
    return totals


def required_dta(scn: LandedScenario, rules: DutyRules) -> tuple[DtaInputs | None, list[FieldProblem]]:
    row = rules.dta.row_on(scn.date)
    if row is None or row.fr_i_rate.value is None or row.fr_iii_quota.value is None:
        return None, [
            FieldProblem(
                "date", f"no LFD Art. 49 fr. I rate and fr. III quota in force on {scn.date.isoformat()}"
            )
        ]
    return DtaInputs(row.fr_i_rate.value, row.fr_ii_rate.value, row.fr_iii_quota.value), []
