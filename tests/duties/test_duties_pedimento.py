"""Worked examples of ``immex duties pedimento`` (contract shared/contracts/duties.md).

Rates and quotas used: IVA 16 % (LIVA Art. 1); DTA 8 al millar (LFD Art. 49
fr. I), 1.76 al millar (fr. II) and the fr. III quota of the year (2024: 425,
APTA; 2025: 445, cargoclaro/glosa; 2026: 461.61, Anexo 4 RMF 2026) from
rules/duties/dta.yaml; IGI/PROSEC/T-MEC rates are the case's own (TIGIE, PROSEC
decree DOF 02-08-2002, T-MEC IGI decree DOF 30-06-2020).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from immex.duties.service import pedimento_from_data, pedimento_json

from .helpers import amounts, line, pedimento_case


def run(case: dict[str, Any]) -> dict[str, Any]:
    return pedimento_json(pedimento_from_data(case))


def test_contract_example_a1_with_incrementables() -> None:
    out = run(pedimento_case())
    assert out["command"] == "pedimento" and out["clave"] == "A1" and out["date"] == "2026-02-16"
    assert amounts(out) == {
        "lines": [(183750, {6: (18375, 0), 3: (32575, 0)})],
        "dta": (1470, 0),
        "totals": {"customs_value": 183750, "by_code": {"1": 1470, "3": 32575, "6": 18375}, "cash": 52420},
    }
    assert out["pedimento_contributions"][0]["tipo_tasa"] == 7
    assert out["lines"][0]["contributions"][1]["base"] == "203595.00"


def test_in_with_prosec_and_tmec_lines_certified_company() -> None:
    # VA1 = R(6180 * 18.2) = 112476, VA2 = R(4120 * 18.2) = 74984 (incrementables 300 prorated).
    # IGI1 at PROSEC 5 % = R(5623.8) = 5624 (FP 5); IGI2 T-MEC 0.
    # DTA paid: fr. III fixed quota R(461.61) = 462. IVA base uses the definitive DTA:
    # R(max(112476 * 0.008, 461.61)) = 900, only on the non-T-MEC line.
    # IVA1 = R((112476 + 5624 + 900) * 0.16) = 19040; IVA2 = R(74984 * 0.16) = 11997; FP 21.
    case = pedimento_case(
        clave="IN",
        date="2026-05-01",
        exchange_rate="18.2000",
        incrementables={"freight": "250", "insurance": "50"},
        company={"immex": True, "certification": "AAA", "iva_guarantee": False},
        lines=[
            line(1, "6000", "0.15", preference={"program": "PROSEC", "sector": "II", "rate": "0.05"}),
            line(2, "4000", "0.10", preference={"program": "TMEC", "certificate": "CO-7", "rate": "0"}),
        ],
    )
    out = run(case)
    assert amounts(out) == {
        "lines": [(112476, {6: (5624, 5), 3: (19040, 21)}), (74984, {6: (0, 5), 3: (11997, 21)})],
        "dta": (462, 0),
        "totals": {"customs_value": 187460, "by_code": {"1": 462, "3": 31037, "6": 5624}, "cash": 462},
    }
    assert out["pedimento_contributions"][0]["tipo_tasa"] == 4


def test_af_with_guarantee_pays_fr_ii_and_guarantees_iva() -> None:
    # 2024: AF DTA = R(max(850000 * 0.00176, 425)) = 1496; definitive DTA for the IVA base
    # R(850000 * 0.008) = 6800; IVA = R((850000 + 42500 + 6800) * 0.16) = 143888, FP 22.
    case = pedimento_case(
        clave="AF",
        date="2024-07-01",
        exchange_rate="17.0000",
        incrementables=None,
        company={"immex": True, "certification": None, "iva_guarantee": True},
        lines=[line(1, "50000", "0.05")],
    )
    out = run(case)
    assert amounts(out) == {
        "lines": [(850000, {6: (42500, 5), 3: (143888, 22)})],
        "dta": (1496, 0),
        "totals": {"customs_value": 850000, "by_code": {"1": 1496, "3": 143888, "6": 42500}, "cash": 1496},
    }


def test_af_small_value_pays_the_fr_iii_minimum() -> None:
    case = pedimento_case(
        clave="AF",
        date="2024-07-01",
        exchange_rate="17",
        incrementables={},
        company={"immex": True},
        lines=[line(1, "1000", "0")],
    )
    out = run(case)
    dta = out["pedimento_contributions"][0]
    assert (dta["amount"], dta["tipo_tasa"], dta["forma_pago"]) == (425, 3, 0)
    # IVA base 17000 + 0 + R(max(136, 425)) = 17425 → R(2788) = 2788, FP 0 (no cert, no guarantee).
    assert out["lines"][0]["contributions"][-1]["amount"] == 2788
    assert out["lines"][0]["contributions"][-1]["forma_pago"] == 0
    assert out["totals"]["cash"] == 425 + 2788


def test_a1_all_tmec_is_dta_exempt_with_fp_9() -> None:
    case = pedimento_case(
        date="2023-03-01",
        exchange_rate="20",
        incrementables=None,
        lines=[line(1, "1000", "0.20", preference={"program": "TMEC", "certificate": "C-1", "rate": "0"})],
    )
    out = run(case)
    dta = out["pedimento_contributions"][0]
    assert (dta["amount"], dta["forma_pago"], dta["tipo_tasa"]) == (0, 9, None)
    assert amounts(out)["lines"] == [(20000, {6: (0, 0), 3: (3200, 0)})]
    assert out["totals"] == {"customs_value": 20000, "by_code": {"1": 0, "3": 3200, "6": 0}, "cash": 3200}


def test_a1_with_cuota_compensatoria_and_minimum_quota_2025() -> None:
    # VA 1950; IGI R(390) ; CC R(975); DTA minimum 445 (2025); IVA R(3760 * 0.16) = R(601.6) = 602.
    case = pedimento_case(
        date="2025-06-01",
        exchange_rate="19.5",
        incrementables={},
        lines=[line(1, "100", "0.20", cc_rate="0.5")],
    )
    out = run(case)
    rows = out["lines"][0]["contributions"]
    assert [r["code"] for r in rows] == [6, 2, 3]
    assert amounts(out) == {
        "lines": [(1950, {6: (390, 0), 2: (975, 0), 3: (602, 0)})],
        "dta": (445, 0),
        "totals": {"customs_value": 1950, "by_code": {"1": 445, "2": 975, "3": 602, "6": 390}, "cash": 2412},
    }
    assert out["pedimento_contributions"][0]["tipo_tasa"] == 3


def test_dta_minimum_is_shared_in_equal_parts_not_by_value() -> None:
    # Rule 6 v2: B = 1000, 1000 * 0.008 = 8 < 461.61, so DTA = R(461.61) = 462 split 231 / 231
    # (by value, rule 6 v1, it was 138.6 / 323.4 giving IVA 70 / 164).
    # IVA R((300 + 231) * 0.16) = R(84.96) = 85, R((700 + 231) * 0.16) = R(148.96) = 149.
    case = pedimento_case(exchange_rate="1", incrementables={}, lines=[line(1, "300"), line(2, "700")])
    out = run(case)
    assert [ln["contributions"][-1]["amount"] for ln in out["lines"]] == [85, 149]
    assert out["pedimento_contributions"][0]["amount"] == 462


def test_customs_value_fifty_centavos_go_down_and_fifty_one_up() -> None:
    down = run(pedimento_case(exchange_rate="1", incrementables={}, lines=[line(1, "9487.50")]))
    up = run(pedimento_case(exchange_rate="1", incrementables={}, lines=[line(1, "9487.51")]))
    assert down["lines"][0]["customs_value"] == 9487
    assert up["lines"][0]["customs_value"] == 9488


def test_igi_rounds_on_the_rounded_customs_value() -> None:
    # VA = R(2920.4865 / 0.1 * 0.1)... simpler: value 29204.865 at TC 1 → VA 29205; IGI 10 % =
    # R(2920.5) = 2920 (the .50 goes down).
    out = run(pedimento_case(exchange_rate="1", incrementables={}, lines=[line(1, "29204.865", "0.10")]))
    assert out["lines"][0]["customs_value"] == 29205
    assert out["lines"][0]["contributions"][0]["amount"] == 2920


def test_line_iva_rate_overrides_the_pedimento_rate() -> None:
    out = run(
        pedimento_case(
            exchange_rate="1",
            incrementables={},
            lines=[line(1, "100000", iva_rate="0.08"), line(2, "100000")],
        )
    )
    ivas = [ln["contributions"][-1]["amount"] for ln in out["lines"]]
    # DTA 1600 split 800/800: IVA R(100800 * 0.08) = 8064 and R(100800 * 0.16) = 16128.
    assert ivas == [8064, 16128]


def test_in_without_certification_pays_iva_in_cash() -> None:
    case = pedimento_case(
        clave="IN",
        company={"immex": True},
        incrementables={},
        exchange_rate="1",
        lines=[line(1, "100000", "0.10")],
    )
    out = run(case)
    iva = out["lines"][0]["contributions"][-1]
    # IVA base 100000 + 10000 + 800 (definitive DTA) = 110800 → 17728, FP 0; DTA paid 462.
    assert (iva["amount"], iva["forma_pago"]) == (17728, 0)
    assert out["totals"]["cash"] == 462 + 17728


def test_quota_override_from_the_case_replaces_the_table() -> None:
    case = pedimento_case(
        clave="IN",
        company={"immex": True},
        incrementables={},
        exchange_rate="1",
        lines=[line(1, "10", "0")],
        quotas={"dta_iii": "500.51"},
    )
    out = run(case)
    assert out["pedimento_contributions"][0]["amount"] == 501


def test_earlier_year_in_the_table_2023() -> None:
    case = pedimento_case(clave="IN", date="2023-12-31", company={"immex": True}, lines=[line(1, "10", "0")])
    assert run(case)["pedimento_contributions"][0]["amount"] == 408


def test_zero_value_line_pays_no_igi_but_takes_its_equal_part_of_the_minimum_dta() -> None:
    # Rule 6 v2: a line of value 0 without a T-MEC preference is one of the N = 2 DTA base
    # lines; the minimum R(461.61) = 462 is split 231 / 231, so its IVA is R(231 * 0.16)
    # = R(36.96) = 37 (it had no share under v1, which split by value).
    out = run(
        pedimento_case(
            exchange_rate="1",
            incrementables={"freight": "10"},
            lines=[line(1, "0", "0.2"), line(2, "1000", "0.2")],
        )
    )
    assert out["lines"][0]["customs_value"] == 0
    assert [c["amount"] for c in out["lines"][0]["contributions"]] == [0, 37]
    assert out["lines"][1]["customs_value"] == 1010
    # line 2: IGI R(202) = 202, IVA R((1010 + 202 + 231) * 0.16) = R(230.88) = 231
    assert [c["amount"] for c in out["lines"][1]["contributions"]] == [202, 231]


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    clave = draw(st.sampled_from(["A1", "IN", "AF"]))
    money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
    rate = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)
    n = draw(st.integers(min_value=1, max_value=6))
    lines = []
    for i in range(n):
        pref = draw(st.sampled_from([None, "TMEC", "PROSEC", "R8"]))
        extra: dict[str, Any] = {}
        if pref == "TMEC":
            extra["preference"] = {"program": "TMEC", "certificate": "X", "rate": "0"}
        elif pref is not None:
            extra["preference"] = {"program": pref, "sector": "I", "rate": str(draw(rate))}
        if clave == "A1" and draw(st.booleans()):
            extra["cc_rate"] = str(draw(rate))
        lines.append(line(i + 1, str(draw(money)), str(draw(rate)), **extra))
    if all(Decimal(ln["value"]) == 0 for ln in lines):
        lines[0]["value"] = "1.00"
    return pedimento_case(
        clave=clave,
        date=draw(st.sampled_from(["2023-05-05", "2024-02-29", "2025-10-01", "2026-11-23"])),
        exchange_rate=str(draw(st.decimals(min_value=Decimal("0.0001"), max_value=30, places=4))),
        incrementables={"freight": str(draw(money)), "other": str(draw(money))},
        company={
            "immex": clave != "A1",
            "certification": draw(st.sampled_from([None, "A", "AA", "AAA"])),
            "iva_guarantee": draw(st.booleans()),
        },
        lines=lines,
    )


@settings(max_examples=60, deadline=None)
@given(cases())
def test_totals_are_the_sums_of_the_rows(case: dict[str, Any]) -> None:
    out = run(case)
    rows = [c for ln in out["lines"] for c in ln["contributions"]]
    rows += out["pedimento_contributions"]
    by_code: dict[str, int] = {}
    for row in rows:
        by_code[str(row["code"])] = by_code.get(str(row["code"]), 0) + row["amount"]
        assert row["amount"] >= 0
    assert out["totals"]["by_code"] == by_code
    assert out["totals"]["cash"] == sum(r["amount"] for r in rows if r["forma_pago"] == 0)
    assert out["totals"]["customs_value"] == sum(ln["customs_value"] for ln in out["lines"])
    assert len(out["pedimento_contributions"]) == 1
    # The rounded customs values add up to the exact total within half a peso per line.
    total = (
        sum(Decimal(ln["value"]) for ln in case["lines"])
        + sum(Decimal(v) for v in case["incrementables"].values())
    ) * Decimal(case["exchange_rate"])
    assert abs(out["totals"]["customs_value"] - total) <= Decimal(len(case["lines"])) / 2
    # Same input, same output (the engine holds no state).
    assert run(case) == out


@settings(max_examples=40, deadline=None)
@given(cases())
def test_temporary_imports_never_pay_igi_in_cash(case: dict[str, Any]) -> None:
    out = run(case)
    for ln in out["lines"]:
        igi = ln["contributions"][0]
        assert igi["code"] == 6
        assert igi["forma_pago"] == (5 if case["clave"] in ("IN", "AF") else 0)
