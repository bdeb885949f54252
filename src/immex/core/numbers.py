"""Exact decimal parsing and formatting shared by every engine."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

_PLAIN_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal string (no exponent, no thousands separator).

    Raises ValueError with a message fit for a user.
    """
    cleaned = text.strip()
    if not _PLAIN_DECIMAL.match(cleaned):
        raise ValueError(f"{text!r} is not a plain decimal number")
    return Decimal(cleaned)


def plain(value: Decimal) -> str:
    """Format without exponent and without trailing zeros (``1.50`` → ``1.5``, ``2E+1`` → ``20``)."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def round_half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
