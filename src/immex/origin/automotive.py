"""USMCA automotive rules of origin: HTSUS GN 11(k), the US text of the Appendix to Annex 4-B.

:func:`decide` is called by the engine for a vehicle of headings 8701-8706 and for any case with
an ``automotive`` object; it builds the rule the Appendix sets and lets the ordinary engine
(``base``) apply it, then adds the requirements that are not about materials:

- **vehicles** (``automotive.vehicle``): passenger vehicles and light trucks get the GN 11(o)
  tariff shift with the staged RVC of (k)(iii)(A), the core parts of Table A.2 ((k)(iii)(G)-(I)),
  the labor value content ((k)(vi)) and the steel and aluminum purchases ((k)(v)); heavy trucks
  the RVC of (k)(iii)(J), LVC and steel/aluminum; other vehicles their GN 11(o) rule ((k)(ix));
- **parts** (``automotive.for_use_in``): the GN 11(o) rule written for that use, with the RVC of
  the part's table (A.1, B, C for passenger vehicles and light trucks; D, E for heavy trucks) in
  force on the date; Table A.1 parts, and engines, gear boxes and chassis for heavy trucks, must
  meet that RVC ((k)(iii)(C), (M));
- **the producer's provisions**: an approved alternative staging regime ((k)(viii), Uniform
  Regulations s. 19; its NAFTA Art. 403.6 transition, s. 19(7), is undetermined), the heavy-truck
  LVC credit ((k)(vi)(F)) and the 50 percent of a new plant or refit ((k)(ix)(F)).

Every threshold and date comes from ``rules/usmca/automotive.yaml``; the tables from
``automotive_tables.yaml``. A requirement the case gives no data for is an error naming the
missing field (the verdict cannot be given either way).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from decimal import Decimal

from immex.core.numbers import plain, round_half_up
from immex.origin.automotive_case import AutomotiveCase, CorePart, LaborValueContent
from immex.origin.engine import OriginError
from immex.origin.facts import OriginFacts
from immex.origin.grammar import parse_rule
from immex.origin.hs import HsCode, HsRange, in_any
from immex.origin.model import (
    Alternative,
    AlternativeResult,
    Determination,
    Level,
    OriginCase,
    OtherAt,
    ProductRule,
    Rule,
    RvcRequirement,
    TariffShift,
    Undetermined,
)
from immex.rules import RulesError
from immex.rules.usmca.automotive_data import (
    AlternativeStaging,
    AutomotiveData,
    LvcStep,
    OtherVehicleParts,
    Range,
    RvcStep,
    TableRow,
    automotive_data,
    lvc_on,
    step_on,
)

HUNDRED = Decimal(100)
Lookup = Callable[[HsCode, OriginCase], ProductRule]
Base = Callable[[OriginCase, OriginFacts, Lookup], Determination]
_WORDS = {
    "passenger_vehicle": "passenger vehicle",
    "light_truck": "light truck",
    "heavy_truck": "heavy truck",
    "other_vehicle": "other motor vehicle",
    "aftermarket": "aftermarket part",
}
_USE_PHRASE = {
    "passenger_vehicle": "for use in a passenger vehicle",
    "light_truck": "for use in a light truck",
    "heavy_truck": "for use in a heavy truck",
    "other_vehicle": "for use in another motor vehicle",
    "aftermarket": "for the aftermarket (not original equipment)",
}
_TABLES_FOR_USE = {
    "passenger_vehicle": ("A.1", "B", "C"),
    "light_truck": ("A.1", "B", "C"),
    "heavy_truck": ("D", "E"),
}
_RVC_OF_TABLE = {"A.1": "table_a1", "B": "table_b", "C": "table_c", "D": "table_d", "E": "table_e"}


@dataclass(frozen=True, slots=True)
class Check:
    """One GN 11(k) requirement beside the rule: met, not met, or None (the case lacks its data)."""

    met: bool | None
    lines: tuple[str, ...] = ()
    missing: str | None = None


def pct(value: Decimal) -> str:
    return f"{round_half_up(value, 2)}"


def ranges(items: tuple[Range, ...]) -> tuple[HsRange, ...]:
    return tuple(HsRange(low, high) for low, high in items)


def cite(step_citation: str) -> str:
    return f"HTSUS GN 11{step_citation}"


def decide(case: OriginCase, facts: OriginFacts, lookup: Lookup, base: Base) -> Determination:
    """The determination of an automotive case (see the module docstring)."""
    auto = case.automotive or AutomotiveCase()
    vehicle = in_any(case.good.hs, facts.automotive_unsupported) is True
    if facts.agreement != "USMCA":
        if vehicle:
            return _vehicle_without_rules(case, facts, lookup, base)
        return base(_for_base(case, None), facts, lookup)
    data = _data()
    plain_facts = replace(facts, automotive_unsupported=())
    chassis = in_any(case.good.hs, ranges(data.vehicle_heading_parts[0])) is True
    use_words = str(getattr(case.good, "use", "") or "")
    if use_words and (chassis or not vehicle) and auto.for_use_in is None and auto.vehicle is None:
        auto = replace(auto, for_use_in=use_of(use_words))  # the engine's good.use says the same
    if vehicle and chassis and auto.vehicle is None and auto.for_use_in is not None:
        return _part(case, auto, plain_facts, lookup, base, data)  # a chassis for use in a vehicle
    if vehicle:
        return _vehicle(case, auto, plain_facts, lookup, base, data)
    if auto.vehicle is not None:
        raise OriginError(
            f"automotive.vehicle is given but good {case.good.hs} is not a motor vehicle of headings "
            "8701-8706; "
            "use automotive.for_use_in for a part"
        )
    if auto.for_use_in is not None:
        return _part(case, auto, plain_facts, lookup, base, data)
    return base(_for_base(case, None), facts, lookup)


def use_of(words: str) -> str:
    """``good.use`` words ("heavy truck", "other", ...) as an ``automotive.for_use_in`` value."""
    text = words.lower()
    for key in ("passenger_vehicle", "light_truck", "heavy_truck", "aftermarket"):
        if key.replace("_", " ") in text:
            return key
    return "other_vehicle"


def _data() -> AutomotiveData:
    try:
        return automotive_data()
    except RulesError as exc:  # a broken package, not a user error; said plainly all the same
        raise OriginError(f"the automotive rule data cannot be read: {exc}") from exc


def _step(steps: tuple[RvcStep, ...], day: dt.date) -> RvcStep:
    try:
        return step_on(steps, day)
    except RulesError as exc:
        raise OriginError(str(exc)) from exc


def _with_lines(
    d: Determination, before: list[str], after: tuple[str, ...] | list[str] = ()
) -> Determination:
    head, rest = d.explanation[:1], d.explanation[1:]
    return replace(d, explanation=(*head, *before, *rest, *after))


_USE_WORDS = {
    "passenger_vehicle": "passenger vehicle",
    "light_truck": "light truck",
    "heavy_truck": "heavy truck",
}


def _for_base(
    case: OriginCase, use: str | None, product: ProductRule | None = None, described: str = ""
) -> OriginCase:
    """The case the ordinary engine decides: no automotive fields (decided here), the table rule
    built here, the good's use said in the engine's own field where the model has one, and the
    table's words for the good when ``automotive.listed`` says it is the described one."""
    good = case.good
    if "use" in {f.name for f in fields(good)}:  # said once, here: the engine must not come back
        good = replace(good, use=_USE_WORDS.get(use, "other") if use else "")
    if described:
        good = replace(
            good, description=f"{good.description}; {described}" if good.description else described
        )
    if product is None:
        return replace(case, good=good, automotive=None)
    return replace(case, good=good, automotive=None, product_rule=product)


