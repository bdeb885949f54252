"""Parsers of one cell of input text, shared by every reader.

Each takes the cell as text (already stripped by the table reader) and returns
the value, or raises ``ValueError`` whose message is what the user sees in
``errors.csv``. The ledger schema (:mod:`immex.ledger.schema`) names one of
these per column; the per-row reader, the columnar reader, the compulsa and
the API upload all run them, so a rule is written once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

from immex.core.anexo22 import alpha2_to_alpha3
from immex.core.numbers import parse_decimal
from immex.core.pedimento import canonical_pedimento

__all__ = [
    "HS_LENGTHS",
    "canonical_pedimento",
    "non_negative_decimal",
    "normalize_country",
    "normalize_hs",
    "parse_country",
    "parse_hs",
    "parse_iso_date",
    "parse_positive_int",
    "positive_decimal",
]

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HS_LENGTHS = (6, 8, 10)


EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (its 1900-02-29 skipped)


def _excel_date_hint(text: str) -> str:
    """What Excel did to a date it saved in its own format, and how to write it (or "")."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", text):
        return f": write the date alone ({text[:10]})"
    if re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}", text):
        year, month, day = text.split("/")
        return f": write it {year}-{int(month):02d}-{int(day):02d}"
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", text):
        return (
            ": Excel wrote it in a local format, where day and month cannot be told apart;"
            " format the column as yyyy-mm-dd before saving"
        )
    if re.fullmatch(r"\d{5}", text) and 61 <= int(text) <= 2958465:
        serial = EXCEL_EPOCH + dt.timedelta(days=int(text))
        return f": if it is an Excel date serial number it is {serial}; format the column as yyyy-mm-dd"
    return ""


def parse_iso_date(text: str) -> dt.date:
    if not ISO_DATE.match(text) or not text.isascii():
        raise ValueError(f"{text!r} is not a date in YYYY-MM-DD form{_excel_date_hint(text)}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a real calendar date") from None


def parse_positive_int(text: str) -> int:
    if not text.isdigit() or not text.isascii() or int(text) <= 0:
        raise ValueError(f"{text!r} is not a positive integer")
    return int(text)


def _decimal_at_least(minimum: Decimal, strict: bool) -> Callable[[str], Decimal]:
    def parse(text: str) -> Decimal:
        value = parse_decimal(text)
        if value < minimum or (strict and value == minimum):
            raise ValueError(f"{text!r} must be {'greater than' if strict else 'at least'} {minimum}")
        return value

    return parse


positive_decimal = _decimal_at_least(Decimal(0), strict=True)
non_negative_decimal = _decimal_at_least(Decimal(0), strict=False)


def normalize_hs(text: str) -> str | None:
    """Dots and spaces removed; 6, 8 or 10 digits, else None. Empty stays empty."""
    cleaned = text.replace(".", "").replace(" ", "").strip()
    if not cleaned:
        return ""
    if not cleaned.isdigit() or not cleaned.isascii() or len(cleaned) not in HS_LENGTHS:
        return None
    return cleaned


def parse_hs(text: str) -> str:
    """An HS code or fracción (6, 8 or 10 digits; dots and spaces allowed), as digits."""
    code = normalize_hs(text)
    if code is None:
        raise ValueError(f"{text!r} must be 6, 8 or 10 digits (dots and spaces allowed)")
    return code


def normalize_country(text: str) -> str | None:
    """2 letters → ISO 3166-1 alpha-3 (None if not ISO); 3 letters upper-cased; empty stays empty."""
    cleaned = text.strip().upper()
    if not cleaned:
        return ""
    if len(cleaned) == 2 and cleaned.isalpha():
        return alpha2_to_alpha3(cleaned)
    if len(cleaned) == 3 and cleaned.isalpha() and cleaned.isascii():
        return cleaned
    return None


def parse_country(text: str) -> str:
    """A country code as written, upper-cased: ISO 3166-1 alpha-2, or three letters (alpha-3)."""
    if normalize_country(text) is None:
        cleaned = text.strip()
        if len(cleaned) == 2:
            raise ValueError(f"{cleaned!r} is not an ISO 3166-1 alpha-2 country code")
        raise ValueError(f"{cleaned!r} must be a 2- or 3-letter country code")
    return text.strip().upper()
