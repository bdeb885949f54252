"""The rule grammar on contract wording and on real GN 11(o) texts of many chapters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from immex.origin import (
    FromCodes,
    HsRange,
    Level,
    OtherAt,
    OutsideGroup,
    RuleSyntaxError,
    WithinTarget,
    parse_rule,
)
from immex.origin.model import ConditionKind, Fact, FactKind
from immex.origin.rules_data import rule_table

RVC_60_50 = (
    "provided there is a regional value content of not less than: (a) 60 percent where the "
    "transaction value method is used, or (b) 50 percent where the net cost method is used"
)


def table_text(rule_id: str) -> str:
    return next(e.text for e in rule_table() if e.id == rule_id)


def test_change_of_chapter_in_treaty_wording() -> None:
    rule = parse_rule("A change to heading 94.01 from any other chapter")
    (alt,) = rule.alternatives
    assert alt.target == (HsRange("9401", "9401"),)
    assert alt.shift is not None and alt.shift.sources == (OtherAt(Level.CHAPTER),)
    assert alt.rvc is None


def test_except_from_a_heading_in_treaty_wording() -> None:
    rule = parse_rule("A change to subheading 8471.30 from any other subheading, except from heading 85.04")
    shift = rule.alternatives[0].shift
    assert shift is not None
    assert shift.sources == (OtherAt(Level.SUBHEADING),)
    assert shift.excepted == (HsRange("8504", "8504"),)


def test_contract_alternatives_with_rvc_lettered_a_b() -> None:
    text = (
        "A change to heading 85.01 from any other heading; or A change to heading 85.01 from "
        "subheading 8503.00, whether or not there is also a change from any other heading, " + RVC_60_50
    )
    rule = parse_rule(text)
    first, second = rule.alternatives
    assert first.rvc is None
    assert second.rvc is not None and (second.rvc.tv, second.rvc.nc) == (Decimal(60), Decimal(50))
    assert second.unsupported == ()
    assert second.shift is not None
    assert second.shift.sources == (FromCodes((HsRange("850300", "850300"),)),)
    assert second.shift.also == (OtherAt(Level.HEADING),)


def test_ranges_of_headings_in_except() -> None:
    rule = parse_rule(
        "A change to heading 73.08 from any other chapter, except from headings 72.08 through 72.29"
    )
    shift = rule.alternatives[0].shift
    assert shift is not None and shift.excepted == (HsRange("7208", "7229"),)


def test_tariff_item_level() -> None:
    rule = parse_rule("A change to tariff item 8504.40.40 from any other tariff item")
    alt = rule.alternatives[0]
    assert alt.target == (HsRange("85044040", "85044040"),)
    assert alt.shift is not None and alt.shift.sources == (OtherAt(Level.TARIFF_ITEM),)


def test_net_cost_only_requirement() -> None:
    rule = parse_rule(table_text("87-53"))  # 8708.99: RVC 70 percent under the net cost method
    second = rule.alternatives[1]
    assert second.shift is None
    assert second.rvc is not None and second.rvc.tv is None and second.rvc.nc == Decimal(70)


def test_gn11_chapter_85_rule_1_has_two_alternatives_with_except_and_whether() -> None:
    rule = parse_rule(table_text("85-1"))  # HTSUS GN 11(o) chapter 85 rule 1 (heading 8501)
    first, second = rule.alternatives
    assert first.shift is not None
    assert first.shift.excepted == tuple(HsRange(c, c) for c in ("85030035", "85030045", "85030065"))
    assert second.shift is not None and second.shift.also == (OtherAt(Level.HEADING),)
    assert second.rvc is not None and second.rvc.tv == Decimal(60)


def test_gn11_outside_that_group() -> None:
    rule = parse_rule(table_text("85-14"))  # 8506.50 through 8506.80 from any subheading outside that group
    shift = rule.alternatives[0].shift
    assert rule.alternatives[0].target == (HsRange("850650", "850680"),)
    assert shift is not None and shift.sources == (OutsideGroup(Level.SUBHEADING),)


def test_gn11_within_that_subheading() -> None:
    rule = parse_rule(table_text("85-15"))  # 8506.90 from within that subheading or any other subheading
    shift = rule.alternatives[0].shift
    assert shift is not None and WithinTarget() in shift.sources


def test_gn11_including_another_subheading_within_that_group() -> None:
    rule = parse_rule(table_text("09-2"))
    shift = rule.alternatives[0].shift
    assert rule.alternatives[0].target == (HsRange("090210", "090240"),)
    assert shift is not None and shift.sources == (OtherAt(Level.SUBHEADING),)


def test_gn11_chapter_rule_ranges_chapter_1() -> None:
    rule = parse_rule(table_text("01-1"))
    assert rule.alternatives[0].target == (HsRange("0101", "0106"),)


def test_gn11_any_other_subheading_within_a_chapter() -> None:
    text = next(e.text for e in rule_table() if "any other subheading within chapter 20" in e.text)
    rule = parse_rule(text, lenient=True)
    sources = [s for a in rule.alternatives if a.shift for s in a.shift.sources]
    assert OtherAt(Level.SUBHEADING, within=(HsRange("20", "20"),)) in sources


def test_gn11_dated_steel_rule_has_three_alternatives() -> None:
    rule = parse_rule(table_text("73-subheading-4"))  # 7308.10 from 2022-07-01: (a), (b), (c)
    labels = [a.label for a in rule.alternatives]
    assert labels == ["A", "B", "C"]
    (weight,) = rule.alternatives[1].conditions  # "at least 70 percent by weight ... is originating"
    assert weight.kind is ConditionKind.ORIGINATING_SHARE and weight.percent == Decimal(70)
    assert [str(r) for r in weight.codes] == ["7208", "7211", "7216", "7225", "7226"]
    third = rule.alternatives[2]
    assert third.shift is None and third.rvc is not None and third.rvc.tv == Decimal(75)


def test_official_typos_are_tolerated() -> None:
    rule = parse_rule(table_text("73-subheading-16"))  # prints "c) No change"
    assert [a.label for a in rule.alternatives][-1] == "C"
    rule = parse_rule(table_text("85-16"))  # ", or (B)" instead of "; or (B)"
    assert len(rule.alternatives) == 2


def test_clause_order_2_before_1_reads_both_thresholds() -> None:
    rule = parse_rule(
        "A change to heading 8543 from any other heading, provided there is a regional value content "
        "of not less than: (2) 50 percent where the net cost method is used. (1) 60 percent where the "
        "transaction value method is used"
    )
    rvc = rule.alternatives[0].rvc
    assert rvc is not None and (rvc.tv, rvc.nc) == (Decimal(60), Decimal(50))


def test_use_preamble_becomes_condition() -> None:
    rule = parse_rule(
        table_text("84-18")
    )  # "For a good of subheadings 8407.31 through 8407.34 for use in a heavy truck:"
    assert rule.condition is not None and "heavy truck" in rule.condition


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "A change to heading 94.01",
        "A change to heading 94.01 from nowhere",
        "A change to heading 94.01 from any other chapter, provided there is a regional value content "
        "of not less than: sixty percent",
        "A change to chairs from any other chapter",
        "Any change at all",
        "A change to heading 9401 from headings 9403 through 9401",
    ],
)
def test_malformed_rule_text_is_rejected_with_a_message(text: str) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(text)
    assert str(info.value)


def test_described_good_is_read_as_codes_and_a_description() -> None:
    text = table_text("07-3")  # (A) described good (savory); (B) any other good of 0712.90
    first, other = parse_rule(text).alternatives
    assert [str(r) for r in first.target] == ["0712.90"]
    assert first.requires == (Fact(FactKind.DESCRIPTION, "savory, crushed or ground"),)
    assert other.requires == () and other.unless == ((first.requires[0],),)


SPANISH = [
    (
        "Un cambio a la partida 94.01 de cualquier otro capítulo.",
        "A change to heading 94.01 from any other chapter",
    ),
    (
        "Un cambio a la subpartida 8471.30 de cualquier otra subpartida, excepto de la partida 85.04.",
        "A change to subheading 8471.30 from any other subheading, except from heading 85.04",
    ),
    (
        "Un cambio a las partidas 72.08 a 72.29 de cualquier otro capítulo",
        "A change to headings 72.08 through 72.29 from any other chapter",
    ),
    (
        "Un cambio a la partida 85.01 de cualquier otra partida; o Un cambio a la partida 85.01 "
        "de la subpartida "
        "8503.00, habiendo o no cambios de cualquier otra partida, siempre que se cumpla con un "
        "valor de contenido "
        "regional no menor a: (a) 60 por ciento cuando se utilice el método de valor de "
        "transacción, o (b) 50 por "
        "ciento cuando se utilice el método de costo neto.",
        "A change to heading 85.01 from any other heading; or A change to heading 85.01 from "
        "subheading 8503.00, "
        "whether or not there is also a change from any other heading, provided there is a "
        "regional value content "
        "of not less than: (a) 60 percent where the transaction value method is used, or (b) 50 "
        "percent where the "
        "net cost method is used",
    ),
    (
        "No se requiere cambio de clasificación arancelaria a la subpartida 8708.99, siempre que "
        "exista un valor de "
        "contenido regional no menor a 70 por ciento conforme al método de costo neto.",
        "No change in tariff classification to a good of subheading 8708.99, provided there is a "
        "regional value "
        "content of not less than 70 percent under the net cost method",
    ),
]


@pytest.mark.parametrize(("spanish", "english"), SPANISH)
def test_spanish_wording_parses_like_the_english(spanish: str, english: str) -> None:
    es, en = parse_rule(spanish), parse_rule(english)
    assert [(a.target, a.shift, a.rvc, a.unsupported) for a in es.alternatives] == [
        (a.target, a.shift, a.rvc, a.unsupported) for a in en.alternatives
    ]
    assert es.text == " ".join(spanish.split())  # the verbatim text is kept


def test_bare_no_change_required_takes_the_previous_target() -> None:
    rule = parse_rule(
        "A change to heading 94.01 from any other chapter; or No change in tariff classification "
        "required, provided there is a regional value content of not less than 50 percent under "
        "the net cost method"
    )
    first, second = rule.alternatives
    assert second.target == first.target and second.shift is None
    assert second.rvc is not None and second.rvc.nc == Decimal(50) and second.rvc.tv is None
    alone = parse_rule(
        "No change in tariff classification is required, provided there is a regional value "
        "content of not less than 50 percent under the net cost method"
    )
    assert alone.alternatives[0].target == (HsRange("01", "99"),)
