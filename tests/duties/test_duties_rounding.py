"""R(x), the payment adjustment of LFD Art. 6: 1-50 centavos down, 51-99 up."""

from __future__ import annotations

from decimal import ROUND_HALF_DOWN, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from immex.duties.rounding import fixed2, payment_round


def test_contract_examples_of_r() -> None:
    assert payment_round(Fraction("9487.50")) == 9487
    assert payment_round(Fraction("2920.4865")) == 2920
    assert payment_round(Fraction("19276.512")) == 19277


def test_fifty_centavos_go_down_fifty_one_go_up() -> None:
    assert payment_round(Fraction("100.50")) == 100
    assert payment_round(Fraction("100.51")) == 101
    assert payment_round(Fraction("100.5000001")) == 101
    assert payment_round(Fraction("100.01")) == 100
    assert payment_round(Fraction("100.99")) == 101


def test_whole_pesos_and_zero_stay() -> None:
    assert payment_round(Fraction(0)) == 0
    assert payment_round(Fraction(461)) == 461


def test_quota_with_centavos_rounds_by_r() -> None:
    # LFD Art. 49 fr. III 2026 quota 461.61 → 462; fr. V 462.86 → 463 (contract example).
    assert payment_round(Fraction("461.61")) == 462
    assert payment_round(Fraction("462.86")) == 463


def test_exact_thirds_round_on_the_exact_value() -> None:
    assert payment_round(Fraction(1001, 2)) == 500  # 500.5 exactly
    assert payment_round(Fraction(1502, 3)) == 501  # 500.666...
    assert payment_round(Fraction(1501, 3)) == 500  # 500.333...


@given(st.decimals(min_value=0, max_value=10**12, places=6, allow_nan=False, allow_infinity=False))
def test_r_is_half_down_to_whole_pesos(value: Decimal) -> None:
    expected = int(value.quantize(Decimal(1), rounding=ROUND_HALF_DOWN))
    assert payment_round(Fraction(value)) == expected


@given(st.fractions(min_value=0, max_value=10**9))
def test_r_moves_at_most_half_a_peso(value: Fraction) -> None:
    rounded = payment_round(value)
    assert abs(rounded - value) <= Fraction(1, 2)
    assert rounded - value < Fraction(1, 2) or rounded < value


def test_fixed2_rounds_half_up_for_display() -> None:
    assert fixed2(Fraction("203595")) == "203595.00"
    assert fixed2(Fraction("438.6")) == "438.60"
    assert fixed2(Fraction("0.005")) == "0.01"
    assert fixed2(Fraction(1, 3)) == "0.33"
