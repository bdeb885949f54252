"""Invariants of the engine and the grammar, checked on generated cases (hypothesis)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from immex.origin import (
    FromCodes,
    Good,
    HsCode,
    HsRange,
    Level,
    Material,
    OriginCase,
    OtherAt,
    determine,
    parse_rule,
)
from immex.origin.sensitivity import sensitivity

GOODS = [
    "8501.10",
    "8712.00",
    "8716.10",
    "9401.61",
    "8504.21",
    "8456.30",
    "3926.90",
    "8544.42",
    "8471.30",
    "8536.50",
    "7318.15",
]
MATERIAL_CODES = [
    "8503.00",
    "8503.00.35",
    "8714.91",
    "8716.90",
    "9401.90",
    "7226.11",
    "8504.90",
    "8413.50",
    "8537.10",
    "3901.10",
    "7408.11",
    "8544.49",
    "8471.70",
    "8538.90.10",
    "7317.00",
    "7616.99",
    "8501.10",
    "4011.50",
    "5407.61",
    "8473.30",
]

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)


@st.composite
def cases(draw: st.DrawFn) -> OriginCase:
    n = draw(st.integers(min_value=0, max_value=6))
    materials = tuple(
        Material(
            f"m{i}", HsCode.parse(draw(st.sampled_from(MATERIAL_CODES))), draw(money), draw(st.booleans())
        )
        for i in range(n)
    )
    total = sum((m.value for m in materials), Decimal(0))
    tv = total + draw(money)
    nc = draw(st.one_of(st.none(), st.just(tv * Decimal("0.9"))))
    date = draw(st.sampled_from([dt.date(2021, 1, 1), dt.date(2025, 7, 1)]))
    return OriginCase("USMCA", date, Good(HsCode.parse(draw(st.sampled_from(GOODS))), tv, nc), materials)


@settings(max_examples=150, deadline=None)
@given(cases(), st.data())
def test_sourcing_a_material_as_originating_never_loses_origin(case: OriginCase, data: st.DataObject) -> None:
    before = determine(case)
    non_originating = [m for m in case.materials if not m.originating]
    if not non_originating:
        return
    chosen = data.draw(st.sampled_from(non_originating))
    after = determine(
        replace(
            case,
            materials=tuple(replace(m, originating=True) if m.id == chosen.id else m for m in case.materials),
        )
    )
    assert not (before.originating and not after.originating)


@settings(max_examples=150, deadline=None)
@given(cases(), money)
def test_more_non_originating_value_never_raises_the_rvc(case: OriginCase, extra: Decimal) -> None:
    non_originating = [m for m in case.materials if not m.originating]
    if not non_originating:
        return
    bigger_tv = case.good.transaction_value + extra
    base = replace(case, good=replace(case.good, transaction_value=bigger_tv, net_cost=None))
    target = non_originating[0]
    heavier = replace(
        base,
        materials=tuple(
            replace(m, value=m.value + extra) if m.id == target.id else m for m in base.materials
        ),
    )
    a, b = determine(base), determine(heavier)
    for ra, rb in zip(a.alternatives, b.alternatives, strict=True):
        for xa, xb in zip(ra.rvc, rb.rvc, strict=True):
            if xa.value is not None and xb.value is not None:
                assert xb.value <= xa.value


@settings(max_examples=100, deadline=None)
@given(cases())
def test_determination_is_deterministic_and_failing_materials_are_non_originating(case: OriginCase) -> None:
    first, second = determine(case), determine(case)
    assert first == second
    non_originating = {m.id for m in case.materials if not m.originating}
    assert set(first.failing_materials) <= non_originating
    if first.originating:
        assert first.criterion in {"A", "B", "C", "D"}
    if not non_originating and first.originating:
        assert first.criterion == "C"


@settings(max_examples=60, deadline=None)
@given(cases())
def test_greedy_fix_really_qualifies(case: OriginCase) -> None:
    s = sensitivity(case)
    if s.originating or s.greedy_fix is None:
        return
    fixed = replace(
        case,
        materials=tuple(replace(m, originating=True) if m.id in s.greedy_fix else m for m in case.materials),
    )
    assert determine(fixed).originating
    for mid in s.single_fixes:
        one = replace(
            case, materials=tuple(replace(m, originating=True) if m.id == mid else m for m in case.materials)
        )
        assert determine(one).originating


LEVELS = {Level.CHAPTER: ("chapter", 2), Level.HEADING: ("heading", 4), Level.SUBHEADING: ("subheading", 6)}


@st.composite
def headings(draw: st.DrawFn) -> tuple[str, str]:
    low = draw(st.integers(min_value=101, max_value=9600))
    high = draw(st.integers(min_value=low, max_value=min(low + 30, 9699)))
    return f"{low:04d}", f"{high:04d}"


@settings(max_examples=200, deadline=None)
@given(headings(), st.sampled_from(list(LEVELS)), st.booleans(), headings(), st.booleans())
def test_generated_rule_texts_parse_to_their_ast(
    target: tuple[str, str], level: Level, dotted: bool, excepted: tuple[str, str], with_rvc: bool
) -> None:
    def fmt(code: str) -> str:
        return f"{code[:2]}.{code[2:]}" if dotted else code

    low, high = target
    head = f"heading {fmt(low)}" if low == high else f"headings {fmt(low)} through {fmt(high)}"
    word = LEVELS[level][0]
    ex_low, ex_high = excepted
    text = (
        f"A change to {head} from any other {word}, except from headings {fmt(ex_low)} through {fmt(ex_high)}"
        f"; or A change to {head} from heading {fmt(ex_low)}"
    )
    if with_rvc:
        text += (
            ", provided there is a regional value content of not less than: (a) 60 percent where the "
            "transaction value method is used, or (b) 50 percent where the net cost method is used"
        )
    rule = parse_rule(text)
    first, second = rule.alternatives
    assert first.target == (HsRange(low, high),) == second.target
    assert first.shift is not None and first.shift.sources == (OtherAt(level),)
    assert first.shift.excepted == (HsRange(ex_low, ex_high),)
    assert second.shift is not None and second.shift.sources == (FromCodes((HsRange(ex_low, ex_low),)),)
    assert (second.rvc is not None) == with_rvc
    assert first.rvc is None