# --- vehicles ---------------------------------------------------------------------------------


def _vehicle_kind(hs: HsCode, auto: AutomotiveCase, data: AutomotiveData) -> str:
    possible = [k for k, (goods, _) in data.vehicles.items() if in_any(hs, ranges(goods)) is True]
    if auto.vehicle is not None:
        if auto.vehicle not in possible:
            goods, ref = data.vehicles[auto.vehicle]
            raise OriginError(
                f"automotive.vehicle {auto.vehicle!r} does not fit good {hs}: a {_WORDS[auto.vehicle]} is of "
                f"{', '.join(str(r) for r in ranges(goods))} ({ref})"
            )
        return auto.vehicle
    if possible == ["other_vehicle"]:
        return "other_vehicle"
    raise OriginError(
        f"good {hs} may be a {' or '.join(_WORDS[k] for k in possible)} (GN 11(k)(ii)(N)); say which in "
        "automotive.vehicle (an off-road vehicle, motorhome, diesel passenger vehicle, ... is other_vehicle)"
    )


def _vehicle(
    case: OriginCase,
    auto: AutomotiveCase,
    facts: OriginFacts,
    lookup: Lookup,
    base: Base,
    data: AutomotiveData,
) -> Determination:
    good = case.good
    kind = _vehicle_kind(good.hs, auto, data)
    before = [f"The good is a {_WORDS[kind]} ({data.vehicles[kind][1]})."]
    if kind == "other_vehicle":
        return _other_vehicle(case, auto, facts, lookup, base, data, before)
    if auto.new_plant is not None:
        raise OriginError(
            f"automotive.new_plant: the 50 percent of a new plant or refit is for the other motor vehicles "
            f"of GN 11(k)(ix)(A)-(B), not a {_WORDS[kind]} ({data.new_plant.reference.split(' (')[0]})"
        )
    staging = _staging_on(case.date, kind, auto, data, before)
    key = "heavy_truck" if kind == "heavy_truck" else "passenger_vehicle_light_truck"
    steps, reference = data.rvc[key]
    step = staging.rvc if staging is not None else _step(steps, case.date)
    if staging is not None:
        reference = staging.reference
    before.append(
        f"Regional value content required on {case.date.isoformat()}: {plain(step.nc)}% under the net cost "
        f"method ({cite(step.citation)}; {reference}), in place of the GN 11(o) threshold."
    )
    if kind == "heavy_truck":
        step = _with_lvc_credit(step, case.date, auto.lvc, data, before)
    product = _vehicle_rule(good.hs, kind, step, reference, case.date, data)
    decided = base(_for_base(case, None, product), facts, lookup)
    plan = auto.alternative_staging
    if plan is not None and plan.nafta_until is not None and case.date <= plan.nafta_until:
        return _nafta_transition(decided, before, plan.nafta_until, data.alternative_staging)
    return _combine(decided, before, _vehicle_checks(case, kind, auto, data, lookup, staging), data)


