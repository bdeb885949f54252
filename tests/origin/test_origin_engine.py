"""The determination: criteria A-D, tariff shift, RVC, de minimis, roles, roll-up, worked examples.

Worked examples cite their source: "seed 002" is the NAFTA rules-of-origin paper in the
project's seeds (section "CTC Criteria" / "Value Added Criteria" / "Special Provisions");
"GN 11" is HTSUS (2025 Rev. 7) General Note 11, whose rules are in the packaged data.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from immex.origin import MaterialRole, OriginCase, OriginError, determine
from immex.origin.sensitivity import sensitivity

from .origin_helpers import case, mat

HEADING_9401 = "A change to heading 94.01 from any other chapter"


def test_contract_example_motor_meets_heading_change() -> None:
    # contract example: 8501.10 motor, rotor 8503.00 read at 6 digits (outside the excepted tariff items)
    c = case(
        "8501.10",
        "100.00",
        [mat("rotor", "8503.00", "30.00"), mat("housing", "7616.99", "10.00", True)],
        nc="85.00",
    )
    d = determine(c)
    assert (d.originating, d.criterion, d.alternative) == (True, "B", 1)
    assert d.shift_required and d.shift_met and d.failing_materials == ()
    assert d.rvc is not None and d.rvc.method == "TV" and round(d.rvc.value or 0, 2) == Decimal("70.00")
    assert "GN 11" in " ".join(d.explanation) or "General Note 11" in " ".join(d.explanation)


def test_excepted_rotor_tariff_item_needs_the_rvc_alternative() -> None:
    # GN 11(o) ch. 85 rule 1 (B): from tariff item 8503.00.35 with RVC 60 TV / 50 NC
    c = case("8501.10", "100.00", [mat("rotor", "8503.00.35", "30.00")], nc="85.00")
    d = determine(c)
    assert (d.originating, d.alternative) == (True, 2)
    assert d.rvc is not None and d.rvc.method == "TV"


def test_rvc_below_both_thresholds_is_not_originating() -> None:
    c = case("8501.10", "100.00", [mat("rotor", "8503.00.35", "45.00")], nc="85.00")
    d = determine(c)
    assert not d.originating and d.criterion is None
    assert d.alternative == 1 and d.failing_materials == ("rotor",)
    assert d.rvc is not None and d.rvc.method == "TV" and not d.rvc.met  # TV 55 < 60; NC 47.06 < 50


def test_net_cost_reported_when_only_it_qualifies() -> None:
    c = case("8501.10", "100.00", [mat("rotor", "8503.00.35", "42.00")], nc="90.00")
    d = determine(c)  # TV 58.00 fails, NC 53.33 meets
    assert d.originating and d.alternative == 2
    assert d.rvc is not None and d.rvc.method == "NC" and f"{d.rvc.value:.2f}" == "53.33"


def test_net_cost_missing_means_method_unavailable() -> None:
    c = case("8501.10", "100.00", [mat("rotor", "8503.00.35", "42.00")])
    d = determine(c)
    assert not d.originating


def test_rvc_exactly_at_threshold_qualifies() -> None:
    c = case("8501.10", "100.00", [mat("rotor", "8503.00.35", "40.00")])
    d = determine(c)
    assert d.originating and d.rvc is not None and d.rvc.value == Decimal(60)


def test_criterion_c_all_materials_originating() -> None:
    c = case("9401.61", "200", [mat("frame", "9401.90", "80", True), mat("foam", "3921.13", "20", True)])
    d = determine(c)
    assert (d.originating, d.criterion) == (True, "C")


def test_criterion_a_wholly_obtained() -> None:
    d = determine(case("0702.00", "10", [], wholly=True))
    assert (d.originating, d.criterion) == (True, "A")


def test_tariff_shift_applies_to_non_originating_materials_only() -> None:
    # an originating part of the good's own chapter does not break "from any other chapter"
    c = case(
        "9401.61",
        "100",
        [mat("frame", "9401.90", "50", True), mat("fabric", "5407.61", "30")],
        rule=HEADING_9401,
    )
    assert determine(c).criterion == "B"


def test_de_minimis_usmca_ten_percent() -> None:
    # USMCA Art. 4.12 / GN 11(e)(i): failing material 8 % of TV -> still originating
    c = case(
        "9401.61", "100", [mat("frame", "9401.90", "8"), mat("fabric", "5407.61", "30")], rule=HEADING_9401
    )
    d = determine(c)
    assert d.originating and d.de_minimis_applied and d.failing_materials == ("frame",)
    assert d.de_minimis_value == Decimal(8) and d.de_minimis_limit == Decimal(10)


def test_de_minimis_over_the_limit_fails() -> None:
    c = case("9401.61", "100", [mat("frame", "9401.90", "10.01")], rule=HEADING_9401)
    d = determine(c)
    assert not d.originating and not d.de_minimis_applied


def test_de_minimis_nafta_seven_percent() -> None:
    # seed 002, "Special Provisions": de minimis of seven percent under NAFTA
    nafta = case(
        "9401.61",
        "100",
        [mat("frame", "9401.90", "8")],
        rule=HEADING_9401,
        agreement="NAFTA",
        date="2019-06-01",
    )
    d = determine(nafta)
    assert not d.originating and d.de_minimis_limit == Decimal(7)
    ok = case(
        "9401.61",
        "100",
        [mat("frame", "9401.90", "6.5")],
        rule=HEADING_9401,
        agreement="NAFTA",
        date="2019-06-01",
    )
    assert determine(ok).de_minimis_applied


def test_de_minimis_exception_chapters_1_to_27_same_subheading() -> None:
    # GN 11(e)(iii): for goods of chapters 1-27 the material must be of another subheading
    rule = "A change to subheading 2008.19 from any other chapter"
    same = determine(case("2008.19", "100", [mat("nuts", "2008.19", "5")], rule=rule))
    other = determine(case("2008.19", "100", [mat("nuts", "2008.11", "5")], rule=rule))
    assert not same.de_minimis_applied
    assert same.criterion == "D"  # same subheading: Art. 4.2(d) with RVC 95 % decides instead
    assert other.de_minimis_applied and other.criterion == "B"
    low_rvc = determine(case("2008.19", "100", [mat("nuts", "2008.19", "45")], rule=rule))
    assert not low_rvc.originating


def test_de_minimis_exception_listed_material_dairy() -> None:
    # GN 11(e)(ii)(A): dairy materials of headings 0401-0406 in goods of headings 0401-0406
    rule = "A change to heading 0406 from any other chapter"
    d = determine(case("0406.10", "100", [mat("milk", "0401.20", "5")], rule=rule))
    assert not d.originating and not d.de_minimis_applied


def test_de_minimis_not_by_value_for_textiles() -> None:
    rule = "A change to heading 6109 from any other chapter"
    d = determine(case("6109.10", "100", [mat("yarn", "6109.90", "2")], rule=rule))
    assert not d.de_minimis_applied and not d.originating


def test_de_minimis_counts_in_rvc() -> None:
    # GN 11(e)(i)(C): the de minimis material stays in VNM; RVC must still be met
    rule = (
        "A change to heading 8501 from any other heading, provided there is a regional value content of "
        "not less than: (1) 60 percent where the transaction value method is used; or (2) 50 percent where "
        "the net cost method is used"
    )
    d = determine(
        case("8501.10", "100", [mat("coil", "8501.90", "5"), mat("steel", "7209.16", "40")], rule=rule)
    )
    assert not d.originating  # RVC TV = 55
    d = determine(
        case("8501.10", "100", [mat("coil", "8501.90", "5"), mat("steel", "7209.16", "30")], rule=rule)
    )
    assert d.originating and d.de_minimis_applied and d.rvc is not None and d.rvc.value == Decimal(65)


def test_worked_example_bicycle_ctc_and_rvc() -> None:
    # seed 002 "Value Added Criteria": bicycle from bicycle parts needs the CTC 8714 -> 8712 AND an RVC;
    # GN 11(o) ch. 87 rule 59 (B) keeps that form under USMCA.
    parts = [mat("frame", "8714.91", "30"), mat("tyres", "4011.50", "5")]
    d = determine(case("8712.00", "100", parts))
    assert d.originating and d.alternative == 2 and d.rvc is not None and d.rvc.required == Decimal(60)
    heavy = [mat("frame", "8714.91", "45"), mat("tyres", "4011.50", "5")]
    assert not determine(case("8712.00", "100", heavy, nc="80")).originating


def test_worked_example_camping_trailer() -> None:
    # seed 002: camping trailer 8716.10 from trailer parts 8716.90 needs CTC and RVC (GN 11 ch. 87 rule 61)
    d = determine(case("8716.10", "1000", [mat("axle", "8716.90", "300")]))
    assert d.originating and d.alternative == 2
    assert not determine(case("8716.10", "1000", [mat("axle", "8716.90", "500")], nc="900")).originating


def test_worked_example_envelopes_from_writing_paper_nafta() -> None:
    # seed 002 "CTC Criteria": envelopes (48.17) from writing paper (48.10) confers origin
    rule = "A change to heading 48.17 from any other heading"
    d = determine(
        case("4817.10", "10", [mat("paper", "4810.13", "6")], rule=rule, agreement="NAFTA", date="1999-01-01")
    )
    assert (d.originating, d.criterion) == (True, "B")


def test_worked_example_baby_carriage_parts_same_heading_criterion_d() -> None:
    # seed 002 "Value Added Criteria": baby carriage (8715) and its parts share the heading; an RVC test
    # suffices (NAFTA Art. 401(d) / USMCA Art. 4.2(d))
    rule = "A change to heading 87.15 from any other heading"
    parts = [mat("parts", "8715.00", "35")]
    d = determine(case("8715.00", "100", parts, rule=rule, agreement="NAFTA", date="2000-01-01"))
    assert (d.originating, d.criterion) == (True, "D")
    assert d.rvc is not None and d.rvc.required == Decimal(60)
    d = determine(
        case(
            "8715.00", "100", [mat("parts", "8715.00", "45")], rule=rule, agreement="NAFTA", date="2000-01-01"
        )
    )
    assert not d.originating


def test_criterion_d_not_for_apparel() -> None:
    rule = "A change to heading 6109 from any other chapter"
    d = determine(case("6109.10", "100", [mat("part", "6109.10", "20")], rule=rule))
    assert not d.originating


def test_indirect_and_shipping_packing_do_not_count() -> None:
    c = case(
        "9401.61",
        "100",
        [
            mat("glove", "6116.10", "50", role=MaterialRole.INDIRECT),
            mat("pallet", "4415.20", "50", role=MaterialRole.SHIPPING_PACKING),
            mat("frame", "9401.90", "50", True),
        ],
        rule=HEADING_9401,
    )
    d = determine(c)
    assert d.originating and d.criterion == "C"


def test_retail_packaging_is_out_of_the_shift_but_in_the_rvc() -> None:
    rule = (
        "A change to heading 8509 from any other heading, provided there is a regional value content of not "
        "less than: (1) 60 percent where the transaction value method is used"
    )
    box = mat("box", "8509.90", "45", role=MaterialRole.RETAIL_PACKAGING)
    d = determine(case("8509.40", "100", [box], rule=rule))
    assert d.shift_met and not d.originating and d.rvc is not None and d.rvc.value == Decimal(55)


def test_intermediate_material_rolls_up() -> None:
    # GN 11(c)(ix): a self-produced sub-assembly that qualifies counts wholly as originating
    stator = mat(
        "stator", "8503.00", "40", intermediate=True, components=(mat("lamination", "7226.11", "25"),)
    )
    rule = (
        "A change to heading 8501 from any other heading, provided there is a regional value content of not "
        "less than: (1) 60 percent where the transaction value method is used"
    )
    d = determine(case("8501.10", "100", [stator, mat("wire", "8544.11", "10")], rule=rule))
    assert d.originating and d.rvc is not None and d.rvc.value == Decimal(90)
    assert any("Intermediate material 'stator'" in line for line in d.explanation)


def test_automotive_vehicle_is_not_supported() -> None:
    with pytest.raises(OriginError, match="automotive"):
        determine(case("8703.23", "20000", [mat("engine", "8407.34", "5000")]))


def test_rule_not_covering_the_good_is_an_error() -> None:
    with pytest.raises(OriginError, match="does not cover"):
        determine(case("8501.10", "100", [mat("x", "7601.10", "5")], rule=HEADING_9401))


def test_table_rule_by_date_successor_on_its_first_day() -> None:
    # GN 11(o) ch. 85: 8504.21-8504.34 rules change on 2025-07-01 (RVC 60/50 -> 65/55)
    steel = [mat("core", "7226.11", "15")]
    before = determine(case("8504.21", "100", steel, date="2025-06-30"))
    after = determine(case("8504.21", "100", steel, date="2025-07-01"))
    assert before.originating and before.alternative == 1
    assert not after.alternatives[0].met  # 7226 is excepted from 2025-07-01
    assert after.alternatives[0].failing_materials == ("core",)
    assert (
        after.alternative == 2
        and not after.shift_required
        and after.rvc is not None
        and after.rvc.required == Decimal(65)
    )


def test_sensitivity_value_to_replace_and_fixes() -> None:
    c = case("8501.10", "100.00", [mat("rotor", "8503.00.35", "45.00"), mat("magnet", "8505.11", "5")])
    s = sensitivity(c)
    assert not s.originating
    tv = next(g for g in s.rvc if g.alternative == 2 and g.method == "TV")
    assert tv.value_to_replace == Decimal(10)  # VNM 50 -> at most 40 for 60 %
    assert "rotor" in s.single_fixes and "magnet" not in s.single_fixes
    assert s.greedy_fix == ("rotor",) and s.greedy_fix_value == Decimal(45)


def test_sensitivity_margin_of_a_qualifying_good() -> None:
    s = sensitivity(case("8501.10", "100.00", [mat("rotor", "8503.00.35", "30.00")], nc="85"))
    tv = next(g for g in s.rvc if g.method == "TV")
    assert s.originating and tv.margin_points == Decimal(10) and tv.headroom == Decimal(10)


def test_except_from_more_than_one_of_the_following() -> None:
    # GN 11(o) ch. 84 rule 141 (8456.20-8456.30): materials of one listed group are fine, of two are not
    one_group = [mat("pump", "8413.50", "10"), mat("frame", "7308.90", "10")]
    two_groups = [mat("pump", "8413.50", "10"), mat("control", "8537.10", "10")]
    assert determine(case("8456.30", "100", one_group)).originating
    d = determine(case("8456.30", "100", two_groups))
    assert not d.originating and set(d.failing_materials) == {"pump", "control"}


def test_missing_label_a_is_read_as_first_alternative() -> None:
    # GN 11(o) ch. 87 rule 52 prints no "(A)" before the first alternative
    from immex.origin.rules_data import rule_table

    entry = next(e for e in rule_table() if e.id == "87-52")
    assert entry.product is not None
    assert [a.label for a in entry.product.rule.alternatives] == ["A", "B", "C"]


def test_described_exception_is_decided_from_the_material_description() -> None:
    # GN 11(o) ch. 85 rule 89 (heading 8537): "(A) A change to heading 8537 from any other heading, except
    # from printed circuit assemblies of subheading 8538.90 or moulded parts of subheading 8538.90; or (B) A
    # change to heading 8537 from printed circuit assemblies ... or moulded parts of subheading 8538.90 or,
    # whether or not there is also a change from any other heading, provided there is a regional value
    # content of not less than: (1) 50 percent where the transaction value method is used; ..."
    plain_board = determine(case("8537.10", "100", [mat("pcb", "8534.00", "20")]))
    assert plain_board.originating and plain_board.alternative == 1
    # RVC 40 % < 50 %: (B) fails; (A) turns on what the 8538.90 material is
    unknown = determine(case("8537.10", "100", [mat("part", "8538.90", "60")]))
    assert unknown.originating is None and unknown.criterion is None
    assert [u.alternative for u in unknown.undetermined] == [1]
    assert "'printed circuit assemblies' or 'moulded parts'" in unknown.undetermined[0].reason
    moulded = determine(case("8537.10", "100", [mat("part", "8538.90", "60", description="moulded part")]))
    assert (
        moulded.originating is False and moulded.failing_materials == ("part",) and not moulded.undetermined
    )
    screw = determine(case("8537.10", "100", [mat("part", "8538.90", "60", description="brass terminal")]))
    assert screw.originating is True and screw.alternative == 1


def test_issue_example_8537_with_rvc_80_is_not_a_definite_no() -> None:
    # issue 14: heading 8537, only moulded parts of 8538.90 non-originating, RVC 80 %: (B) now reads
    # and qualifies (the "whether or not ... any other heading" source takes the 8538.90 part)
    d = determine(case("8537.10", "100", [mat("part", "8538.90", "20", description="moulded parts")]))
    assert d.originating is True and d.criterion == "B" and d.alternative == 2
    assert d.rvc is not None and d.rvc.value == Decimal(80)


def test_every_explanation_line_carries_a_reference_or_names_the_case() -> None:
    d = determine(case("8501.10", "100.00", [mat("rotor", "8503.00.35", "45.00")], nc="85.00"))
    for line in d.explanation:
        assert "(" in line, line


def test_textile_de_minimis_is_by_weight() -> None:
    # GN 11(e)(iv)(A): goods of chapters 50-60 - failing materials up to 10 % of the good's weight
    rule = "A change to heading 5208 from any other heading"
    light = [mat("yarn", "5208.11", "40", weight=Decimal("0.08"))]
    heavy = [mat("yarn", "5208.11", "40", weight=Decimal("0.12"))]
    d = determine(replace_good_weight(case("5208.21", "100", light, rule=rule), "1"))
    assert d.originating and d.de_minimis_applied and d.de_minimis_value == Decimal(8)
    assert not determine(replace_good_weight(case("5208.21", "100", heavy, rule=rule), "1")).originating
    no_weight = determine(case("5208.21", "100", [mat("yarn", "5208.11", "4")], rule=rule))
    assert not no_weight.originating  # value share 4 % is not the test for textiles
    assert any("by the weight of the good" in line for line in no_weight.explanation)


def replace_good_weight(c: OriginCase, weight: str) -> OriginCase:
    from dataclasses import replace

    return replace(c, good=replace(c.good, weight=Decimal(weight)))


def test_chemical_reaction_confers_origin_in_chapters_28_to_40() -> None:
    # GN 11(n)(iv)(A): a good of chapters 28-38 resulting from a chemical reaction in the territory
    from dataclasses import replace

    rule = "A change to subheading 2915.39 from any other subheading"
    base = case("2915.39", "100", [mat("acid", "2915.39", "70")], rule=rule)
    assert not determine(base).originating
    reacted = replace(base, good=replace(base.good, processes=("chemical_reaction",)))
    d = determine(reacted)
    assert (d.originating, d.criterion, d.alternative) == (True, "B", None)
    assert any("GN 11(n)(iv)(A)" in line for line in d.explanation)
    # excepted goods: heading 3301 (essential oils)
    oils = case(
        "3301.29",
        "100",
        [mat("oil", "3301.29", "70")],
        rule="A change to heading 3301 from any other chapter",
    )
    oils = replace(oils, good=replace(oils.good, processes=("chemical_reaction",)))
    assert not determine(oils).originating
    # mixing does not confer origin on chapter 29 goods
    mixed = replace(base, good=replace(base.good, processes=("mixing_blending",)))
    assert not determine(mixed).originating


def test_cut_and_sewn_condition_is_met_by_good_processes() -> None:
    # GN 11(o) ch. 61 rules: "provided that the good is both cut (or knit to shape) and sewn or otherwise
    # assembled in the territory of one or more of the USMCA countries"
    from dataclasses import replace

    shirt = case("6109.10", "100", [mat("fabric", "5208.21", "40", True), mat("buttons", "9606.21", "2")])
    d = determine(shirt)
    assert not d.originating
    assert any("cut and sewn" in line for line in d.explanation)
    sewn = determine(replace(shirt, good=replace(shirt.good, processes=("cut_and_sewn",))))
    assert sewn.originating and sewn.criterion == "B"
