"""Server-side SVG bar charts: the numbers are laid out here, the template draws the rectangles."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 100  # the bars' length is a percentage of the chart's width


@dataclass(frozen=True, slots=True)
class Bar:
    key: str
    value: Decimal
    length: float  # 0..WIDTH
    tone: str


def bars(values: list[tuple[str, Decimal, str]]) -> list[Bar]:
    """Bars scaled to the largest value (all zero: empty bars)."""
    top = max((v for _, v, _ in values), default=Decimal(0))
    return [
        Bar(key, value, float(value * WIDTH / top) if top > 0 else 0.0, tone) for key, value, tone in values
    ]
