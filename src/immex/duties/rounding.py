"""Exact arithmetic helpers: the payment rounding R(x) and printing of exact values.

R(x) is the adjustment to whole pesos of LFD Art. 6 (and CFF Art. 20): 1 to 50
centavos go down, 51 to 99 go up, so an exact ``.50`` goes down. The contract
(``immex duties``) names it R and applies it only at the points it lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

HALF = Fraction(1, 2)


def exact(value: Decimal | int | Fraction) -> Fraction:
    """The exact rational value of a Decimal (never through a binary float)."""
    return value if isinstance(value, Fraction) else Fraction(value)


def payment_round(value: Fraction) -> int:
    """R(x): floor(x) when the fraction of x is at most 0.50, else floor(x) + 1."""
    floor = value.numerator // value.denominator
    return floor if value - floor <= HALF else floor + 1


def fixed2(value: Fraction) -> str:
    """An exact value printed with two decimals, rounded half up (for people only)."""
    cents = value * 100
    floor = cents.numerator // cents.denominator
    whole = floor + 1 if cents - floor >= HALF else floor
    sign = "-" if whole < 0 else ""
    whole = abs(whole)
    return f"{sign}{whole // 100}.{whole % 100:02d}"


def round_ratio(numerator: int, denominator: int) -> int:
    """R(n/d) on integers (d > 0), without building a Fraction."""
    q, rem = divmod(numerator, denominator)
    return q if 2 * rem <= denominator else q + 1


def sum_ratio(values: Iterable[Decimal | Fraction]) -> tuple[int, int]:
    """The exact sum as an (unreduced) integer pair n/d."""
    n, d = 0, 1
    for value in values:
        vn, vd = value.as_integer_ratio()
        if vd == d:
            n += vn
        else:
            n, d = n * vd + vn * d, d * vd
    return n, d