def _vehicle_checks(
    case: OriginCase,
    kind: str,
    auto: AutomotiveCase,
    data: AutomotiveData,
    lookup: Lookup,
    staging: AlternativeStaging | None,
) -> list[Check]:
    """The requirements of GN 11(k) beside the rule: core parts, LVC, steel and aluminum."""
    checks = []
    if kind in ("passenger_vehicle", "light_truck"):
        if staging is not None:
            checks.append(Check(True, (f"Core parts: not required ({staging.core_parts}).",)))
        else:
            checks.append(_core_parts(case, auto, data, lookup))
    checks.append(_lvc(case.date, kind, auto, data, staging.lvc if staging is not None else None))
    plan = auto.alternative_staging
    if staging is not None and plan is not None and plan.steel_aluminum_exempt:
        line = (
            f"Steel and aluminum purchases: the producer's approved plan exempts them "
            f"({staging.steel_aluminum})."
        )
        checks.append(Check(True, (line,)))
    else:
        checks.extend(_metal(case.date, metal, auto, data) for metal in ("steel", "aluminum"))
    return checks


def _staging_on(
    day: dt.date,
    kind: str,
    auto: AutomotiveCase,
    data: AutomotiveData,
    before: list[str],
    what: str = "GN 11(k)(iii)(A), (G)-(I), (v) and (vi)",
) -> AlternativeStaging | None:
    """The alternative staging regime's requirements when the case's plan covers ``day``."""
    plan = auto.alternative_staging
    if plan is None:
        return None
    staging = data.alternative_staging
    if kind not in staging.vehicles:
        raise OriginError(
            f"automotive.alternative_staging: the alternative staging regime is for passenger vehicles and "
            f"light trucks (and their parts), not a {_WORDS[kind]} ({staging.reference})"
        )
    since, until = plan.since or staging.since, plan.until or staging.until
    period = f"{since.isoformat()} to {until.isoformat()}"
    if not since <= day <= until:
        before.append(
            f"The producer's alternative staging regime ({period}) does not cover {day.isoformat()}: the "
            "requirements of GN 11(k) apply as for any vehicle."
        )
        return None
    before.append(
        f"The producer's approved alternative staging regime covers {day.isoformat()} ({period}; "
        f"{staging.reference}): its requirements replace those of {what}."
    )
    return staging


def _vehicle_without_rules(case: OriginCase, facts: OriginFacts, lookup: Lookup, base: Base) -> Determination:
    """A vehicle under an agreement whose automotive rules are not in the data (NAFTA Art. 403).

    Criteria A and C do not depend on them (no non-originating material counts), so the engine
    still gives them; any other answer needs the Art. 403 regional value content with traced
    materials, so it is undetermined, saying what a person decides with."""
    plain_facts = replace(facts, automotive_unsupported=())
    try:
        decided: Determination | None = base(_for_base(case, None), plain_facts, lookup)
    except OriginError:  # no rule text in the case (NAFTA Annex 401 is not in the data)
        decided = None
    if decided is not None and decided.criterion in ("A", "C"):
        return _with_lines(
            decided,
            [
                f"Good {case.good.hs} is a vehicle under {facts.automotive_citation}; its regional value "
                f"content rules do not matter here: criterion {decided.criterion} needs none."
            ],
        )
    if decided is not None and decided.alternatives and all(_fails_on_shift(a) for a in decided.alternatives):
        return _with_lines(
            decided,
            [],
            [
                f"Good {case.good.hs} is a vehicle under {facts.automotive_citation}: its traced regional "
                "value content does not matter here, the tariff shift of every alternative fails."
            ],
        )
    reason = f"good {case.good.hs} is a vehicle ({facts.automotive_citation}): {facts.automotive_to_decide}"
    lines = [*(decided.explanation[:1] if decided else ()), f"Undetermined: {reason}."]
    if decided is not None and decided.rvc is not None and decided.rvc.value is not None:
        lines.append(
            f"The rule given in the case, with every non-originating material counted, gives an RVC of "
            f"{pct(decided.rvc.value)}% ({decided.rvc.method}); tracing counts only the listed materials, "
            "so the traced RVC is not lower."
        )
    if decided is None:
        return Determination(
            None,
            None,
            None,
            facts.automotive_citation,
            None,
            False,
            False,
            (),
            None,
            False,
            Decimal(0),
            facts.de_minimis_limit,
            tuple(lines),
            (),
            (Undetermined(None, reason),),
        )
    return replace(
        decided,
        originating=None,
        criterion=None,
        explanation=tuple(lines),
        undetermined=(Undetermined(None, reason),),
    )


