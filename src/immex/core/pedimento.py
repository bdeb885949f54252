"""The pedimento number: 15 digits ``YY AA PPPP NNNNNNN`` (Anexo 22, campo 2)."""

from __future__ import annotations

import re

_DIGITS_AND_SPACES = re.compile(r"^[\d ]+$")


def canonical_pedimento(text: str) -> str:
    """Return the 15-digit number without spaces; raise ValueError if it is not one.

    ``24 47 3456 4000123`` and ``244734564000123`` are the same pedimento.
    """
    stripped = text.strip()
    if not stripped or not _DIGITS_AND_SPACES.match(stripped):
        raise ValueError(f"pedimento {text!r} must be 15 digits (spaces allowed)")
    digits = stripped.replace(" ", "")
    if len(digits) != 15:
        raise ValueError(f"pedimento {text!r} has {len(digits)} digits, expected 15")
    return digits


def display_pedimento(digits: str) -> str:
    """``244734564000123`` → ``24 47 3456 4000123`` for people."""
    return f"{digits[:2]} {digits[2:4]} {digits[4:8]} {digits[8:]}"
