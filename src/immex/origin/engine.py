"""``determine(case) -> Determination``: USMCA Art. 4.2 / HTSUS GN 11(b), pure.

The order of decisions, each one written to the explanation with its reference:

1. wholly obtained or produced (criterion A);
2. intermediate materials are qualified first, from their own components (roll-up);
3. the role of each material (indirect, packing, retail packaging, accessory);
4. every alternative of the product-specific rule: tariff shift on the non-originating
   materials only, RVC by transaction value and by net cost, de minimis;
5. criterion C when no non-originating material is left, else B when an
   alternative is met, else B by a process of the Section VI/VII notes
   (GN 11(n)(iv)-(v)), else Art. 4.2(d) / GN 11(b)(iv) (criterion D).

Automotive vehicles (headings in ``facts.automotive_unsupported``) are decided by
``immex.origin.automotive`` (GN 11(k); a NAFTA vehicle is undetermined, Art. 403 not being in the data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from immex.core.numbers import plain, round_half_up
from immex.origin import describe
from immex.origin.facts import DeMinimisException, OriginFacts, ProcessRule
from immex.origin.grammar import UNREADABLE
from immex.origin.hs import HsCode, HsRange, in_any
from immex.origin.model import (
    Alternative,
    AlternativeResult,
    Condition,
    ConditionKind,
    DescribedCodes,
    Determination,
    Fact,
    FactKind,
    FromCodes,
    Good,
    Material,
    MaterialRole,
    OriginCase,
    OtherAt,
    OutsideGroup,
    ProductRule,
    Rule,
    RvcResult,
    Source,
    Undetermined,
    WithinTarget,
)

HUNDRED = Decimal(100)
RuleLookup = Callable[[HsCode, "OriginCase"], ProductRule]


class OriginError(ValueError):
    """The case cannot be decided as given (no rule for the code, unsupported good, ...)."""


def pct(value: Decimal) -> str:
    return f"{round_half_up(value, 2)}"


def determine(
    case: OriginCase, facts: OriginFacts | None = None, lookup: RuleLookup | None = None
) -> Determination:
    """Decide whether ``case.good`` is originating. Pure given ``facts`` and ``lookup``.

    ``facts`` defaults to the agreement's facts in force on ``case.date`` and ``lookup``
    to the packaged GN 11(o) rule table (both read from ``immex.rules``).
    """
    if facts is None:
        from immex.origin.rules_data import origin_facts

        facts = origin_facts(case.agreement, case.date)
    if lookup is None:
        from immex.origin.rules_data import find_rule

        def lookup(code: HsCode, c: OriginCase) -> ProductRule:
            return find_rule(code, c.date)

    return _determine(case, facts, lookup)


def _determine(case: OriginCase, facts: OriginFacts, lookup: RuleLookup) -> Determination:  # noqa: C901
    if case.hs_edition is not None:
        from immex.origin.correlation import decide_in_hs2012  # HS 2022 codes read as HS 2012 (GN 11(o))

        return decide_in_hs2012(case, facts, lookup, _determine)
    lines: list[str] = []
    good = case.good
    if not facts.covers(case.date):
        raise OriginError(f"{facts.agreement} is not in force on {case.date.isoformat()}")
    if good.transaction_value <= 0:
        raise OriginError("good.transaction_value must be greater than zero")
    # GN 11(k): vehicles, parts for a vehicle given in good.use or automotive (not a rule the case gives)
    use = getattr(good, "use", "") and case.rule is None and case.product_rule is None
    if case.automotive is not None or use or in_any(good.hs, facts.automotive_unsupported):
        from immex.origin.automotive import decide  # GN 11(k); imported here: it builds on this module

        return decide(case, facts, lookup, _determine)
    if in_any(good.hs, facts.automotive_unsupported):  # pragma: no cover - decide() handles vehicles
        raise OriginError(
            f"good {good.hs} is an automotive good under {facts.automotive_citation}; its regional value "
            "content, labor value content and steel/aluminum requirements are not supported by this engine"
        )
    lines.append(
        f"Agreement {facts.agreement}, date {case.date.isoformat()}; good {good.hs}"
        + (f" ({good.description})" if good.description else "")
        + f" ({facts.reference})."
    )
    if good.wholly_obtained:
        lines.append(
            f"The good is wholly obtained or produced in the territory: originating, criterion A "
            f"({facts.criteria['A']})."
        )
        return Determination(
            True,
            "A",
            _rule_text(case),
            _citation(case),
            None,
            False,
            True,
            (),
            None,
            False,
            Decimal(0),
            facts.de_minimis_limit,
            tuple(lines),
        )

    materials = _resolve_intermediates(case, facts, lookup, lines)
    shift_materials, vnm = _roles(materials, facts, lines)
    counted_non_originating = [
        m
        for m in materials
        if not m.originating and m.role not in (MaterialRole.INDIRECT, MaterialRole.SHIPPING_PACKING)
    ]
    lines.append(
        f"Value of non-originating materials (VNM) = {plain(vnm)}; transaction value = "
        f"{plain(good.transaction_value)}"
        + (
            f"; net cost = {plain(good.net_cost)}"
            if good.net_cost is not None
            else "; no net cost given, so the net cost method is not available"
        )
        + f" ({facts.vnm_citation})."
    )
    if good.is_set:
        return _set(good, facts, counted_non_originating, lines)

    product = _product_rule(case, lookup, need=bool(counted_non_originating), facts=facts)
    if product is None:
        lines.append(
            f"Every material is originating: the good is produced exclusively from originating "
            f"materials, criterion C ({facts.criteria['C']})."
        )
        return Determination(
            True,
            "C",
            None,
            None,
            None,
            False,
            True,
            (),
            None,
            False,
            Decimal(0),
            facts.de_minimis_limit,
            tuple(lines),
        )
    rule = product.rule
    lines.append(f"Product-specific rule ({product.citation}): {rule.text}")
    if rule.condition:
        lines.append(f"This rule applies only '{rule.condition}' (decided from good.use / good.description).")
    for note in product.notes:
        lines.append(f"Note: {note}")

    results = tuple(
        _alternative(i, alt, good, shift_materials, vnm, facts, case, materials)
        for i, alt in enumerate(rule.alternatives, start=1)
    )
    applicable = [r for r in results if r.applies]
    coded = [r for r in results if in_any(good.hs, rule.alternatives[r.index - 1].target) is True]
    if not applicable and coded:  # the case's description or use names none of the goods the rule names
        return _unmatched(case, facts, product, results, coded, lines)
    if not applicable:
        raise OriginError(
            f"the rule does not cover good {good.hs}: no alternative is written for this code "
            "(an 8-digit tariff item may be needed)"
        )
    for res in applicable:
        lines.extend(_describe(res, rule.alternatives[res.index - 1], facts, good))
    negative = _negative_rule(good, facts)
    if negative is not None:
        lines.append(
            f"The case states the process '{negative.process}': the rule's change confers no origin, the "
            f"good is not originating ({negative.citation})."
        )
        results = tuple(replace(r, met=False, open_questions=()) for r in results)
        applicable = [r for r in results if r.applies]
    chosen = next((r for r in applicable if r.met), applicable[0])
    reported_rvc = _report_rvc(chosen, applicable)
    dm_value = chosen.de_minimis_share if chosen.de_minimis_share is not None else Decimal(0)
    dm_limit = chosen.de_minimis_limit if chosen.de_minimis_limit is not None else facts.de_minimis_limit

    if chosen.met:
        criterion = "C" if not counted_non_originating else "B"
        if criterion == "C":
            lines.append(
                f"No non-originating material is counted: produced exclusively from originating "
                f"materials, criterion C ({facts.criteria['C']})."
            )
        else:
            lines.append(
                f"Alternative {chosen.index} is met: originating, criterion B ({facts.criteria['B']})."
            )
        return Determination(
            True,
            criterion,
            rule.alternatives[chosen.index - 1].source_text or rule.text,
            _alternative_citation(rule, chosen.index, product.citation),
            chosen.index,
            chosen.shift_required,
            chosen.shift_met,
            chosen.failing_materials,
            reported_rvc,
            chosen.de_minimis_applied,
            dm_value,
            dm_limit,
            tuple(lines),
            results,
        )

    process = None if negative is not None else _process_rule(good, facts, lines)
    if process is not None:
        lines.append(
            f"The process '{process.process}' performed in the territory makes the good originating "
            f"although its rule is not met ({process.citation}): criterion B ({facts.criteria['B']})."
        )
        return Determination(
            True,
            "B",
            rule.text,
            process.citation,
            None,
            False,
            True,
            (),
            None,
            False,
            Decimal(0),
            dm_limit,
            tuple(lines),
            results,
        )
    d_result = _criterion_d(chosen, good, shift_materials, vnm, facts, lines)
    if d_result is not None:
        return Determination(
            True,
            "D",
            rule.text,
            product.citation,
            chosen.index,
            chosen.shift_required,
            False,
            chosen.failing_materials,
            d_result,
            False,
            dm_value,
            dm_limit,
            tuple(lines),
            results,
        )
    open_results = [r for r in applicable if r.open_questions]
    if open_results:
        undetermined = tuple(
            Undetermined(r.index, question) for r in open_results for question in r.open_questions
        )
        lines.append(
            "No alternative the engine can decide is met, and alternative(s) "
            + ", ".join(str(r.index) for r in open_results)
            + " depend on facts a person must decide: the origin is undetermined (no certification "
            "may be issued until they are decided)."
        )
        first = open_results[0]
        return Determination(
            None,
            None,
            rule.alternatives[first.index - 1].source_text or rule.text,
            _alternative_citation(rule, first.index, product.citation),
            first.index,
            first.shift_required,
            first.shift_met,
            first.failing_materials,
            _report_rvc(first, applicable),
            False,
            first.de_minimis_share if first.de_minimis_share is not None else Decimal(0),
            first.de_minimis_limit if first.de_minimis_limit is not None else facts.de_minimis_limit,
            tuple(lines),
            results,
            undetermined,
        )
    undecided = [
        line for line in lines if line.startswith("Intermediate material") and "undetermined" in line
    ]
    if undecided:
        lines.append(
            "No alternative is met with the undetermined intermediate material(s) counted as "
            "non-originating: "
            "the origin is undetermined."
        )
        return replace(
            Determination(
                None,
                None,
                rule.text,
                product.citation,
                chosen.index,
                chosen.shift_required,
                chosen.shift_met,
                chosen.failing_materials,
                reported_rvc,
                False,
                dm_value,
                dm_limit,
                tuple(lines),
                results,
            ),
            undetermined=tuple(Undetermined(None, line) for line in undecided),
        )
    lines.append(
        f"No alternative of the rule is met and criteria A, C and D do not apply: the good is not "
        f"originating ({facts.criteria['B']})."
    )
    return Determination(
        False,
        None,
        rule.text,
        product.citation,
        chosen.index,
        chosen.shift_required,
        chosen.shift_met,
        chosen.failing_materials,
        reported_rvc,
        False,
        dm_value,
        dm_limit,
        tuple(lines),
        results,
    )


def _unmatched(
    case: OriginCase,
    facts: OriginFacts,
    product: ProductRule,
    results: tuple[AlternativeResult, ...],
    coded: list[AlternativeResult],
    lines: list[str],
) -> Determination:
    """Undetermined: the rule names goods of the good's code by description or use, and the case's
    ``good.description`` / ``good.use`` names none of them."""
    rule = product.rule
    wanted = dict.fromkeys(
        f"{f.kind.value} '{f.text}'" for r in coded for f in rule.alternatives[r.index - 1].requires
    )
    reason = (
        "the rule is written for goods of this code named by description or use, and the case names "
        "none of them; decide which the good is (good.description / good.use): " + "; ".join(wanted)
    )
    lines.append(f"Undetermined: {reason}.")
    return Determination(
        None,
        None,
        rule.text,
        product.citation,
        None,
        coded[0].shift_required,
        False,
        (),
        None,
        False,
        Decimal(0),
        facts.de_minimis_limit,
        tuple(lines),
        results,
        (Undetermined(None, reason),),
    )


def _set(good: Good, facts: OriginFacts, non_originating: list[Material], lines: list[str]) -> Determination:
    """GN 11(i): a set for retail sale (GRI 3) is originating only if each of its goods is, or the
    non-originating goods are at most ``sets_percent`` of the set's value; subdivision (o) does not apply."""
    if facts.sets_percent is None:
        raise OriginError(f"the {facts.agreement} rule for sets is not in the rule data")
    value = sum((m.value for m in non_originating), Decimal(0))
    share = value / good.transaction_value * HUNDRED
    if not non_originating:
        criterion: str | None = "C"
        lines.append(
            f"Every good in the set is originating ({facts.sets_citation}): criterion C "
            f"({facts.criteria['C']})."
        )
    elif share <= facts.sets_percent:
        criterion = "B"
        lines.append(
            f"The non-originating goods of the set ({', '.join(m.id for m in non_originating)}) are "
            f"{pct(share)}% of its value, within {plain(facts.sets_percent)}% ({facts.sets_citation}): "
            f"criterion B ({facts.criteria['B']})."
        )
    else:
        criterion = None
        lines.append(
            f"The non-originating goods of the set ({', '.join(m.id for m in non_originating)}) are "
            f"{pct(share)}% of its value, more than {plain(facts.sets_percent)}%: not originating "
            f"({facts.sets_citation})."
        )
    return Determination(
        criterion is not None,
        criterion,
        None,
        facts.sets_citation,
        None,
        False,
        True,
        (),
        None,
        False,
        share,
        facts.sets_percent,
        tuple(lines),
    )