def _fails_on_shift(result: AlternativeResult) -> bool:
    """The alternative fails whatever its RVC: a material fails its shift beyond any de minimis."""
    if not result.applies:
        return True
    saved = (
        result.de_minimis_allowed
        and result.de_minimis_share is not None
        and result.de_minimis_limit is not None
        and result.de_minimis_share <= result.de_minimis_limit
    )
    return result.shift_required and bool(result.failing_materials) and not saved


def _nafta_transition(
    decided: Determination, before: list[str], until: dt.date, staging: AlternativeStaging
) -> Determination:
    reason = (
        f"the vehicle still uses its NAFTA Art. 403.6 regime until {until.isoformat()} "
        f"({staging.nafta_transition}); "
        "the NAFTA rules and regulations in effect before 2020-07-01 are not in the rule data: decide it "
        "under them"
    )
    after = [f"Undetermined: {reason}."]
    return replace(
        _with_lines(decided, before, after),
        originating=None,
        criterion=None,
        undetermined=(Undetermined(None, reason),),
    )


def _with_lvc_credit(
    step: RvcStep, day: dt.date, lvc: LaborValueContent | None, data: AutomotiveData, before: list[str]
) -> RvcStep:
    """GN 11(k)(vi)(F): a heavy truck's LVC points above 30 of material (and above 45 in all) lower
    its RVC requirement, not below 60 percent, until July 1, 2027."""
    credit = data.heavy_truck_lvc_credit
    if lvc is None or day >= credit.before:
        return step
    lvc_step = lvc_on(data.lvc["heavy_truck"][0], day)
    total = _counted(lvc, lvc_step)
    points = min(lvc.material - credit.material_above, total - credit.lvc_above)
    if points <= 0:
        return step
    lowered = max(step.nc - points, credit.rvc_floor)
    before.append(
        f"LVC credit: {plain(points)} points of high-wage material and manufacturing above "
        f"{plain(credit.material_above)} (LVC {plain(total)} above {plain(credit.lvc_above)}) count towards "
        f"the regional value content, which must still be at least {plain(credit.rvc_floor)}%: required "
        f"{plain(lowered)}% in place of {plain(step.nc)}% ({credit.reference.split(' (')[0]}; "
        f"{credit.reference.rsplit('; ', 1)[-1]})."
    )
    return replace(step, nc=lowered, citation=f"{step.citation} with the LVC credit of (k)(vi)(F)")


def _other_vehicle(
    case: OriginCase,
    auto: AutomotiveCase,
    facts: OriginFacts,
    lookup: Lookup,
    base: Base,
    data: AutomotiveData,
    before: list[str],
) -> Determination:
    if auto.alternative_staging is not None:
        raise OriginError(
            "automotive.alternative_staging: the alternative staging regime is for passenger vehicles and "
            f"light trucks ({data.alternative_staging.reference})"
        )
    before.append(
        f"Its regional value content is the one of its GN 11(o) rule ({data.vehicles['other_vehicle'][1]})."
    )
    product = _new_plant_rule(case, auto, data, lookup, before)
    before.extend(f"Not applied by the engine: {item}." for item in data.not_applied if "(ix)" in item)
    return _with_lines(base(_for_base(case, None, product), facts, lookup), before)


