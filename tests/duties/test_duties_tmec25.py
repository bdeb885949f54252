"""Worked examples of ``immex duties tmec25`` (T-MEC Art. 2.5, "the lesser of").

Sources: T-MEC Art. 2.5 / NAFTA Art. 303; Regla 8.2 of the NAFTA customs
Resolution (M − U); 60-day term of NAFTA 303(3)-(5) and RGCE 1.6.14
(rules/duties/tmec25.yaml); complementario pays LFD Art. 49 fr. V (2026 quota
462.86, Anexo 4 RMF 2026; 2024: 427, APTA) from rules/duties/dta.yaml;
identificador ST complementos 8 / 9a / 22 (tlcasociados, lofac; taxes.md §8.3).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from immex.duties.service import tmec25_from_data, tmec25_json

from .helpers import material, tmec25_case

COMPARED = (
    "applies",
    "mexican_igi",
    "foreign_duty_mxn",
    "exemption",
    "payable",
    "identificador",
    "due_date",
    "dta_complementario",
)


def run(case: dict[str, Any]) -> dict[str, Any]:
    return tmec25_json(tmec25_from_data(case))


def compared(out: dict[str, Any]) -> dict[str, Any]:
    result = {key: out[key] for key in COMPARED}
    result["code"] = out["contribution"]["code"]
    return result


def test_contract_example_us_duty_above_the_mexican_igi() -> None:
    out = run(tmec25_case())
    assert compared(out) == {
        "applies": True,
        "mexican_igi": 9000,
        "foreign_duty_mxn": 21000,
        "exemption": 9000,
        "payable": 0,
        "identificador": {"clave": "ST", "complemento": "8"},
        "due_date": "2026-05-09",
        "dta_complementario": 463,
        "code": 12,
    }
    assert [m["igi"] for m in out["materials"]] == ["6000.00", "3000.00"]
    assert out["contribution"] == {"code": 12, "abbr": "2.5", "forma_pago": 0}


def test_us_duty_below_the_mexican_igi_pays_the_difference() -> None:
    out = run(tmec25_case(foreign_duty={"amount": "100.00", "currency": "USD", "exchange_rate": "18"}))
    assert (out["mexican_igi"], out["foreign_duty_mxn"], out["exemption"], out["payable"]) == (
        9000,
        1800,
        1800,
        7200,
    )
    assert out["identificador"]["complemento"] == "8"


def test_zero_us_duty_gives_no_exemption_but_a_complementario() -> None:
    # Barnes, Richardson & Colburn (Nov 2000): US duty 0 → the whole Mexican duty is owed.
    out = run(tmec25_case(foreign_duty={"amount": "0", "exchange_rate": "17"}))
    assert (out["foreign_duty_mxn"], out["exemption"], out["payable"]) == (0, 0, 9000)
    assert out["identificador"]["complemento"] == "8"
    assert out["dta_complementario"] == 463


def test_without_evidence_the_igi_is_paid_on_the_return_pedimento() -> None:
    out = run(tmec25_case(foreign_duty=None))
    assert compared(out) == {
        "applies": True,
        "mexican_igi": 9000,
        "foreign_duty_mxn": None,
        "exemption": 0,
        "payable": 9000,
        "identificador": {"clave": "ST", "complemento": "9a"},
        "due_date": "2026-03-10",
        "dta_complementario": 0,
        "code": 12,
    }


def test_absent_foreign_duty_key_is_the_same_as_null() -> None:
    case = tmec25_case()
    del case["foreign_duty"]
    assert run(case) == run(tmec25_case(foreign_duty=None))


def test_originating_materials_are_excluded_and_prosec_rate_replaces_tigie() -> None:
    out = run(
        tmec25_case(
            materials=[
                material("M1", "120000.00", "0.05", originating=True),
                material(
                    "M2",
                    "30000.00",
                    "0.10",
                    preference={"program": "PROSEC", "sector": "XIX", "rate": "0.02"},
                ),
                material("M3", "1000.00", "0.15", preference={"program": "R8", "rate": "0"}),
            ]
        )
    )
    assert [(m["included"], m["rate_source"]) for m in out["materials"]] == [
        (False, "TIGIE"),
        (True, "PROSEC"),
        (True, "R8"),
    ]
    assert out["mexican_igi"] == 600
    assert out["exemption"] == 600 and out["payable"] == 0


def test_zero_mexican_igi_is_complemento_22_and_keeps_the_foreign_duty() -> None:
    out = run(
        tmec25_case(
            materials=[
                material("M1", "5000", "0.10", preference={"program": "PROSEC", "sector": "I", "rate": "0"})
            ]
        )
    )
    assert compared(out) == {
        "applies": True,
        "mexican_igi": 0,
        "foreign_duty_mxn": 21000,
        "exemption": 0,
        "payable": 0,
        "identificador": {"clave": "ST", "complemento": "22"},
        "due_date": None,
        "dta_complementario": 0,
        "code": 12,
    }


def test_empty_materials_is_allowed_and_owes_nothing() -> None:
    out = run(tmec25_case(materials=[], foreign_duty=None))
    assert (
        out["mexican_igi"],
        out["payable"],
        out["identificador"]["complemento"],
        out["foreign_duty_mxn"],
    ) == (0, 0, "22", None)


def test_same_condition_is_not_subject() -> None:
    case = tmec25_case()
    case["export"]["same_condition"] = True
    out = run(case)
    assert compared(out) == {
        "applies": False,
        "mexican_igi": 0,
        "foreign_duty_mxn": None,
        "exemption": 0,
        "payable": 0,
        "identificador": {"clave": "ST", "complemento": "22"},
        "due_date": None,
        "dta_complementario": 0,
        "code": 12,
    }
    assert not any(m["included"] for m in out["materials"])


def test_m_is_rounded_once_on_the_total() -> None:
    # Two materials of 0.50 IGI each: R(1.00) = 1 (rounding each would give 0).
    out = run(
        tmec25_case(foreign_duty=None, materials=[material("A", "5.00", "0.1"), material("B", "5.00", "0.1")])
    )
    assert out["mexican_igi"] == 1
    # Three of them: R(1.50) = 1 (fifty centavos go down).
    out = run(
        tmec25_case(
            foreign_duty=None,
            materials=[
                material("A", "5.00", "0.1"),
                material("B", "5.00", "0.1"),
                material("C", "5.00", "0.1"),
            ],
        )
    )
    assert out["mexican_igi"] == 1


def test_foreign_duty_is_rounded_by_r() -> None:
    out = run(tmec25_case(foreign_duty={"amount": "100.03", "exchange_rate": "17.5"}))
    # 100.03 * 17.5 = 1750.525 → 1751
    assert out["foreign_duty_mxn"] == 1751 and out["payable"] == 9000 - 1751


def test_due_date_crosses_the_year() -> None:
    case = tmec25_case()
    case["export"]["date"] = "2026-12-15"
    assert run(case)["due_date"] == "2027-02-13"


def test_2024_complementario_pays_the_2024_fr_v_quota() -> None:
    case = tmec25_case()
    case["export"]["date"] = "2024-08-01"
    assert run(case)["dta_complementario"] == 427


def test_quota_override_for_a_year_without_fr_v() -> None:
    case = tmec25_case(quotas={"dta_v": "450.51"})
    case["export"]["date"] = "2025-03-10"
    assert run(case)["dta_complementario"] == 451


def test_canada_is_covered() -> None:
    case = tmec25_case()
    case["export"]["destination"] = "CA"
    assert run(case)["applies"] is True


money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=0, max_value=Decimal("0.5"), places=4, allow_nan=False, allow_infinity=False)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(money, rates, st.booleans()), max_size=8), st.one_of(st.none(), money))
def test_lesser_of_invariants(mats: list[tuple[Decimal, Decimal, bool]], foreign: Decimal | None) -> None:
    case = tmec25_case(
        materials=[material(f"M{i}", str(v), str(r), originating=o) for i, (v, r, o) in enumerate(mats)],
        foreign_duty=None if foreign is None else {"amount": str(foreign), "exchange_rate": "1"},
    )
    out = run(case)
    exact = sum((v * r for v, r, o in mats if not o), Decimal(0))
    assert abs(out["mexican_igi"] - exact) <= Decimal("0.5")
    assert out["exemption"] + out["payable"] == out["mexican_igi"]
    assert 0 <= out["exemption"] <= out["mexican_igi"]
    if out["foreign_duty_mxn"] is not None and out["mexican_igi"] > 0:
        assert out["exemption"] == min(out["mexican_igi"], out["foreign_duty_mxn"])
    # Originating materials never change M.
    without = tmec25_case(
        materials=[material(f"M{i}", str(v), str(r)) for i, (v, r, o) in enumerate(mats) if not o],
        foreign_duty=case["foreign_duty"],
    )
    assert run(without)["mexican_igi"] == out["mexican_igi"]
