"""The case-file service used by the CLI and by the batch: read_case, JSON shapes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from immex.core.problems import InputError
from immex.origin import MaterialRole, determine
from immex.origin.service import determination_json, read_case, sensitivity_json


def base() -> dict[str, Any]:
    return {
        "agreement": "T-MEC",
        "date": "2025-03-01",
        "good": {"hs": "850110", "transaction_value": 100, "net_cost": "85"},
        "materials": [
            {"id": "rotor", "hs": "8503.00", "value": "30", "originating": False},
            {"id": "glove", "hs": "6116.10", "value": "1", "originating": False, "indirect": True},
            {"id": "box", "hs": "4819.10", "value": "2", "originating": False, "retail_packaging": True},
            {"id": "pallet", "hs": "4415.20", "value": "3", "originating": False, "packing": True},
            {"id": "manual", "hs": "4901.99", "value": "1", "originating": True, "accessory": True},
        ],
    }


def test_read_case_aliases_integers_and_roles() -> None:
    case = read_case(base(), "case.json")
    assert case.agreement == "USMCA" and case.date == dt.date(2025, 3, 1)
    assert case.good.transaction_value == Decimal(100) and case.good.hs.digits == "850110"
    roles = {m.id: m.role for m in case.materials}
    assert roles == {
        "rotor": MaterialRole.DIRECT,
        "glove": MaterialRole.INDIRECT,
        "box": MaterialRole.RETAIL_PACKAGING,
        "pallet": MaterialRole.SHIPPING_PACKING,
        "manual": MaterialRole.ACCESSORY,
    }


def test_agreement_inferred_from_date() -> None:
    data = base()
    del data["agreement"]
    data["date"] = "2019-01-01"
    data["rule"] = "A change to heading 85.01 from any other heading"
    assert read_case(data, "case.json").agreement == "NAFTA"


def test_roles_change_vnm_but_not_the_shift() -> None:
    out = determination_json(determine(read_case(base(), "case.json")))
    assert out["originating"] is True
    assert out["tariff_shift"]["failing_materials"] == []
    # VNM = rotor 30 + retail box 2 (glove indirect, pallet disregarded): TV 68.00 %
    assert out["rvc"] == {"method": "TV", "value": "68.00", "required": "60"}


def test_intermediate_material_with_components_and_nested_error() -> None:
    data = base()
    data["materials"] = [
        {
            "id": "stator",
            "hs": "8503.00",
            "value": "40",
            "intermediate": True,
            "materials": [{"id": "steel", "hs": "7226.11", "value": "25", "originating": False}],
        }
    ]
    case = read_case(data, "case.json")
    assert case.materials[0].components[0].id == "steel"
    data["materials"][0]["materials"][0].update(intermediate=True, materials=[])
    with pytest.raises(InputError) as info:
        read_case(data, "case.json")
    assert "GN 11(c)(ix)(B)" in info.value.problems[0].message


def test_components_without_intermediate_flag_is_a_problem() -> None:
    data = base()
    data["materials"][0]["materials"] = []
    with pytest.raises(InputError) as info:
        read_case(data, "case.json")
    assert "only for an intermediate material" in info.value.problems[0].message


def test_two_role_flags_are_a_problem() -> None:
    data = base()
    data["materials"][1]["packing"] = True
    with pytest.raises(InputError, match="input problem"):
        read_case(data, "case.json")


def test_sensitivity_json_shape() -> None:
    from immex.origin.sensitivity import sensitivity

    out = sensitivity_json(sensitivity(read_case(base(), "case.json")))
    assert set(out) == {
        "originating",
        "criterion",
        "undetermined",
        "alternative",
        "rvc",
        "blocking_materials",
        "single_fixes",
        "greedy_fix",
    }