def _new_plant_rule(
    case: OriginCase, auto: AutomotiveCase, data: AutomotiveData, lookup: Lookup, before: list[str]
) -> ProductRule | None:
    """GN 11(k)(ix)(F): 50 percent (net cost) for the years after the first prototype of a new
    plant or a refit, in place of the RVC of the vehicle's rule; None outside that period."""
    plant = auto.new_plant
    if plant is None:
        return None
    rule = data.new_plant
    years = rule.years[plant.kind]
    first = plant.first_prototype
    end = _years_after(first, years)
    last = (end - dt.timedelta(days=1)).isoformat()
    words = "new plant" if plant.kind == "new_building" else "plant after a refit"
    if not first <= case.date < end:
        before.append(
            f"The {words} rate of {cite(rule.cite[plant.kind])} runs {years} years from the first prototype "
            f"({first.isoformat()} to {last}): it does not cover "
            f"{case.date.isoformat()}."
        )
        return None
    product = lookup(case.good.hs, case)
    group = OtherVehicleParts(rule.nc, (), False, (), f"{cite(rule.cite[plant.kind])} ({words})")
    before.append(
        f"Produced in a {words} whose first motor vehicle prototype dates from {first.isoformat()}: regional "
        f"value content {plain(rule.nc)}% under the net cost method until {last} "
        f"({rule.reference.split(' (')[0]}; {rule.reference.rsplit('; ', 1)[-1]})."
    )
    return _other_staged(product, group)