def _alternative_citation(rule: Rule, index: int, citation: str) -> str:
    """The citation of the rule an alternative comes from, when a rule combines several."""
    source = rule.alternatives[index - 1].source
    return source or citation


def _negative_rule(good: Good, facts: OriginFacts) -> ProcessRule | None:
    """A process of the case that confers no origin: GN 11(n)(iv)(H) (separation from a man-made
    mixture, unless the isolated material underwent a chemical reaction) and the non-qualifying
    operations of GN 11(j) (mere dilution; circumvention)."""
    for rule in facts.negative_rules:
        if rule.process not in good.processes or in_any(good.hs, rule.goods) is not True:
            continue
        if in_any(good.hs, rule.excepted) is True or any(p in good.processes for p in rule.unless):
            continue
        return rule
    return None


def _process_rule(good: Good, facts: OriginFacts, lines: list[str]) -> ProcessRule | None:
    """GN 11(n)(iv)-(v): the first process of ``good.processes`` that confers origin on this good."""
    for name in good.processes:
        for rule in facts.process_rules:
            if rule.process != name or in_any(good.hs, rule.goods) is not True:
                continue
            if in_any(good.hs, rule.excepted) is True:
                lines.append(
                    f"The process '{name}' does not confer origin on a good of {good.hs} ({rule.citation})."
                )
                continue
            return rule
        if not any(r.process == name and in_any(good.hs, r.goods) is True for r in facts.process_rules):
            lines.append(
                f"The process '{name}' confers no origin on a good of chapter {good.hs.chapter} under "
                f"{facts.agreement} (no such rule in the data)."
            )
    return None


