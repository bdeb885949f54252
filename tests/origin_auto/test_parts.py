"""Parts "for use in" vehicles: the GN 11(o) rule written for that use, with the RVC of the part's
table of the Appendix in force on the date (HTSUS GN 11(k)(iii)(B)-(E), (K)-(M))."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from immex.origin import Good, OriginError
from tests.origin_auto.helpers import explanation, qualify

# A gear box (8708.40): net cost 100, transaction value 120, non-originating gears 30 -> RVC NC 70 %.
GEAR_BOX: dict[str, Any] = {
    "agreement": "USMCA",
    "date": "2021-03-01",
    "good": {"hs": "8708.40", "description": "gear box", "transaction_value": "120", "net_cost": "100"},
    "materials": [{"id": "gears", "hs": "8708.40", "value": "30", "originating": False}],
    "automotive": {"for_use_in": "passenger_vehicle"},
}


def gear_box(date: str, use: str, vnm: str = "30") -> dict[str, Any]:
    data = {**GEAR_BOX, "date": date, "automotive": {"for_use_in": use}}
    data["materials"] = [{**GEAR_BOX["materials"][0], "value": vnm}]
    return data


@pytest.mark.parametrize(
    ("date", "required", "originating"),
    [
        ("2021-03-01", "66", True),  # (k)(iii)(B)(1): 66 percent NC, beginning on July 1, 2020
        ("2022-07-01", "72", False),  # (k)(iii)(B)(3): 72 percent NC, beginning on July 1, 2022
        ("2023-08-01", "75", False),  # (k)(iii)(B)(4): the 75 percent GN 11(o) ch. 87 rule 29 prints
    ],
)
def test_table_a1_core_part_for_a_passenger_vehicle(date: str, required: str, originating: bool) -> None:
    # Table A.1 lists 8708.40 "Gear boxes and parts thereof"; GN 11(o) ch. 87 rule 29 is written
    # "For a good of subheading 8708.40 for use in a passenger vehicle or light truck"
    answer = qualify(gear_box(date, "passenger_vehicle"))
    assert answer["rvc"] == {"method": "NC", "value": "70.00", "required": required}
    assert answer["originating"] is originating
    assert "chapter 87, rule 29" in explanation(answer)
    assert "Table A.1" in explanation(answer)


@pytest.mark.parametrize(
    ("date", "required", "originating"),
    [
        ("2024-06-30", "60", True),  # (k)(iii)(K)(1): 60 percent NC from July 1, 2020
        ("2024-07-01", "64", True),  # (k)(iii)(K)(2): 64 percent NC from July 1, 2024
        ("2027-07-01", "70", False),  # (k)(iii)(K)(3): 70 percent NC from July 1, 2027
    ],
)
def test_table_d_part_for_a_heavy_truck(date: str, required: str, originating: bool) -> None:
    # Table D lists 8708.40; (k)(iii)(M): a gear box for a heavy truck must meet the RVC. VNM 34: 66 %
    answer = qualify(gear_box(date, "heavy_truck", vnm="34"))
    assert answer["rvc"] == {"method": "NC", "value": "66.00", "required": required}
    assert answer["originating"] is originating
    assert "chapter 87, rule 30" in explanation(answer)
    assert "HTSUS GN 11(k)(iii)(M)" in explanation(answer)


def test_aftermarket_part_keeps_its_printed_rule() -> None:
    # GN 11(o) ch. 87 rule 31, "For any other good of subheading 8708.40": 50 percent NC, no table
    answer = qualify(gear_box("2023-08-01", "aftermarket"))
    assert answer["originating"] is True
    assert answer["rvc"]["required"] == "50"
    assert "chapter 87, rule 31" in explanation(answer)
    assert "No table of the Appendix lists 8708.40" in explanation(answer)


SEATS: dict[str, Any] = {
    "agreement": "USMCA",
    "date": "2022-03-01",
    "good": {"hs": "9401.20", "description": "car seat", "transaction_value": "110", "net_cost": "100"},
    "materials": [{"id": "frame", "hs": "9401.90", "value": "31", "originating": False}],
    "automotive": {"for_use_in": "passenger_vehicle"},
}


@pytest.mark.parametrize(
    ("date", "nc", "originating"),
    [
        ("2022-03-01", "67.5", True),  # (k)(iii)(D)(3): 67.5 NC / 77.5 TV from January 1, 2022
        ("2023-01-01", "70", False),  # (k)(iii)(D)(4): 70 NC / 80 TV from January 1, 2023
    ],
)
def test_table_b_principal_part_takes_the_staged_rvc_in_its_rvc_alternative(
    date: str, nc: str, originating: bool
) -> None:
    # Seats of 9401.20 are in Table B. GN 11(o) ch. 94 rule 1(B): from 9401.90 with RVC 60 TV / 50 NC;
    # the frame of 9401.90 fails alternative (A) (any other chapter). RVC NC = 69 %, TV = 71.82 %
    answer = qualify({**SEATS, "date": date})
    assert answer["originating"] is originating
    thresholds = {r["method"]: r["required"] for r in [answer["rvc"]]}
    assert nc in thresholds.values() or not originating
    assert "Table B" in explanation(answer)


def test_table_b_part_without_the_use_keeps_the_printed_thresholds() -> None:
    data = {k: v for k, v in SEATS.items() if k != "automotive"}
    answer = qualify({**data, "date": "2023-01-01"})
    assert answer["originating"] is True  # 71.82 % TV >= 60 % printed in GN 11(o) ch. 94 rule 1(B)


def test_ex_entry_needs_to_know_whether_the_good_is_the_described_one() -> None:
    # Table A.1 lists only "Body stampings" of 8708.29 ("ex 8708.29")
    data = {**GEAR_BOX, "good": {**GEAR_BOX["good"], "hs": "8708.29", "description": "door panel"}}
    with pytest.raises(OriginError, match=r"automotive\.listed"):
        qualify(data)


def _readable(rule_id: str) -> bool:
    from immex.origin.rules_data import chapter_rules

    return any(e.id == rule_id and e.product is not None for e in chapter_rules(int(rule_id.split("-")[0])))


@pytest.mark.skipif(not _readable("87-24"), reason="the grammar of this tree cannot read ch. 87 rule 24")
def test_listed_ex_good_gets_the_rule_for_the_described_good() -> None:
    data = {**GEAR_BOX, "good": {**GEAR_BOX["good"], "hs": "8708.29", "description": "door panel"}}
    stamping = {**data, "automotive": {"for_use_in": "passenger_vehicle", "listed": True}}
    answer = qualify(stamping)
    # GN 11(o) ch. 87 rule 24 "For a body stamping of subheading 8708.29 for use in a passenger
    # vehicle or light truck", with (k)(iii)(B)(1): 66 % NC on 2021-03-01
    assert "chapter 87, rule 24" in explanation(answer)
    assert answer["rvc"]["required"] == "66"


def test_part_listed_in_no_table_keeps_its_rule() -> None:
    # 7318.15 (screws and bolts) is in none of Tables A.1, B and C
    data = {**GEAR_BOX, "good": {**GEAR_BOX["good"], "hs": "7318.15", "description": "bolt"}}
    data["materials"] = [{"id": "wire", "hs": "7217.10", "value": "30", "originating": False}]
    answer = qualify(data)
    assert "No table of the Appendix lists 7318.15" in explanation(answer)


def test_table_c_complementary_part_keeps_its_tariff_shift() -> None:
    # Table C lists 8501.10; (k)(iii)(E): "a part listed in Table C ... is originating if it meets the
    # applicable change in tariff classification": the rotor of 8503.00 makes GN 11(o) ch. 85 rule 1(A)
    data = {**GEAR_BOX, "good": {**GEAR_BOX["good"], "hs": "8501.10", "description": "motor"}}
    data["materials"] = [{"id": "rotor", "hs": "8503.00", "value": "90", "originating": False}]
    answer = qualify(data)
    assert answer["originating"] is True and answer["alternative"] == 1
    assert "Table C" in explanation(answer)


def test_vehicle_kind_on_a_part_is_an_error() -> None:
    data = {**GEAR_BOX, "automotive": {"vehicle": "passenger_vehicle"}}
    with pytest.raises(OriginError, match="for_use_in"):
        qualify(data)


@pytest.mark.skipif(
    "use" not in {f.name for f in fields(Good)}, reason="the engine's good.use field is not in this tree"
)
def test_good_use_of_the_engine_gets_the_staged_rvc_too() -> None:
    # good.use (the engine's own field for "for use in" rules) is read as automotive.for_use_in
    data = {k: v for k, v in gear_box("2025-03-01", "heavy_truck", vnm="34").items() if k != "automotive"}
    data["good"] = {**data["good"], "use": "heavy truck"}
    answer = qualify(data)
    assert answer["rvc"] == {"method": "NC", "value": "66.00", "required": "64"}  # (k)(iii)(K)(2)
    assert answer["originating"] is True


@pytest.mark.skipif(
    "use" not in {f.name for f in fields(Good)}, reason="the engine's good.use field is not in this tree"
)
def test_a_rule_given_in_the_case_is_applied_as_given() -> None:
    data = {k: v for k, v in gear_box("2025-03-01", "heavy_truck", vnm="34").items() if k != "automotive"}
    data["good"] = {**data["good"], "use": "heavy truck"}
    data["rule"] = (
        "No change in tariff classification to a good of subheading 8708.40, provided there is a regional "
        "value content of not less than 70 percent under the net cost method."
    )
    assert qualify(data)["originating"] is False


def test_chassis_with_engine_for_a_light_truck_is_a_table_a1_part() -> None:
    # Table A.1 lists 8706 "Chassis fitted with engines, for the motor vehicles of heading 87.03 or
    # subheading 8704.21 or 8704.31"; GN 11(o) ch. 87 rule 14 (for use in a passenger vehicle or
    # light truck) with (k)(iii)(B)(2): 69 % NC from 2021-07-01. (10000 - 3000) / 10000 = 70 %
    data = {
        "agreement": "USMCA",
        "date": "2022-03-01",
        "good": {"hs": "8706.00", "transaction_value": "12000", "net_cost": "10000"},
        "materials": [{"id": "engine", "hs": "8407.34", "value": "3000", "originating": False}],
        "automotive": {"for_use_in": "light_truck"},
    }
    answer = qualify(data)
    assert answer["originating"] is True
    assert answer["rvc"] == {"method": "NC", "value": "70.00", "required": "69"}
    assert "chapter 87, rule 14" in explanation(answer)
    assert qualify({**data, "date": "2022-07-01"})["originating"] is False  # 72 % from 2022-07-01


@pytest.mark.parametrize(("group", "required", "originating"), [("A", "62.5", True), ("B", "60", True)])
def test_gear_box_for_another_vehicle_takes_the_rvc_of_its_group(
    group: str, required: str, originating: bool
) -> None:
    # GN 11(k)(ix)(A)(2): 62.5 % NC for a good of 8708.40 for use in a vehicle of (ix)(A)(1);
    # (ix)(B)(2): 60 % for one of (ix)(B)(1). GN 11(o) ch. 87 rule 31 prints 50 %. RVC NC = 70 %
    data = gear_box("2025-03-01", "other_vehicle")
    data["automotive"]["other_vehicle_group"] = group
    answer = qualify(data)
    assert answer["originating"] is originating
    assert answer["rvc"]["required"] == required
    assert f"HTSUS GN 11(k)(ix)({group})(2)" in explanation(answer)


def test_part_for_another_vehicle_asks_for_its_group() -> None:
    with pytest.raises(OriginError, match=r"automotive\.other_vehicle_group"):
        qualify(gear_box("2025-03-01", "other_vehicle"))


def test_table_f_part_for_a_group_b_vehicle() -> None:
    # Table F lists 9401.20 seats; (ix)(B)(3): 60 % NC for a Table F good subject to an RVC, for use in
    # a vehicle of (ix)(B)(1). GN 11(o) ch. 94 rule 1(B) prints 60 TV / 50 NC. Frame 9401.90 of 45:
    # NC 55 % < 60 %, and the transaction value method is not open under (ix)(B)
    data = {
        **SEATS,
        "date": "2025-03-01",
        "automotive": {"for_use_in": "other_vehicle", "other_vehicle_group": "B"},
    }
    data["materials"] = [{"id": "frame", "hs": "9401.90", "value": "45", "originating": False}]
    answer = qualify(data)
    assert answer["originating"] is False and answer["rvc"]["required"] == "60"
    # Group A has no Table F rate: the printed rule applies (TV (110 - 45) / 110 = 59.09 % < 60, NC 55 >= 50)
    data["automotive"]["other_vehicle_group"] = "A"
    assert qualify(data)["originating"] is True
