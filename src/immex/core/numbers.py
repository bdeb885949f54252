"""Exact decimal parsing and formatting shared by every engine."""

from __future__ import annotations

import decimal
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

# Exact arithmetic: an inexact or invalid operation raises instead of rounding silently.
EXACT = decimal.Context(
    prec=80, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.Inexact, decimal.InvalidOperation]
)
_PLAIN_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
# "2,105", "1,250,000.5": what a spreadsheet writes with thousands separators ("2,105" may also
# be a decimal comma)
_COMMA_GROUPS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal string (no exponent, no thousands separator).

    Raises ValueError with a message fit for a user.
    """
    cleaned = text.strip()
    if not _PLAIN_DECIMAL.match(cleaned):
        if _COMMA_GROUPS.fullmatch(cleaned):
            raise ValueError(_comma_groups_message(text, cleaned))
        if _DECIMAL_COMMA.fullmatch(cleaned):
            # what a Spanish-locale Excel writes: say so instead of "not a number"
            raise ValueError(
                f"{text!r} has a decimal comma; write decimals with a point ({cleaned.replace(',', '.')})"
            )
        raise ValueError(f"{text!r} is not a plain decimal number")
    return Decimal(cleaned)


def _comma_groups_message(text: str, cleaned: str) -> str:
    undivided = cleaned.replace(",", "")
    if cleaned.count(",") > 1 or "." in cleaned:
        return f"{text!r} has thousands separators; write it without them ({undivided})"
    # one group: a wrong guess is a factor of 1,000, so name both readings
    return (
        f"{text!r} has a comma that may separate thousands ({undivided}) or decimals"
        f" ({cleaned.replace(',', '.')}); write numbers without thousands separators"
        " and decimals with a point"
    )


def plain(value: Decimal) -> str:
    """Format without exponent and without trailing zeros (``1.50`` → ``1.5``, ``2E+1`` → ``20``)."""
    if value == 0:
        return "0"
    text = format(value.normalize(EXACT), "f")  # the default context would round to 28 digits
    return text


def round_half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def decimal_places(value: Decimal) -> int:
    """Digits after the point needed to write ``value`` exactly (``2.50`` → 1, ``20`` → 0)."""
    exponent = EXACT.normalize(value).as_tuple().exponent
    assert isinstance(exponent, int), value
    return max(0, -exponent)


def to_fixed(values: Sequence[Decimal]) -> tuple[list[int], int]:
    """``values`` as integers at the smallest scale that keeps each one exact."""
    scale = max((decimal_places(v) for v in values), default=0)
    return [int(EXACT.scaleb(v, scale)) for v in values], scale


def from_fixed(value: int, scale: int) -> Decimal:
    return EXACT.scaleb(Decimal(value), -scale)