def _report_rvc(chosen: AlternativeResult, applicable: list[AlternativeResult]) -> RvcResult | None:
    """The RVC of the reported alternative; when it needs none, that of the first alternative that
    does (the contract's ``rvc`` is null only where no alternative needs one)."""
    if chosen.rvc:
        return chosen.reported_rvc()
    return next((r.reported_rvc() for r in applicable if r.rvc), None)


def _rule_text(case: OriginCase) -> str | None:
    if case.rule is not None:
        return case.rule.text
    return case.product_rule.rule.text if case.product_rule is not None else None


def _citation(case: OriginCase) -> str | None:
    if case.rule is not None:
        return "rule text given in the case file"
    return case.product_rule.citation if case.product_rule is not None else None


def _product_rule(case: OriginCase, lookup: RuleLookup, need: bool, facts: OriginFacts) -> ProductRule | None:
    if case.rule is not None:
        return ProductRule("case", case.rule, "rule text given in the case file", case.date, None, ())
    if case.product_rule is not None:
        return case.product_rule
    if not facts.rule_table:
        if not need:
            return None
        raise OriginError(
            f"the {facts.agreement} product-specific rules are not in the rule data; "
            "give the rule text in the case file ('rule')"
        )
    try:
        return lookup(case.good.hs, case)
    except OriginError:
        if not need:
            return None
        raise


