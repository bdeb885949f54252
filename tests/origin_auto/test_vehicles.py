"""Vehicles under HTSUS GN 11(k) (Appendix to USMCA Annex 4-B): worked by hand, each with its text.

The passenger car of ``helpers.PASSENGER_CAR``: net cost 27,000, non-originating seats (900) and
control units (2,700), so VNM = 3,600 and RVC (NC) = (27,000 - 3,600) / 27,000 x 100 = 86.67 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from immex.core.problems import InputError
from immex.origin import OriginError
from tests.origin_auto.helpers import PASSENGER_CAR, case, explanation, qualify


def test_passenger_vehicle_meets_every_requirement_on_2025_03_01() -> None:
    # GN 11(k)(iii)(A)(4): "75 percent under the net cost method, beginning on July 1, 2023"
    answer = qualify(PASSENGER_CAR)
    assert answer["originating"] is True and answer["criterion"] == "B"
    assert answer["rvc"] == {"method": "NC", "value": "86.67", "required": "75"}
    text = explanation(answer)
    assert "HTSUS GN 11(k)(iii)(A)(4)" in text
    # core part: engine RVC = (3000 - 600) / 3000 = 80 % >= 75 % of (k)(iii)(B)(4)
    assert "Core part 'engine' (8407.34): RVC 80.00% net cost: met." in text
    # LVC (k)(vi)(A)(4): 40 points, at least 25 of high-wage material and manufacturing
    assert "Labor value content: 40 points counted" in text
    assert "Steel purchases: 78.00% originating" in text and "Aluminum purchases: 75.00% originating" in text


@pytest.mark.parametrize(
    ("day", "required", "originating"),
    [
        # VNM 8,910 of net cost 27,000: RVC = 67.00 %
        ("2021-06-30", "66", True),  # (k)(iii)(A)(1): 66 percent, beginning on July 1, 2020
        ("2021-07-01", "69", False),  # (k)(iii)(A)(2): 69 percent, beginning on July 1, 2021
        ("2023-07-01", "75", False),  # (k)(iii)(A)(4)
    ],
)
def test_vehicle_rvc_follows_the_phase_in(day: str, required: str, originating: bool) -> None:
    data = case(PASSENGER_CAR, date=day)
    data["materials"][2]["value"] = "8010"  # 900 + 8,010 = 8,910
    data["automotive"]["lvc"] = {"material": "27", "technology": "8", "assembly": "5"}
    data["automotive"]["core_parts"][0]["vnm"] = "300"  # 90 %: meets every core-part step
    answer = qualify(data)
    assert answer["rvc"] == {"method": "NC", "value": "67.00", "required": required}
    assert answer["originating"] is originating


def test_vehicle_rvc_uses_the_net_cost_method_only() -> None:
    # (k)(iii)(A) gives the vehicle RVC "under the net cost method": a vehicle without net cost fails
    data = case(PASSENGER_CAR, good__net_cost=None)
    answer = qualify(data)
    assert answer["originating"] is False
    assert answer["rvc"]["method"] == "NC" and answer["rvc"]["value"] is None


def test_labor_value_content_caps_technology_and_requires_material_points() -> None:
    # (k)(vi)(A)(4): 40 percent, at least 25 points of material and manufacturing, no more than
    # 10 of technology and 5 of assembly: 24 + 12 (counted 10) + 6 (counted 5) = 39 < 40, and 24 < 25
    data = case(PASSENGER_CAR)
    data["automotive"]["lvc"] = {"material": "24", "technology": "12", "assembly": "6"}
    answer = qualify(data)
    assert answer["originating"] is False and answer["criterion"] is None
    text = explanation(answer)
    assert "39 points counted" in text and "technology 10 of 12 given" in text and "not met" in text


def test_labor_value_content_of_2020_was_30_points() -> None:
    # (k)(vi)(A)(1): 30 percent with at least 15 points of material and manufacturing, from 2020-07-01
    data = case(PASSENGER_CAR, date="2020-09-01")
    data["automotive"]["lvc"] = {"material": "16", "technology": "10", "assembly": "4"}
    assert qualify(data)["originating"] is True
    data["automotive"]["lvc"] = {"material": "14", "technology": "10", "assembly": "5"}
    assert qualify(data)["originating"] is False


def test_steel_purchases_below_70_percent_make_the_vehicle_non_originating() -> None:
    # (k)(v)(A): at least 70 percent of the producer's steel purchases are of originating goods
    data = case(PASSENGER_CAR)
    data["automotive"]["steel"] = {"purchases": "1000000", "originating": "699999"}
    answer = qualify(data)
    assert answer["originating"] is False
    assert "Steel purchases: 70.00% originating against at least 70%: not met" in explanation(answer)


def test_core_part_below_the_table_a1_rvc_fails_the_vehicle() -> None:
    # (k)(iii)(G): the vehicle is originating only if its core parts meet (k)(iii)(B); engine at 70 %
    data = case(PASSENGER_CAR)
    data["automotive"]["core_parts"][0]["vnm"] = "900"  # (3000 - 900) / 3000 = 70 % < 75 %
    answer = qualify(data)
    assert answer["originating"] is False
    assert "Core part 'engine' (8407.34): RVC 70.00% net cost: not met." in explanation(answer)


def test_core_part_transaction_value_only_where_its_rule_has_it() -> None:
    # The engine rule for use in a passenger vehicle (GN 11(o) ch. 84 rule 17) has only the net cost
    # method, so the 85 % transaction value of (k)(iii)(B)(4) is not open to it even at 86 %
    data = case(PASSENGER_CAR)
    data["automotive"]["core_parts"][0].update({"vnm": "900", "transaction_value": "6500"})
    assert qualify(data)["originating"] is False


def test_super_core_averages_the_core_parts() -> None:
    # (k)(iii)(I): the parts of Table A.2 column 1 taken as one part: (3000 + 2000 - 900 - 300) / 5000
    # = 76 % >= 75 %, although the engine alone is at 70 %
    data = case(PASSENGER_CAR)
    data["automotive"]["core_parts"] = [
        {"id": "engine", "hs": "8407.34", "net_cost": "3000", "vnm": "900"},
        {"id": "gearbox", "hs": "8708.40", "net_cost": "2000", "vnm": "300"},
    ]
    data["automotive"]["super_core"] = True
    answer = qualify(data)
    assert answer["originating"] is True
    assert "RVC 76.00%: met" in explanation(answer)


def test_advanced_battery_core_part_is_exempt() -> None:
    data = case(PASSENGER_CAR)
    data["automotive"]["core_parts"].append(
        {"id": "pack", "hs": "8507.60", "net_cost": "8000", "vnm": "8000", "advanced_battery": True}
    )
    assert qualify(data)["originating"] is True


def test_heavy_truck_rvc_steps_of_2024() -> None:
    # (k)(iii)(J): 60 percent from July 1, 2020; 64 percent from July 1, 2024. RVC = 62 %
    truck = case(
        PASSENGER_CAR,
        good__hs="8704.23",
        good__description="truck, g.v.w. > 20 t",
        good__net_cost="100000",
        good__transaction_value="110000",
        date="2024-06-30",
    )
    truck["materials"] = [{"id": "axles", "hs": "8708.50", "value": "38000", "originating": False}]
    truck["automotive"] = {
        "vehicle": "heavy_truck",
        "lvc": {"material": "30", "technology": "10", "assembly": "5"},  # (k)(vi)(B): 45, 30 of material
        "steel": {"purchases": "100", "originating": "80"},
        "aluminum": {"purchases": "100", "originating": "90"},
    }
    before = qualify(truck)
    assert before["originating"] is True and before["rvc"]["required"] == "60"
    after = qualify(case(truck, date="2024-07-01"))
    assert after["originating"] is False and after["rvc"]["required"] == "64"


def test_heavy_truck_needs_no_core_parts_but_45_points_of_lvc() -> None:
    truck = case(PASSENGER_CAR, good__hs="8704.23", date="2025-03-01")
    truck["automotive"] = {
        "vehicle": "heavy_truck",
        "lvc": {"material": "29", "technology": "10", "assembly": "5"},
        "steel": {"purchases": "100", "originating": "80"},
        "aluminum": {"purchases": "100", "originating": "90"},
    }
    answer = qualify(truck)
    assert answer["originating"] is False  # 44 < 45 and 29 < 30 ((k)(vi)(B))
    assert "Core part" not in explanation(answer)


def test_missing_requirement_data_is_an_error_naming_the_fields() -> None:
    data = case(PASSENGER_CAR)
    del data["automotive"]["lvc"]
    del data["automotive"]["steel"]
    with pytest.raises(OriginError, match=r"automotive\.lvc .*automotive\.steel"):
        qualify(data)


def test_rule_not_met_is_decided_without_the_other_data() -> None:
    data = case(PASSENGER_CAR, automotive={"vehicle": "passenger_vehicle"})
    data["materials"][2]["value"] = "20000"
    assert qualify(data)["originating"] is False


def test_passenger_vehicle_code_needs_the_kind() -> None:
    with pytest.raises(OriginError, match=r"passenger vehicle or other motor vehicle.*automotive\.vehicle"):
        qualify(case(PASSENGER_CAR, automotive={}))


def test_kind_must_fit_the_code() -> None:
    data = case(PASSENGER_CAR)
    data["automotive"]["vehicle"] = "light_truck"
    with pytest.raises(OriginError, match=r"8704\.21"):
        qualify(data)


def test_other_vehicle_follows_its_gn11o_rule() -> None:
    # GN 11(o) ch. 87 rule 1: 8701.10 from any other heading, RVC 60 % (NC); (k)(ix)(B)(1)
    tractor = case(PASSENGER_CAR, good__hs="8701.10", automotive={})
    answer = qualify(tractor)
    assert answer["originating"] is True and answer["rvc"]["required"] == "60"
    assert "other motor vehicle" in explanation(answer)


def test_bad_automotive_fields_exit_with_every_problem() -> None:
    data = case(PASSENGER_CAR)
    data["automotive"] = {
        "vehicle": "car",
        "lvc": {"technology": "-1"},
        "steel": {"purchases": "10", "originating": "11"},
        "colour": "red",
    }
    with pytest.raises(InputError) as info:
        qualify(data)
    columns = {p.column for p in info.value.problems}
    expected = {"automotive.vehicle", "automotive.lvc.material", "automotive.lvc.technology"}
    assert expected | {"automotive.steel.originating"} <= columns
    assert "automotive.colour" in columns


def test_nafta_vehicle_is_undetermined_not_an_error() -> None:
    """NAFTA Art. 403 (traced RVC) is not in the data: the answer says what a person decides with
    (tests/origin_auto/test_nafta_vehicles.py works the other answers)."""
    data = case(
        PASSENGER_CAR,
        agreement="NAFTA",
        date="2019-03-01",
        rule="A change to subheading 8703.23 from any other heading.",
    )
    answer = qualify(data)
    assert (answer["originating"], answer["criterion"]) == (None, None)
    assert "Annex 403.1" in answer["undetermined"][0]["reason"]


def test_decimal_thresholds_come_from_the_data() -> None:
    from immex.rules.usmca.automotive_data import automotive_data, step_on

    data = automotive_data()
    assert step_on(data.rvc["table_b"][0], dt.date(2022, 1, 1)).nc == Decimal("67.5")
    assert step_on(data.rvc["table_b"][0], dt.date(2021, 12, 31)).nc == Decimal("65")


def test_cli_exits_2_naming_the_missing_fields(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from immex.cli import app

    data = case(PASSENGER_CAR)
    del data["automotive"]["aluminum"]
    path = tmp_path / "car.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["origin", "qualify", "--input", str(path)])
    assert result.exit_code == 2
    assert "automotive.aluminum" in result.output and "Traceback" not in result.output


@settings(max_examples=40, deadline=None)
@given(
    vnm=st.integers(min_value=0, max_value=27000),
    early=st.dates(min_value=dt.date(2020, 7, 1), max_value=dt.date(2030, 12, 31)),
    later=st.dates(min_value=dt.date(2020, 7, 1), max_value=dt.date(2030, 12, 31)),
)
def test_a_vehicle_originating_on_a_date_was_originating_before(
    vnm: int, early: dt.date, later: dt.date
) -> None:
    # GN 11(k) only raises its thresholds over time (phase-in), so the verdict can only be lost later
    early, later = min(early, later), max(early, later)
    data = case(PASSENGER_CAR)
    data["materials"][2]["value"] = str(vnm)
    verdicts = [qualify(case(data, date=day.isoformat()))["originating"] for day in (early, later)]
    assert not (verdicts[1] and not verdicts[0])
