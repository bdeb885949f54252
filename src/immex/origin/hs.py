"""HS codes as digit strings, and ranges of them as the rules name them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = re.compile(r"^\d{2}(\.?\d{2}){0,4}$")


class HsError(ValueError):
    """Text that is not an HS code."""


@dataclass(frozen=True, slots=True, order=True)
class HsCode:
    """An HS / national tariff code kept as its digits ("8501.10" → "850110")."""

    digits: str

    @classmethod
    def parse(cls, text: str, minimum: int = 6) -> HsCode:
        cleaned = str(text).strip().replace(" ", "")
        if not _CODE.match(cleaned):
            raise HsError(
                f"{text!r} is not an HS code (digits, optionally dotted: 8501.10, 850110, 8501.10.40)"
            )
        digits = cleaned.replace(".", "")
        if len(digits) < minimum:
            raise HsError(f"{text!r} has {len(digits)} digits; at least {minimum} are needed")
        return cls(digits)

    def at(self, digits: int) -> str:
        return self.digits[:digits]

    @property
    def chapter(self) -> str:
        return self.digits[:2]

    def dotted(self) -> str:
        d = self.digits
        parts = [d[:4]] + [d[i : i + 2] for i in range(4, len(d), 2)]
        return ".".join(parts) if len(d) > 2 else d

    def __str__(self) -> str:
        return self.dotted()


@dataclass(frozen=True, slots=True)
class HsRange:
    """Codes ``low`` through ``high`` at one level (both the same number of digits)."""

    low: str
    high: str

    def __post_init__(self) -> None:
        if len(self.low) != len(self.high) or not (self.low.isdigit() and self.high.isdigit()):
            raise HsError(f"bad HS range {self.low!r} through {self.high!r}")
        if self.low > self.high:
            raise HsError(f"HS range {self.low} through {self.high} is reversed")

    @classmethod
    def single(cls, digits: str) -> HsRange:
        return cls(digits, digits)

    @property
    def digits(self) -> int:
        return len(self.low)

    def contains(self, code: HsCode) -> bool | None:
        """True / False, or None when ``code`` has fewer digits than the range needs and its
        shorter prefix overlaps the range (a 6-digit material against a tariff-item range)."""
        if len(code.digits) >= self.digits:
            return self.low <= code.digits[: self.digits] <= self.high
        prefix = code.digits
        if self.low[: len(prefix)] <= prefix <= self.high[: len(prefix)]:
            return None
        return False

    def __str__(self) -> str:
        def fmt(d: str) -> str:
            return HsCode(d).dotted()

        return fmt(self.low) if self.low == self.high else f"{fmt(self.low)} through {fmt(self.high)}"


def in_any(code: HsCode, ranges: tuple[HsRange, ...]) -> bool | None:
    """True if some range surely contains ``code``; None if only possibly; else False."""
    maybe = False
    for rng in ranges:
        found = rng.contains(code)
        if found:
            return True
        if found is None:
            maybe = True
    return None if maybe else False