def _resolve_intermediates(
    case: OriginCase, facts: OriginFacts, lookup: RuleLookup, lines: list[str]
) -> list[Material]:
    out: list[Material] = []
    for m in case.materials:
        if not (m.intermediate and m.components):
            out.append(m)
            continue
        sub_case = OriginCase(
            case.agreement,
            case.date,
            Good(m.hs, m.value, m.net_cost, f"intermediate {m.id}"),
            m.components,
            rule=m.rule,
        )
        try:
            sub = _determine(sub_case, facts, lookup)
        except OriginError as exc:
            raise OriginError(f"intermediate material {m.id!r}: {exc}") from exc
        verdict = "originating" if sub.originating else "non-originating"  # None: see below
        lines.append(
            f"Intermediate material {m.id!r} ({m.hs}) designated under {facts.intermediate_citation}: "
            f"{verdict} from its own components"
            + (f" (criterion {sub.criterion})" if sub.criterion else "")
            + "; its whole value counts as "
            + verdict
            + "."
        )
        if sub.originating is None:  # counted as non-originating; the good is undetermined if that matters
            lines.append(
                f"Intermediate material {m.id!r} is undetermined "
                f"({'; '.join(u.reason for u in sub.undetermined)}); "
                "its value counts as non-originating until a person decides."
            )
        out.append(Material(m.id, m.hs, m.value, sub.originating is True, m.country, m.role))
    return out


def _roles(materials: list[Material], facts: OriginFacts, lines: list[str]) -> tuple[list[Material], Decimal]:
    shift: list[Material] = []
    vnm = Decimal(0)
    for m in materials:
        role = m.role
        if role is MaterialRole.INDIRECT:
            lines.append(
                f"Material {m.id!r} is an indirect material: treated as originating "
                f"({facts.roles['indirect']})."
            )
            continue
        if role is MaterialRole.SHIPPING_PACKING:
            lines.append(
                f"Material {m.id!r} is packing for shipment: disregarded ({facts.roles['packing']})."
            )
            continue
        if m.originating:
            continue
        vnm += m.value
        if role is MaterialRole.DIRECT:
            shift.append(m)
        else:
            lines.append(
                f"Material {m.id!r} ({role.value.replace('_', ' ')}) is disregarded for the tariff "
                f"shift and counted as non-originating in the RVC ({facts.roles[role.value]})."
            )
    return shift, vnm


