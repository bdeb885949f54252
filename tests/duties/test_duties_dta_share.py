"""Contract rule 6 version 2 (shared DTA in the IVA base), worked by hand.

The rule (duties contract, ``pedimento`` computation, step 6): X is the DTA of an ``A1``
pedimento, or for ``IN``/``AF`` the DTA a definitive import would pay (LIVA Art. 27). Among
the N lines of the DTA base (lines without a T-MEC preference) with customs value sum B:
when ``B * fr_I_rate > fr_III_quota`` the rate set X and ``D_i = X * VA_i / B`` (by value);
otherwise X is the fr. III minimum and ``D_i = X / N`` (equal parts). D_i is exact; only
``IVA_i = R((VA_i + IGI_i + CC_i + D_i) * iva_rate)`` is rounded. Rates and quotas: DTA
8 al millar (LFD Art. 49 fr. I), fr. III quota 461.61 in 2026 (rules/duties/dta.yaml).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from immex.duties.pedimento import _dta_share
from immex.duties.service import pedimento_from_data, pedimento_json

from .helpers import amounts, line, pedimento_case

TMEC = {"program": "TMEC", "certificate": "CO-1", "rate": "0"}
IMMEX = {"immex": True, "certification": None, "iva_guarantee": False}


def run(case: dict[str, Any]) -> dict[str, Any]:
    return pedimento_json(pedimento_from_data(case))


def ivas(out: dict[str, Any]) -> list[int]:
    return [ln["contributions"][-1]["amount"] for ln in out["lines"]]


def test_a1_dta_by_rate_is_shared_by_value() -> None:
    # B = 100000; 100000 * 0.008 = 800 > 461.61: X = 800, D = 160 / 240 / 400.
    # IVA R(20160 * 0.16) = R(3225.6) = 3226; R(30240 * 0.16) = R(4838.4) = 4838;
    # R(50400 * 0.16) = 8064. (Equal parts, 266.67 each, would give 3243 on line 1.)
    case = pedimento_case(
        exchange_rate="1", incrementables={}, lines=[line(1, "20000"), line(2, "30000"), line(3, "50000")]
    )
    out = run(case)
    assert out["pedimento_contributions"][0]["amount"] == 800
    assert ivas(out) == [3226, 4838, 8064]


def test_in_notional_minimum_shared_equally_among_dta_base_lines_only() -> None:
    # IN, 2026-05-01, TC 1. Lines 1 (1000, IGI 10 %) and 2 (3000, IGI 5 %) are the DTA base;
    # line 3 (5000) has a T-MEC preference and gets no share. B = 4000, 4000 * 0.008 = 32
    # < 461.61: DTA_def = R(461.61) = 462 = X, N = 2, D = 231 each.
    # IGI 100 / 150 / 0 (FP 5). IVA R((1000 + 100 + 231) * 0.16) = R(212.96) = 213;
    # R((3000 + 150 + 231) * 0.16) = R(540.96) = 541; R(5000 * 0.16) = 800.
    # (By value, D = 115.5 / 346.5, line 1 would be R(194.48) = 194.)
    # The DTA paid is the fr. III fixed quota R(461.61) = 462.
    case = pedimento_case(
        clave="IN",
        date="2026-05-01",
        exchange_rate="1",
        incrementables={},
        company=IMMEX,
        lines=[line(1, "1000", "0.10"), line(2, "3000", "0.05"), line(3, "5000", "0.10", preference=TMEC)],
    )
    out = run(case)
    assert amounts(out) == {
        "lines": [
            (1000, {6: (100, 5), 3: (213, 0)}),
            (3000, {6: (150, 5), 3: (541, 0)}),
            (5000, {6: (0, 5), 3: (800, 0)}),
        ],
        "dta": (462, 0),
        "totals": {"customs_value": 9000, "by_code": {"1": 462, "3": 1554, "6": 250}, "cash": 2016},
    }


def test_af_shares_the_definitive_dta_minimum_in_equal_parts() -> None:
    # AF, 2026-02-16, TC 1: B = 30000, 30000 * 0.008 = 240 < 461.61: X = DTA_def = 462,
    # D = 231 each. IVA R(10231 * 0.16) = R(1636.96) = 1637; R(20231 * 0.16) = R(3236.96)
    # = 3237. DTA paid: R(max(30000 * 0.00176, 461.61)) = 462.
    case = pedimento_case(
        clave="AF",
        exchange_rate="1",
        incrementables={},
        company=IMMEX,
        lines=[line(1, "10000"), line(2, "20000")],
    )
    out = run(case)
    assert ivas(out) == [1637, 3237]
    assert out["pedimento_contributions"][0]["amount"] == 462


def test_rate_equal_to_the_quota_counts_as_the_minimum() -> None:
    # quotas.dta_iii = 400 and B = 50000: 50000 * 0.008 = 400, not > 400, so equal parts:
    # D = 200 each, IVA R(10200 * 0.16) = 1632, R(40200 * 0.16) = 6432
    # (by value, D1 = 80, IVA1 would be R(1612.8) = 1613).
    case = pedimento_case(
        exchange_rate="1",
        incrementables={},
        quotas={"dta_iii": "400"},
        lines=[line(1, "10000"), line(2, "40000")],
    )
    out = run(case)
    assert out["pedimento_contributions"][0]["amount"] == 400
    assert ivas(out) == [1632, 6432]


def test_rate_just_above_the_quota_shares_by_value() -> None:
    # B = 50001: 50001 * 0.008 = 400.008 > 400: X = R(400.008) = 400, by value:
    # D1 = 400 * 10000 / 50001 = 79.998..., IVA R(10079.998... * 0.16) = R(1612.7996...) = 1613;
    # D2 = 320.0016..., IVA R(40321.0016... * 0.16) = R(6451.3602...) = 6451.
    case = pedimento_case(
        exchange_rate="1",
        incrementables={},
        quotas={"dta_iii": "400"},
        lines=[line(1, "10000"), line(2, "40001")],
    )
    out = run(case)
    assert out["pedimento_contributions"][0]["amount"] == 400
    assert ivas(out) == [1613, 6451]


@given(
    st.lists(st.tuples(st.integers(0, 10**7), st.booleans()), min_size=1, max_size=12),
    st.integers(0, 10**6),
    st.booleans(),
)
def test_shares_add_up_to_the_dta_and_only_base_lines_get_one(
    lines: list[tuple[int, bool]], total: int, by_value: bool
) -> None:
    base_b = sum(va for va, in_base in lines if in_base)
    base_n = sum(1 for _, in_base in lines if in_base)
    shares = [_dta_share(total, va, base_b, base_n, by_value, in_base) for va, in_base in lines]
    assert all(s == 0 for s, (_, in_base) in zip(shares, lines, strict=True) if not in_base)
    if base_b > 0:
        assert sum(shares, Fraction(0)) == total
        if not by_value:
            assert len({s for s, (_, b) in zip(shares, lines, strict=True) if b}) == 1
    else:
        assert sum(shares, Fraction(0)) == 0
