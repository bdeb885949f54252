"""Worked examples per rule family of HTSUS (2025 Rev. 7) GN 11, each with the text it applies.

Every rule text quoted here is the packaged GN 11(o) rule (asserted against the table), so an
example cannot drift from the data it claims to follow. Values are chosen so that each verdict
is worked by hand in the comment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from immex.origin import HsCode, Material, determine
from immex.origin.model import OriginCase
from immex.origin.rules_data import find_rule, rule_table

from .origin_helpers import case, mat

DAY = "2025-03-01"


def table_text(rule_id: str) -> str:
    return next(e.text for e in rule_table() if e.id == rule_id)


def weighed(mid: str, hs: str, value: str, kg: str, originating: bool = False, **kw: Any) -> Material:
    return mat(mid, hs, value, originating, weight=Decimal(kg), **kw)


def with_table_rule(c: OriginCase) -> OriginCase:
    """The table's rule given to the case (the engine's automotive hook then leaves it alone)."""
    return replace(c, product_rule=find_rule(c.good.hs, c.date))


# --- chapter 95: "any of subheadings 9503.00 through 9505.90" ---------------------------------


def test_toys_rule_reads_any_of_subheadings_through() -> None:
    assert table_text("95-1").startswith(
        "(A) A change to subheadings 9503.00 through 9505.90 from any other subheading, including another "
        "subheading within that group; or (B) No change in tariff classification to a good of any of "
        "subheadings 9503.00 through 9505.90, provided there is a regional value content of not less than: "
        "(1) 45 percent where the transaction value method is used"
    )
    # parts of toys of 9503.00 in a toy of 9503.00: no change of subheading, so (A) fails; (B): RVC
    # (100 - 50) / 100 = 50 % >= 45 %
    toy = determine(case("9503.00", "100", [mat("parts", "9503.00", "50")]))
    assert toy.originating is True and toy.criterion == "B" and toy.alternative == 2
    assert toy.rvc is not None and toy.rvc.value == Decimal(50) and toy.rvc.required == Decimal(45)
    # (100 - 60) / 100 = 40 % < 45 %: decided, not originating (nothing left to a person)
    short = determine(case("9503.00", "100", [mat("parts", "9503.00", "60")]))
    assert short.originating is False and short.undetermined == ()
    # a motor of 8501.10 changes subheading: (A) is met whatever the RVC
    motor = determine(case("9503.00", "100", [mat("motor", "8501.10", "90")]))
    assert motor.originating is True and motor.alternative == 1


# --- described goods (good.description), uses (good.use) -------------------------------------


def test_drive_axles_are_matched_through_the_description_and_the_use() -> None:
    text = table_text("87-34")
    assert text.startswith(
        "For any other good of subheading 8708.50: (A) A change to drive-axles with differential, "
        "whether or not provided with other transmission components, for vehicles of heading 8703, "
        "of subheading 8708.50 from any other heading, except from subheadings 8482.10 through "
        "8482.80;or (B) A change to drive-axles"
    )
    bearings = [mat("bearing", "8482.10", "30")]
    axle = "drive-axles with differential for vehicles of heading 8703"
    # use "other" (not a passenger vehicle, light or heavy truck): rule 34. (A) fails (bearings are
    # excepted); (B) "from subheading 8482.10 through 8482.80 ... not less than 50 percent under the net
    # cost method": NC (80 - 30) / 80 = 62.5 % -> originating
    good = with_table_rule(case("8708.50", "100", bearings, nc="80", description=axle, use="other"))
    d = determine(good)
    assert d.originating is True and d.criterion == "B"
    assert d.citation is not None and d.citation.endswith("chapter 87, rule 34")
    assert d.rvc is not None and d.rvc.method == "NC" and d.rvc.value == Decimal("62.5")
    # for use in a heavy truck: rule 33, 70 % by net cost: 62.5 % < 70 % -> not originating
    heavy = determine(
        with_table_rule(case("8708.50", "100", bearings, nc="80", description=axle, use="heavy truck"))
    )
    assert heavy.originating is False and heavy.undetermined == ()
    # no description: whether it is a drive-axle decides between (A)/(B) and (I)/(J)
    unknown = determine(with_table_rule(case("8708.50", "100", bearings, nc="80", use="other")))
    assert unknown.originating is None and unknown.criterion is None
    assert any("drive-axles with differential" in u.reason for u in unknown.undetermined)


def test_a_rule_split_by_use_asks_for_the_use() -> None:
    # GN 11(o) ch. 87 rules 29-31: 8708.40 "for use in a passenger vehicle or light truck" (75 % NC),
    # "for use in a heavy truck" (70 % NC), and "For any other good of subheading 8708.40" (a change from
    # any other heading for gear boxes and other goods)
    parts = [mat("gear", "8483.40", "30")]
    no_use = determine(with_table_rule(case("8708.40", "100", parts, nc="100", description="gear box")))
    assert no_use.originating is None  # the use decides between 70 % NC (met) and a heading change
    assert any("good.use" in u.reason for u in no_use.undetermined)
    heavy = determine(
        with_table_rule(case("8708.40", "100", parts, nc="100", description="gear box", use="heavy truck"))
    )
    assert heavy.originating is True and heavy.citation is not None and heavy.citation.endswith("rule 30")


# --- conditions by weight of originating materials (chapter 73) -----------------------------


def test_steel_rule_computes_the_originating_share_by_weight() -> None:
    text = table_text("73-subheading-4")
    assert (
        "(b) A change to subheading 7308.10 from headings 7208, 7211, 7216, 7225 or 72.26, provided "
        "that at least 70 percent by weight of the materials of headings 7208, 7211, 7216, 7225 and "
        "7226 is originating"
    ) in text
    day = "2024-01-01"
    # 70 kg originating and 30 kg non-originating of 7208: 70 % >= 70 % -> (b) met (RVC 40 % fails (c))
    met = [weighed("coil", "7208.10", "60", "30"), weighed("plate", "7208.51", "30", "70", True)]
    d = determine(case("7308.10", "100", met, date=day))
    assert d.originating is True and d.alternative == 2
    assert any("originating share by weight 70.00% >= 70%" in line for line in d.explanation)
    short = [weighed("coil", "7208.10", "60", "31"), weighed("plate", "7208.51", "30", "69", True)]
    assert determine(case("7308.10", "100", short, date=day)).originating is False
    # without weights the share cannot be computed: a person must give them
    blind = determine(case("7308.10", "100", [mat("coil", "7208.10", "60")], date=day))
    assert blind.originating is None
    assert any("give the weight" in u.reason for u in blind.undetermined)


def test_non_originating_share_of_the_good_by_weight() -> None:
    # GN 11(o) ch. 21 rule 1: "A change to tariff item 2101.11.21 from any other chapter, provided that the
    # nonoriginating coffee of chapter 9 constitutes no more than 60 percent by weight of the good"
    assert "nonoriginating coffee of chapter 9 constitutes no more than 60 percent by weight of the good" in (
        table_text("21-1")
    )
    coffee = [weighed("beans", "0901.21", "50", "0.55")]
    assert determine(case("2101.11.21", "100", coffee, weight="1", date=DAY)).originating is True
    heavy = [weighed("beans", "0901.21", "50", "0.65")]
    assert determine(case("2101.11.21", "100", heavy, weight="1", date=DAY)).originating is False


def test_chapter_73_process_exception_is_asked_only_when_heading_7216_is_used() -> None:
    assert "except for changes resulting from the following processes performed on angles, shapes, or " in (
        table_text("73-subheading-3")
    )
    day = "2021-01-01"  # 73-subheading-3 is in force 2020-07-01 to 2022-07-01
    angles = [mat("angle", "7216.31", "40")]
    asked = determine(case("7308.10", "100", angles, date=day))
    assert asked.originating is None
    assert any(
        "the change is not the result only of the following processes" in u.reason for u in asked.undetermined
    )
    key = "the change is not the result only of the following processes performed on angles"
    yes = determine(case("7308.10", "100", angles, date=day, conditions={key: True}))
    assert yes.originating is True and yes.criterion == "B"
    no = determine(case("7308.10", "100", angles, date=day, conditions={key: False}))
    assert no.originating is False and no.undetermined == ()
    # no non-originating material of 7216: the exception cannot apply, nothing to ask
    plates = [mat("plate", "7208.51", "40")]
    assert determine(case("7308.10", "100", plates, date=day)).originating is True


# --- the negative rule GN 11(n)(iv)(H) and the non-qualifying operations GN 11(j) ------------


def test_separation_from_a_man_made_mixture_confers_no_origin_without_chemical_reaction() -> None:
    # GN 11(n)(iv)(H): "A good of chapters 28 through 38 ... that undergoes a change from one
    # classification to another ... as a result of the separation of one or more materials from a
    # man-made mixture, shall not be treated as an originating good unless the isolated material
    # underwent a chemical reaction"; rule 29-1 (A) is met by the change from 2710.12
    naphtha = [mat("naphtha", "2710.12", "70")]
    assert determine(case("2902.20", "100", naphtha)).originating is True
    separated = determine(case("2902.20", "100", naphtha, processes=("separation_from_mixture",)))
    assert separated.originating is False and separated.criterion is None
    assert any("GN 11(n)(iv)(H)" in line for line in separated.explanation)
    reacted = determine(
        case("2902.20", "100", naphtha, processes=("separation_from_mixture", "chemical_reaction"))
    )
    assert reacted.originating is True


def test_mere_dilution_is_a_non_qualifying_operation() -> None:
    # GN 11(j)(i): "A good shall not be considered to be an originating good merely by reason of mere
    # dilution with water or another substance that does not materially alter the characteristics"
    juice = [mat("concentrate", "2009.11", "30")]
    rule = "A change to subheading 2202.99 from any other chapter"
    assert determine(case("2202.99", "100", juice, rule=rule)).originating is True
    diluted = determine(case("2202.99", "100", juice, rule=rule, processes=("mere_dilution",)))
    assert diluted.originating is False and any("GN 11(j)(i)" in line for line in diluted.explanation)


# --- trade-direction rules (destination) ----------------------------------------------------


def test_trade_direction_rule_follows_the_destination() -> None:
    # GN 11(o) ch. 57 chapter rule 1: "For the purposes of trade between the territory of Mexico and the
    # territory of the United States of goods of subheadings 5703.20 through 5703.30 ...: (a) A change ...
    # from any other chapter, except from headings 5106 through 5113, 5204 through 5212, 5311, chapters 54
    # or 55. For the purposes of all other trade ...: (a) A change ... except from ... 5311, chapter 54 or
    # headings 5508 through 5516."  Tow of 5501 (chapter 55, not 5508-5516):
    tow = [mat("tow", "5501.10", "20")]
    to_us = determine(case("5703.20", "100", tow, destination="US"))
    assert to_us.originating is False and to_us.failing_materials == ("tow",)
    to_canada = determine(case("5703.20", "100", tow, destination="CA"))
    assert to_canada.originating is True
    unknown = determine(case("5703.20", "100", tow))
    assert unknown.originating is None and any("destination" in u.reason for u in unknown.undetermined)
    # exported from Canada to the United States is not trade between Mexico and the United States
    assert determine(case("5703.20", "100", tow, destination="US", exporter="CA")).originating is True


# --- GN 11(e)(iv)(B)-(C): apparel, by the weight of the classifying component ---------------


def test_apparel_de_minimis_is_by_the_weight_of_the_component() -> None:
    assert table_text("61-15").startswith(
        "A change to heading 6109 from any other chapter, except from headings 5106 through 5113, "
        "5204 through 5212"
    )
    cut = ("cut_and_sewn",)

    def shirt(yarn_kg: str, elastic_kg: str | None = None) -> OriginCase:
        yarn = weighed("yarn", "5205.11", "5", yarn_kg, component=True)  # excepted heading 5205
        materials = [yarn]
        if elastic_kg is not None:
            materials.append(weighed("spandex", "5402.44", "1", elastic_kg, component=True, elastomeric=True))
        return replace(
            case("6109.10", "100", materials, processes=cut),
            good=replace(
                case("6109.10", "100", materials, processes=cut).good, component_weight=Decimal("0.25")
            ),
        )

    # 0.02 kg of 0.25 kg = 8 % <= 10 %: originating by de minimis
    light = determine(shirt("0.02"))
    assert light.originating is True and light.de_minimis_applied and light.de_minimis_value == Decimal(8)
    # 0.03 kg = 12 %: not originating
    assert determine(shirt("0.03")).originating is False
    # elastomeric yarns 0.02 kg = 8 % of the component, more than 7 % (GN 11(e)(iv)(C)(2)): no de minimis
    assert determine(shirt("0.005", "0.02")).originating is False


# --- GN 11(i): sets ------------------------------------------------------------------------


def test_a_set_is_originating_when_its_non_originating_goods_are_at_most_ten_percent() -> None:
    # GN 11(i): "goods classifiable as goods put up in sets for retail sale ... shall not be considered to
    # be originating goods unless (A) each of the goods in the set is an originating good; or (B) the total
    # value of the nonoriginating goods in the set does not exceed 10 percent of the value of the set"
    goods = [
        mat("brush", "9603.29", "40", True),
        mat("comb", "9615.11", "8"),
        mat("mirror", "7009.92", "30", True),
    ]
    kit = case("9605.00", "100", goods)
    kit = replace(kit, good=replace(kit.good, is_set=True))
    d = determine(kit)
    assert d.originating is True and d.criterion == "B" and d.de_minimis_value == Decimal(8)
    dear = replace(kit, materials=(*goods[:1], mat("comb", "9615.11", "12"), goods[2]))
    assert determine(dear).originating is False
    every = replace(kit, materials=tuple(replace(m, originating=True) for m in goods))
    assert determine(every).criterion == "C"


def test_find_rule_combines_a_code_split_by_use() -> None:
    rule = find_rule(HsCode.parse("8708.40"), dt.date(2025, 3, 1))
    sources = {a.source.rsplit(", ", 1)[-1] for a in rule.rule.alternatives}
    assert sources == {"rule 29", "rule 30", "rule 31"}