def _matches(source: Source, m: HsCode, good: HsCode, target: tuple[HsRange, ...]) -> bool | None:
    if isinstance(source, OtherAt):
        if source.within:
            inside = in_any(m, source.within)
            if inside is False:
                return False
            differs = _differs(m, good, source.level.digits)
            if inside is None or differs is None:
                return None
            return differs
        return _differs(m, good, source.level.digits)
    if isinstance(source, OutsideGroup):
        inside = in_any(
            m,
            tuple(
                HsRange(r.low[: source.level.digits], r.high[: source.level.digits])
                if r.digits >= source.level.digits
                else r
                for r in target
            ),
        )
        return None if inside is None else not inside
    if isinstance(source, FromCodes):
        return in_any(m, source.codes)
    if isinstance(source, WithinTarget):
        return in_any(m, target)
    if isinstance(source, DescribedCodes):
        raise TypeError("a described source is decided with the material (_described)")
    raise TypeError(source)


def _described(named: DescribedCodes, m: Material) -> bool | None:
    """Whether material ``m`` is one of the goods ``named`` describes (None: a person must say)."""
    if named.codes:
        inside = in_any(m.hs, named.codes)
        if inside is False:
            return False
    return describe.names(m.description, named.description)


def _differs(m: HsCode, good: HsCode, digits: int) -> bool | None:
    if len(m.digits) < digits or len(good.digits) < digits:
        shorter = min(len(m.digits), len(good.digits))
        return True if m.digits[:shorter] != good.digits[:shorter] else None
    return m.digits[:digits] != good.digits[:digits]


def _material_ok(alt: Alternative, m: Material, good: HsCode) -> bool | None:
    """The material makes the shift: it comes from an allowed source and from no excepted code.

    A code shorter than a provision (a 6-digit material against tariff items of an
    ``except from`` or ``from`` list) is read at its own level: it is not within those
    tariff items (contract: a code is read at the level the rule needs, at least 6 digits).
    None when a source or exception names goods by description and the material's
    description does not say whether it is one of them.
    """
    shift = alt.shift
    if shift is None:
        return True
    allowed: bool | None = False
    for source in (*shift.sources, *shift.also):  # the first allowed source decides: no need to read on
        if isinstance(source, DescribedCodes):
            verdict = _described(source, m)
            if verdict is None:
                allowed = None
                continue
        else:
            verdict = _matches(source, m.hs, good, alt.target)
        if verdict is True:
            allowed = True
            break
    if allowed is False:
        return False
    if shift.excepted and in_any(m.hs, shift.excepted) is True:
        return False
    excluded = [_described(named, m) for named in shift.excepted_described]
    if any(e is True for e in excluded):
        return False
    if allowed is None or any(e is None for e in excluded):
        return None
    return True


def _fact(fact: Fact, case: OriginCase) -> bool | None:
    good = case.good
    if fact.kind is FactKind.DESCRIPTION:
        return describe.names(good.description, fact.text)
    if fact.kind is FactKind.USE:
        return describe.use_matches(good.use, fact.text)
    return describe.trade_matches(describe.trade_parties(fact.text), case.exporter, case.destination)


