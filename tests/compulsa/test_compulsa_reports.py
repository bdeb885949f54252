"""Every kind of difference has a sheet, an explanation and a suggested fix for people."""

from __future__ import annotations

from immex.compulsa.model import FIELDS, Difference
from immex.compulsa.text import SHEETS, explain

PAIRS = [(f, "missing_in_ledger") for f in ("pedimento", "partida")]
PAIRS += [(f, "missing_in_datastage") for f in ("pedimento", "partida")]
PAIRS += [(f, "mismatch") for f in FIELDS if f not in ("pedimento", "partida")]


def test_every_field_and_kind_has_exactly_one_sheet() -> None:
    owners = [pair for sheet in SHEETS for pair in sheet.pairs]
    assert sorted(owners) == sorted(PAIRS)


def test_every_difference_is_explained_with_a_fix_naming_the_pedimento() -> None:
    for field, kind in PAIRS:
        line = None if field in ("pedimento", "clave", "date") else 3
        difference = Difference("260739216000001", line, field, "A", "B", kind)  # type: ignore[arg-type]
        explanation, fix = explain(difference)
        assert "26 07 3921 6000001" in explanation
        assert len(fix) > 20 and fix != explanation