def _years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (a 29 February ends on 1 March of a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def _vehicle_rule(
    hs: HsCode, kind: str, step: RvcStep, reference: str, day: dt.date, data: AutomotiveData
) -> ProductRule:
    shift_name, shift_ref = next(
        (shift, ref) for goods, shift, ref in data.vehicle_shift if in_any(hs, ranges(goods)) is True
    )
    target = (HsRange.single(hs.at(6)),)
    if shift_name == "none":
        shift = None
        text = f"No change in tariff classification to a good of heading {hs.at(4)} is required"
    else:
        shift = TariffShift((OtherAt(Level.HEADING),))
        text = f"A change to subheading {hs.at(6)[:4]}.{hs.at(6)[4:]} from any other heading"
    text += (
        f", provided there is a regional value content of not less than {plain(step.nc)} percent under the "
        "net cost method."
    )
    alternative = Alternative("A", target, shift, RvcRequirement(None, step.nc), text)
    citation = f"{shift_ref}, with the regional value content of {cite(step.citation)} ({_WORDS[kind]})"
    return ProductRule(f"auto-{kind}", Rule(text, (alternative,)), citation, step.since, None, target)


def _combine(d: Determination, before: list[str], checks: list[Check], data: AutomotiveData) -> Determination:
    after = [line for c in checks for line in c.lines]
    failed = [c for c in checks if c.met is False]
    missing = [c.missing for c in checks if c.met is None and c.missing]
    if d.originating is None:
        after.append("The vehicle's rule of origin cannot be decided by the engine (see 'undetermined').")
        return _with_lines(d, before, after)
    if not d.originating:
        after.append(
            "The vehicle does not meet its rule of origin: not originating, whatever the other requirements."
        )
        return _with_lines(d, before, after)
    if failed:
        after.append(f"A requirement of GN 11(k) is not met: the vehicle is not originating ({data.source}).")
        return replace(_with_lines(d, before, after), originating=False, criterion=None)
    if missing:
        raise OriginError(
            "the vehicle meets its rule of origin, but GN 11(k) also requires data the case does not give: "
            + "; ".join(missing)
        )
    after.append(f"Every requirement of GN 11(k) is met ({data.source}).")
    return _with_lines(d, before, after)


def _core_parts(case: OriginCase, auto: AutomotiveCase, data: AutomotiveData, lookup: Lookup) -> Check:
    if auto.core_parts is None:
        return Check(
            None,
            missing="automotive.core_parts (the Table A.2 column 1 parts used in the vehicle, each with "
            f"hs, net_cost and vnm; {data.core_parts_reference})",
        )
    steps, _ = data.rvc["table_a1"]
    step = _step(steps, case.date)
    column_1 = tuple(HsRange.single(code) for row in data.tables["A.2"][1] for code, _ in row.codes)
    for part in auto.core_parts:
        if in_any(part.hs, column_1) is not True:
            raise OriginError(
                f"automotive.core_parts {part.id!r}: {part.hs} is not a code of Table A.2 of the Appendix "
                "(core parts; HS 2012)"
            )
    head = (
        f"Core parts ({data.core_parts_reference}): required RVC {plain(step.nc)}% net cost "
        f"({cite(step.citation)})"
    )
    if not auto.core_parts:
        return Check(True, (f"{head}; the case lists no core part used in the vehicle.",))
    if auto.super_core:
        net_cost = sum((p.net_cost for p in auto.core_parts), Decimal(0))
        vnm = sum((p.vnm for p in auto.core_parts), Decimal(0))
        value = (net_cost - vnm) / net_cost * HUNDRED
        met = value >= step.nc
        line = (
            f"{head}; taken together as a super-core (GN 11(k)(iii)(I)): net cost {plain(net_cost)}, VNM "
            f"{plain(vnm)}, RVC {pct(value)}%: {'met' if met else 'not met'}."
        )
        return Check(met, (line,))
    lines = [head + "."]
    kind = auto.vehicle or "passenger_vehicle"
    results = [_core_part(p, step, case, lookup, kind) for p in auto.core_parts]
    lines.extend(line for _, line in results)
    return Check(all(ok for ok, _ in results), tuple(lines))


def _core_part(
    part: CorePart, step: RvcStep, case: OriginCase, lookup: Lookup, kind: str
) -> tuple[bool, str]:
    if part.advanced_battery:
        return True, f"Core part {part.id!r} is an advanced battery: exempt (GN 11(k)(iii)(G))."
    nc = (part.net_cost - part.vnm) / part.net_cost * HUNDRED
    if nc >= step.nc:
        return True, f"Core part {part.id!r} ({part.hs}): RVC {pct(nc)}% net cost: met."
    tv_line = ""
    if part.transaction_value and step.tv is not None and _rule_has_tv(part.hs, case, lookup, kind):
        tv = (part.transaction_value - part.vnm) / part.transaction_value * HUNDRED
        if tv >= step.tv:
            return True, (
                f"Core part {part.id!r} ({part.hs}): RVC {pct(tv)}% transaction value meets "
                f"{plain(step.tv)}% "
                f"({cite(step.citation)}; its GN 11(o) rule includes the transaction value method)."
            )
        tv_line = f", {pct(tv)}% transaction value (below {plain(step.tv)}%)"
    return False, f"Core part {part.id!r} ({part.hs}): RVC {pct(nc)}% net cost{tv_line}: not met."


def _rule_has_tv(hs: HsCode, case: OriginCase, lookup: Lookup, kind: str) -> bool:
    """Whether the part's GN 11(o) rule for use in this vehicle includes the transaction value method."""
    try:
        product = _use_rule(hs, case.date, kind, None) or lookup(hs, case)
    except OriginError:
        return False
    return any(a.rvc is not None and a.rvc.tv is not None for a in product.rule.alternatives)


def _counted(lvc: LaborValueContent, step: LvcStep) -> Decimal:
    """The LVC points counted: material, with technology and assembly up to their caps."""
    return lvc.material + min(lvc.technology, step.technology_max) + min(lvc.assembly, step.assembly_max)


def _lvc(
    day: dt.date, kind: str, auto: AutomotiveCase, data: AutomotiveData, override: LvcStep | None = None
) -> Check:
    steps, reference = data.lvc[kind]
    if override is not None:
        step = override
    else:
        try:
            step = lvc_on(steps, day)
        except RulesError as exc:
            raise OriginError(str(exc)) from exc
    if auto.lvc is None:
        return Check(
            None,
            missing=f"automotive.lvc (the producer's certified labor value content in percentage points: "
            f"material, technology, assembly; {reference})",
        )
    lvc = auto.lvc
    technology = min(lvc.technology, step.technology_max)
    assembly = min(lvc.assembly, step.assembly_max)
    total = _counted(lvc, step)
    met = lvc.material >= step.material_min and total >= step.total
    line = (
        f"Labor value content: {plain(total)} points counted (high-wage material and manufacturing "
        f"{plain(lvc.material)}, technology {plain(technology)} of {plain(lvc.technology)} given, assembly "
        f"{plain(assembly)} of {plain(lvc.assembly)} given) against {plain(step.total)} with at least "
        f"{plain(step.material_min)} of material and manufacturing: {'met' if met else 'not met'} "
        f"({cite(step.citation)})."
    )
    return Check(met, (line,))


def _metal(day: dt.date, metal: str, auto: AutomotiveCase, data: AutomotiveData) -> Check:
    purchases = getattr(auto, metal)
    if purchases is None:
        return Check(
            None,
            missing=f"automotive.{metal} (the vehicle producer's {metal} purchases in the USMCA territories "
            f"and the originating part of them, by value; {data.steel_aluminum_reference})",
        )
    share = purchases.originating / purchases.purchases * HUNDRED
    met = share >= data.steel_aluminum_percent
    lines = [
        f"{metal.capitalize()} purchases: {pct(share)}% originating against at least "
        f"{plain(data.steel_aluminum_percent)}%: {'met' if met else 'not met'} "
        f"({data.steel_aluminum_reference})."
    ]
    if metal == "steel" and day >= data.melt_and_pour_since:
        lines.append(f"Steel counted as originating must meet {data.melt_and_pour_reference}.")
    return Check(met, tuple(lines))


# --- parts for use in vehicles ------------------------------------------------------------------


def _part(
    case: OriginCase,
    auto: AutomotiveCase,
    facts: OriginFacts,
    lookup: Lookup,
    base: Base,
    data: AutomotiveData,
) -> Determination:
    use = auto.for_use_in or "aftermarket"
    hs = case.good.hs
    before = [f"The good is a part {_USE_PHRASE[use]} (automotive.for_use_in)."]
    listing = _listing(hs, use, auto, data)
    product = _use_rule(hs, case.date, use, auto.listed)
    if product is None:
        product = lookup(hs, case)
        before.append(f"GN 11(o) has no rule written for this use of {hs}; its rule for the code applies.")
    staging = _staging_on(case.date, use, auto, data, before, "parts of Table A.1 for use in it")
    if listing is not None and listing[0] == "A.1" and staging is not None:
        product = _staging_part(product, hs, data, staging, before)
    elif listing is not None:
        key, row = listing
        steps, reference = data.rvc[_RVC_OF_TABLE[key]]
        step = _step(steps, case.date)
        rvc_only = (key == "A.1" and in_any(hs, ranges(data.table_a1_exception[0])) is not True) or (
            use == "heavy_truck" and in_any(hs, ranges(data.heavy_truck_rvc_only[0])) is True
        )
        product = _staged(product, step, rvc_only, data)
        tv = f" or {plain(step.tv)}% transaction value (where the rule has that method)" if step.tv else ""
        before.append(
            f"Table {key} of the Appendix ({data.tables[key][0]}) lists it: '{row.description}'. "
            "Its regional "
            f"value content on {case.date.isoformat()} is {plain(step.nc)}% net cost{tv} "
            f"({cite(step.citation)}; {reference})."
        )
        if rvc_only:
            ref = data.table_a1_exception[1] if key == "A.1" else data.heavy_truck_rvc_only[1]
            before.append(f"It is originating only if it meets that regional value content ({ref}).")
    elif use == "other_vehicle" and (group := _other_group(hs, auto, data)) is not None:
        product = _other_staged(product, group)
        before.append(
            f"For use in a motor vehicle of group {auto.other_vehicle_group} of GN 11(k)(ix), its regional "
            f"value content is {plain(group.nc)}% under the net cost method ({group.reference})."
        )
    else:
        before.append(
            f"No table of the Appendix lists {hs} {_USE_PHRASE[use]}: its GN 11(o) rule applies as printed."
        )
    described = listing[1].description if listing is not None and auto.listed else ""
    decided = base(_for_base(case, use, product, described), facts, lookup)
    return _with_lines(decided, before)


def _staging_part(
    product: ProductRule, hs: HsCode, data: AutomotiveData, staging: AlternativeStaging, before: list[str]
) -> ProductRule:
    """A Table A.1 part for use in a vehicle under an alternative staging regime: the RVC of
    Uniform Regulations s. 19(4)(b)(i)-(ii), required of every alternative; a lithium-ion battery
    of 8507.60 the change of s. 19(4)(b)(iii) instead."""
    if in_any(hs, ranges(staging.battery_goods)) is True:
        rule = parse_rule(staging.battery_text)
        before.append(f"As a lithium-ion battery it needs only the change of {staging.battery_reference}.")
        return replace(product, rule=rule, citation=staging.battery_reference.split(" (")[0])
    step = staging.table_a1
    tv = f" or {plain(step.tv)}% transaction value (where its rule has that method)" if step.tv else ""
    before.append(
        f"Table A.1 part: regional value content {plain(step.nc)}% net cost{tv}, required of every "
        f"alternative ({cite(step.citation)})."
    )
    return _staged(product, step, True, data)


def _other_group(hs: HsCode, auto: AutomotiveCase, data: AutomotiveData) -> OtherVehicleParts | None:
    """The GN 11(k)(ix) group whose part RVC applies to ``hs`` (None when neither group lists it)."""
    table_f = [
        (code, ex)
        for row in data.tables["F"][1]
        for code, ex in row.codes
        if code.isdigit() and in_any(hs, (HsRange.single(code),)) is True
    ]
    groups = {}
    for name, group in data.other_vehicle_parts.items():
        listed = in_any(hs, ranges(group.goods)) is True
        if not listed and group.table_f and table_f and in_any(hs, ranges(group.table_f_except)) is not True:
            listed = not all(ex for _, ex in table_f) or bool(auto.listed)
        if listed:
            groups[name] = group
    if not groups:
        return None
    if auto.other_vehicle_group is None:
        raise OriginError(
            f"a part of {hs} for use in another motor vehicle has the regional value content of "
            "GN 11(k)(ix): "
            "say in automotive.other_vehicle_group whether the vehicle is of group A ((ix)(A)(1): buses "
            "for 15 or fewer persons, diesel passenger vehicles, motorhomes, off-road passenger vehicles "
            "and light trucks, ...) or B ((ix)(B)(1): tractors, buses for 16 or more persons, 8704.10, "
            "off-road heavy trucks, 8705, ...)"
        )
    return groups.get(auto.other_vehicle_group)


def _other_staged(product: ProductRule, group: OtherVehicleParts) -> ProductRule:
    reading = f"regional value content of {group.reference.split(' (')[0]} in place of the printed one"
    alternatives = tuple(
        replace(alt, rvc=RvcRequirement(None, group.nc), readings=(*alt.readings, reading))
        if alt.rvc is not None
        else alt
        for alt in product.rule.alternatives
    )
    text = (
        f"{product.rule.text} [{group.reference.split(' (')[0]}: regional value content of not less than "
        f"{plain(group.nc)} percent under the net cost method, in place of the printed one]"
    )
    citation = f"{product.citation}, with the regional value content of {group.reference.split(' (')[0]}"
    return replace(
        product, rule=replace(product.rule, text=text, alternatives=alternatives), citation=citation
    )


def _listing(hs: HsCode, use: str, auto: AutomotiveCase, data: AutomotiveData) -> tuple[str, TableRow] | None:
    for key in _TABLES_FOR_USE.get(use, ()):
        for row in data.tables[key][1]:
            for code, ex in row.codes:
                if not code.isdigit() or in_any(hs, (HsRange.single(code),)) is not True:
                    continue
                if ex and auto.listed is None:
                    raise OriginError(
                        f"Table {key} of the Appendix lists only '{row.description}' of {code}: say in "
                        "automotive.listed whether the good is one (true or false)"
                    )
                if ex and not auto.listed:
                    continue
                return key, row
    return None


def _use_rule(hs: HsCode, day: dt.date, use: str, listed: bool | None) -> ProductRule | None:
    """The GN 11(o) rule written for a good of ``hs`` for this use (None when there is none)."""
    from immex.origin.rules_data import chapter_rules

    found = []
    for entry in chapter_rules(int(hs.chapter)):
        if not entry.covers(day):
            continue
        digits = max((r.digits for r in entry.scope if r.contains(hs) is True), default=0)
        condition = _condition(entry.text)  # the printed preamble "For a good of ... for use in ...:"
        if not digits or not condition or not _fits(condition.lower(), use):
            continue
        described = not condition.lower().startswith(("for any other good", "for a good of", "for any good"))
        rank = 0 if described == bool(listed) else 1
        found.append((-digits, rank, entry))
    if not found:
        return None
    found.sort(key=lambda item: (item[0], item[1]))
    entry = found[0][2]
    if entry.product is None:
        raise OriginError(f"the rule for this use ({entry.citation}) cannot be read: {entry.error}")
    return entry.product


def _condition(text: str) -> str | None:
    head, sep, _ = text.partition(":")
    return head if sep and head.lower().startswith("for ") else None


def _fits(condition: str, use: str) -> bool:
    if use in ("passenger_vehicle", "light_truck", "heavy_truck"):
        return _WORDS[use] in condition
    return condition.startswith("for any other good") and not any(
        _WORDS[k] in condition for k in ("passenger_vehicle", "light_truck", "heavy_truck")
    )


def _staged(product: ProductRule, step: RvcStep, rvc_only: bool, data: AutomotiveData) -> ProductRule:
    rule = product.rule
    has_tv = any(a.rvc is not None and a.rvc.tv is not None for a in rule.alternatives)
    alternatives = []
    for alt in rule.alternatives:
        if alt.rvc is not None:
            tv = step.tv if alt.rvc.tv is not None else None
            reading = f"regional value content of {cite(step.citation)} in place of the printed one"
            alternatives.append(
                replace(alt, rvc=RvcRequirement(tv, step.nc), readings=(*alt.readings, reading))
            )
        elif rvc_only:
            tv = step.tv if has_tv else None
            reading = f"the part must also meet the regional value content of {cite(step.citation)}"
            alternatives.append(
                replace(alt, rvc=RvcRequirement(tv, step.nc), readings=(*alt.readings, reading))
            )
        else:
            alternatives.append(alt)
    citation = f"{product.citation}, with the regional value content of {cite(step.citation)}"
    tv_words = (
        f" or {plain(step.tv)} percent under the transaction value method" if has_tv and step.tv else ""
    )
    text = (
        f"{rule.text} [{cite(step.citation)}: regional value content of not less than {plain(step.nc)} "
        f"percent under the net cost method{tv_words}, in place of the printed one"
        + ("; required of every alternative" if rvc_only else "")
        + "]"
    )
    staged = replace(rule, text=text, alternatives=tuple(alternatives))
    return replace(product, rule=staged, citation=citation)