def _all(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _applies(alt: Alternative, case: OriginCase, questions: list[str]) -> bool | None:
    """Whether the good is the one the alternative is written for: its facts and no ``unless`` group."""
    verdicts: list[bool | None] = []
    for fact in alt.requires:
        value = _fact(fact, case)
        verdicts.append(value)
        if value is None:
            questions.append(_ask(fact))
    for group in alt.unless:
        inner = _all([_fact(f, case) for f in group])
        verdicts.append(None if inner is None else not inner)
        if inner is None:
            questions.extend(_ask(f) for f in group if _fact(f, case) is None)
    return _all(verdicts)


def _ask(fact: Fact) -> str:
    if fact.kind is FactKind.DESCRIPTION:
        return f"decide whether the good is '{fact.text}' (say it in good.description)"
    if fact.kind is FactKind.USE:
        return (
            f"decide whether the good is {fact.text} "
            "(good.use: passenger vehicle, light truck, heavy truck or other)"
        )
    return f"give the trade: the rule differs '{fact.text}' (destination, and exporter when not MX)"


def _condition(cond: Condition, case: OriginCase, materials: list[Material]) -> tuple[bool | None, str]:
    """A provided-that condition: computed from weights, or answered in ``good.conditions``."""
    counted = [m for m in materials if m.role is not MaterialRole.SHIPPING_PACKING]
    within = [m for m in counted if in_any(m.hs, cond.codes) is True] if cond.codes else []
    if cond.kind is ConditionKind.ASSERTED:
        if cond.codes and not any(not m.originating for m in within):
            return (
                True,
                f"no non-originating material of {', '.join(map(str, cond.codes))}: '{cond.text}' is met",
            )
        answer = describe.answered(case.good.conditions, cond.text)
        if answer is None:
            return None, f"decide whether '{cond.text}' (answer in good.conditions)"
        return answer, f"good.conditions says '{cond.text}' is {'met' if answer else 'not met'}"
    assert cond.percent is not None
    if not within:
        return True, f"no material of {', '.join(map(str, cond.codes))}: '{cond.text}' is met"
    missing = [m.id for m in within if m.weight is None]
    if missing or (cond.of_good and not case.good.weight):
        return None, (
            f"give the weight of material(s) {', '.join(missing) or '-'}"
            + (" and good.weight" if cond.of_good and not case.good.weight else "")
            + f" to compute '{cond.text}'"
        )
    total = sum((m.weight or Decimal(0) for m in within), Decimal(0))
    if cond.kind is ConditionKind.ORIGINATING_SHARE:
        part = sum((m.weight or Decimal(0) for m in within if m.originating), Decimal(0))
        share = part / total * HUNDRED if total else HUNDRED
        met = share >= cond.percent
        return (
            met,
            f"originating share by weight {pct(share)}% {'>=' if met else '<'} "
            f"{plain(cond.percent)}%: '{cond.text}'",
        )
    base = case.good.weight if cond.of_good else total
    part = sum((m.weight or Decimal(0) for m in within if not m.originating), Decimal(0))
    share = part / base * HUNDRED if base else Decimal(0)
    met = share <= cond.percent
    return (
        met,
        f"non-originating share by weight {pct(share)}% {'<=' if met else '>'} "
        f"{plain(cond.percent)}%: '{cond.text}'",
    )


def _rvc(alt: Alternative, good: Good, vnm: Decimal) -> tuple[RvcResult, ...]:
    if alt.rvc is None:
        return ()
    out: list[RvcResult] = []
    if alt.rvc.tv is not None:
        value = (good.transaction_value - vnm) / good.transaction_value * HUNDRED
        out.append(RvcResult("TV", value, alt.rvc.tv, value >= alt.rvc.tv))
    if alt.rvc.nc is not None:
        if good.net_cost is None or good.net_cost <= 0:
            out.append(RvcResult("NC", None, alt.rvc.nc, False))
        else:
            value = (good.net_cost - vnm) / good.net_cost * HUNDRED
            out.append(RvcResult("NC", value, alt.rvc.nc, value >= alt.rvc.nc))
    return tuple(out)


def _de_minimis_excluded(m: HsCode, good: HsCode, facts: OriginFacts) -> str | None:
    for exc in facts.de_minimis_exceptions:
        if not in_any(good, exc.good):
            continue
        if exc.kind in ("by_weight", "by_weight_component"):
            return exc.citation
        if exc.kind == "same_subheading" and m.at(6) == good.at(6):
            return exc.citation
        if exc.kind == "material" and in_any(m, exc.material) is not False:
            return exc.citation
    return None


def _alternative(
    index: int,
    alt: Alternative,
    good: Good,
    shift_materials: list[Material],
    vnm: Decimal,
    facts: OriginFacts,
    case: OriginCase | None = None,
    materials: list[Material] | None = None,
) -> AlternativeResult:
    case = case if case is not None else OriginCase("USMCA", facts.since, good, tuple(shift_materials))
    materials = materials if materials is not None else shift_materials
    questions: list[str] = []
    in_target = in_any(good.hs, alt.target) is True
    fits = _applies(alt, case, questions) if in_target else False
    applies = in_target and fits is not False
    verdicts = _shift_verdicts(alt, shift_materials, good.hs)
    failing = [m for m in shift_materials if verdicts[m.id] is False]
    for m in shift_materials:
        if verdicts[m.id] is None and alt.shift is not None:
            named = [
                n.description
                for n in (*alt.shift.sources, *alt.shift.also, *alt.shift.excepted_described)
                if isinstance(n, DescribedCodes) and _described(n, m) is None
            ]
            questions.append(
                f"decide whether material {m.id!r} ({m.hs}) is "
                + " or ".join(f"'{n}'" for n in dict.fromkeys(named))
                + " (say what it is in materials[].description)"
            )
    if alt.shift is not None and alt.shift.combination:
        hit = [[m for m in shift_materials if in_any(m.hs, group) is True] for group in alt.shift.combination]
        if sum(1 for group in hit if group) >= 2:  # materials of more than one of the listed groups
            combined = {m.id for group in hit for m in group}
            failing = [m for m in shift_materials if m in failing or m.id in combined]
    notes = _short_code_notes(alt, shift_materials)
    failing_value = sum((m.value for m in failing), Decimal(0))
    rvc = _rvc(alt, good, vnm)
    rvc_met = not rvc or any(r.met for r in rvc)
    excluded_by_code: dict[str, str | None] = {}
    for m in failing:  # one answer per code: materials often share a fraccion
        if m.hs.digits not in excluded_by_code:
            excluded_by_code[m.hs.digits] = _de_minimis_excluded(m.hs, good.hs, facts)
    excluded = [excluded_by_code[m.hs.digits] for m in failing]
    share = failing_value / good.transaction_value * HUNDRED
    limit = facts.de_minimis_limit
    basis = "value"
    by_weight = _by_weight(good.hs, facts)
    if by_weight is not None and by_weight.percent is not None:
        basis, limit = "weight", by_weight.percent
        weighed, note = _weight_share(by_weight, good, failing, shift_materials)
        if weighed is not None:
            excluded = [None if e == by_weight.citation else e for e in excluded]
        share = weighed if weighed is not None else HUNDRED  # no weight: no de minimis
        notes = (*notes, note)
    dm_allowed = bool(failing) and not any(excluded) and share <= limit
    conditions = [_condition(c, case, materials) for c in alt.conditions]
    conditions_met = _all([met for met, _ in conditions])
    notes = (*notes, *(line for _, line in conditions))
    questions.extend(line for met, line in conditions if met is None)
    for item in alt.unsupported:
        questions.append(f"apply by hand what the engine cannot read: {item}")
    dm_applied = dm_allowed and rvc_met and conditions_met is True and not questions
    missing = tuple(p for p in alt.processes if p not in good.processes)
    if missing:
        notes = (
            *notes,
            "the rule requires the good to be "
            + ", ".join(p.replace("_", " ") for p in missing)
            + " in the territory; the case does not say so (good.processes)",
        )
    shift_ok = not failing or dm_allowed
    decided_fail = not applies or bool(missing) or not rvc_met or conditions_met is False or not shift_ok
    met = not decided_fail and not questions and (not failing or dm_applied)
    open_questions = () if decided_fail else tuple(dict.fromkeys(questions))
    return AlternativeResult(
        index,
        applies,
        alt.shift is not None,
        tuple(m.id for m in failing),
        failing_value,
        rvc,
        dm_allowed,
        dm_applied,
        alt.unsupported,
        met,
        notes,
        share if failing else Decimal(0),
        basis,
        limit,
        open_questions,
    )


def _shift_verdicts(alt: Alternative, materials: list[Material], good: HsCode) -> dict[str, bool | None]:
    """``_material_ok`` of each material by id, computed once per HS code when the rule names no
    goods by description (then the code alone decides, and a BOM's materials share few codes)."""
    shift = alt.shift
    described = shift is not None and (
        bool(shift.excepted_described)
        or any(isinstance(s, DescribedCodes) for s in (*shift.sources, *shift.also))
    )
    if described:
        return {m.id: _material_ok(alt, m, good) for m in materials}
    by_code: dict[str, bool | None] = {}  # keyed by the digits: a str hashes faster than an HsCode
    out: dict[str, bool | None] = {}
    for m in materials:
        code = m.hs.digits
        if code not in by_code:
            by_code[code] = _material_ok(alt, m, good)
        out[m.id] = by_code[code]
    return out


def _short_code_notes(alt: Alternative, materials: list[Material]) -> tuple[str, ...]:
    """A note for each material whose code is too short to tell whether it is within the tariff
    items an ``except`` or ``from`` list names."""
    if alt.shift is None:
        return ()
    lists = [alt.shift.excepted] + [
        s.codes for s in alt.shift.sources + alt.shift.also if isinstance(s, FromCodes)
    ]
    short: dict[str, bool] = {}
    notes = []
    for m in materials:
        code = m.hs.digits
        if code not in short:
            short[code] = any(in_any(m.hs, codes) is None for codes in lists)
        if short[code]:
            notes.append(
                f"material {m.id!r} ({m.hs}) is read at {len(m.hs.digits)} digits: taken as outside the "
                f"tariff items named by the rule; give its full tariff item if it is one of them"
            )
    return tuple(notes)


def _by_weight(good: HsCode, facts: OriginFacts) -> DeMinimisException | None:
    for exc in facts.de_minimis_exceptions:
        if exc.kind in ("by_weight", "by_weight_component") and in_any(good, exc.good):
            return exc
    return None


def _weight_share(
    rule: DeMinimisException, good: Good, failing: list[Material], materials: list[Material]
) -> tuple[Decimal | None, str]:
    """The failing materials' share of the weight GN 11(e)(iv) measures: of the good (chapters 50-60,
    heading 9619) or of the component that determines the classification (chapters 61-63); None
    when the case lacks a weight, a failing material is outside the component, or the
    non-originating elastomeric yarns pass their own limit (GN 11(e)(iv)(C))."""
    component = rule.kind == "by_weight_component"
    base = good.component_weight if component else good.weight
    where = "the component that determines the classification" if component else "the good"
    if not base or base <= 0 or any(m.weight is None for m in failing):
        field = "good.component_weight" if component else "good.weight"
        return None, (
            f"the de minimis of this good is by the weight of {where} ({rule.citation}): give {field} and "
            "the weight of each failing material to apply it"
        )
    if component and any(not m.component for m in failing):
        outside = ", ".join(m.id for m in failing if not m.component)
        return None, (
            f"material(s) {outside} are not fibers or yarns of the component that determines the "
            f"classification (materials[].component): no de minimis by weight ({rule.citation})"
        )
    share = sum((m.weight or Decimal(0) for m in failing), Decimal(0)) / base * HUNDRED
    counted = [m for m in materials if m.elastomeric and (m.component or not component)]
    elastic = sum((m.weight or Decimal(0) for m in counted), Decimal(0)) / base * HUNDRED
    if rule.elastomeric_percent is not None and elastic > rule.elastomeric_percent:
        return None, (
            f"non-originating elastomeric yarns are {pct(elastic)}% of the weight of {where}, more than "
            f"{plain(rule.elastomeric_percent)}%: no de minimis ({rule.citation})"
        )
    return share, f"de minimis by the weight of {where}: {pct(share)}% ({rule.citation})"


def _describe(res: AlternativeResult, alt: Alternative, facts: OriginFacts, good: Good) -> list[str]:  # noqa: C901
    head = f"Alternative {res.index} ({alt.label})"
    out: list[str] = []
    if alt.unsupported and alt.unsupported[0].startswith(UNREADABLE):
        return [
            f"{head}: the grammar cannot read it ({alt.unsupported[0][len(UNREADABLE) :]}): {alt.text}; "
            "a person must apply it."
        ]
    if alt.shift is None:
        out.append(f"{head}: no change in tariff classification is required.")
    elif res.failing_materials:
        out.append(
            f"{head}: tariff shift not made by non-originating material(s) "
            f"{', '.join(res.failing_materials)} (value {plain(res.failing_value)}) "
            f"({facts.shift_citation})."
        )
    else:
        out.append(
            f"{head}: every non-originating material makes the required tariff shift "
            f"({facts.shift_citation})."
        )
    for r in res.rvc:
        cite = facts.rvc_tv_citation if r.method == "TV" else facts.rvc_nc_citation
        if r.value is None:
            out.append(f"{head}: RVC by net cost cannot be computed without good.net_cost ({cite}).")
        else:
            verdict = "meets" if r.met else "does not meet"
            out.append(
                f"{head}: RVC {r.method} = {pct(r.value)}% {verdict} the {plain(r.required)}% "
                f"threshold ({cite})."
            )
    if res.failing_materials and alt.shift is not None:
        if res.de_minimis_applied:
            out.append(
                f"{head}: de minimis applies: the failing materials are "
                f"{pct(res.de_minimis_share or Decimal(0))}% of the good's {res.de_minimis_basis}, "
                f"within {plain(res.de_minimis_limit or facts.de_minimis_limit)}% "
                f"({facts.de_minimis_citation})."
            )
        elif not res.de_minimis_allowed:
            out.append(f"{head}: de minimis does not apply ({facts.de_minimis_citation}).")
        if facts.de_minimis_exceptions_note:
            out.append(facts.de_minimis_exceptions_note)
    for reading in alt.readings:
        out.append(f"{head}: {reading}.")
    for note in res.notes:
        out.append(f"{head}: {note}.")
    for question in res.open_questions:
        out.append(f"{head}: open: {question}.")
    verdict = "met" if res.met else ("undetermined" if res.open_questions else "not met")
    out.append(f"{head}: {verdict}.")
    return out


def _criterion_d(
    chosen: AlternativeResult,
    good: Good,
    shift_materials: list[Material],
    vnm: Decimal,
    facts: OriginFacts,
    lines: list[str],
) -> RvcResult | None:
    """GN 11(b)(iv) / USMCA Art. 4.2(d): parts in the good's own subheading (or undivided heading)."""
    if not chosen.failing_materials or in_any(good.hs, facts.d_excluded):
        return None
    by_id = {m.id: m for m in shift_materials}
    for mid in chosen.failing_materials:
        m = by_id[mid]
        same_sub = m.hs.at(6) == good.hs.at(6)
        undivided_heading = m.hs.at(4) == good.hs.at(4) and good.hs.at(6).endswith("00")
        if not (same_sub or undivided_heading):
            return None
    tv = (good.transaction_value - vnm) / good.transaction_value * HUNDRED
    if tv >= facts.d_tv:
        result = RvcResult("TV", tv, facts.d_tv, True)
    elif (
        good.net_cost is not None
        and good.net_cost > 0
        and (good.net_cost - vnm) / good.net_cost * HUNDRED >= facts.d_nc
    ):
        result = RvcResult("NC", (good.net_cost - vnm) / good.net_cost * HUNDRED, facts.d_nc, True)
    else:
        lines.append(
            f"The failing materials are classified with the good, but the RVC is below "
            f"{plain(facts.d_tv)}% (TV) / {plain(facts.d_nc)}% (NC): criterion D is not met "
            f"({facts.criteria['D']})."
        )
        return None
    assert result.value is not None
    lines.append(
        f"The failing materials are classified in the good's own subheading (or undivided heading) and "
        f"the RVC {result.method} = {pct(result.value)}% meets {plain(result.required)}%: originating, "
        f"criterion D ({facts.criteria['D']})."
    )
    return result
