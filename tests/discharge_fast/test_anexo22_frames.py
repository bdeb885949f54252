"""The columnar Anexo 22 pre-filter drops only rows that give no warning: the warnings are unchanged."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from immex.ledger.anexo22_frames import may_warn
from immex.ledger.read import pedimento_warnings

# Pieces that pass and pieces that fail each check of the pedimento number.
YEARS = st.sampled_from(("24", "25", "99"))
ADUANAS = st.sampled_from(("47", "24", "07", "00", "99", "4x"))  # 00, 99 are not in Apéndice 1
PATENTES = st.sampled_from(("3456", "0000", "1234"))
CONSECUTIVES = st.sampled_from(("4000123", "0000000", "1000000", "5000001"))
CLAVES = st.sampled_from(("IN", "in", "RT", "A1", "V1", "ZZ", "H1", ""))
DATES = st.dates(dt.date(1995, 1, 1), dt.date(2030, 12, 31))


@st.composite
def pedimentos(draw: st.DrawFn) -> str:
    number = draw(YEARS) + draw(ADUANAS) + draw(PATENTES) + draw(CONSECUTIVES)
    cut = draw(st.sampled_from((None, 14, 16)))  # a digit short or one too many
    return number if cut is None else (number[:cut] if cut < 15 else number + "1")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(pedimentos(), CLAVES, DATES), min_size=0, max_size=30))
def test_the_prefilter_keeps_every_row_that_warns(rows: list[tuple[str, str, dt.date]]) -> None:
    frame = pl.DataFrame(
        [(i + 2, p, c, d) for i, (p, c, d) in enumerate(rows)],
        schema={"row": pl.Int64, "pedimento": pl.String, "clave": pl.String, "cleared_on": pl.Date},
        orient="row",
    )
    # As the columnar reader does: the first row of each (pedimento, clave), then the prefilter
    # (the per-row checks look only at that first row, whatever the dates of the later ones).
    first = frame.unique(subset=["pedimento", "clave"], keep="first", maintain_order=True)
    kept = may_warn(first)
    everything = pedimento_warnings(("imports.csv", *r) for r in frame.iter_rows())
    assert pedimento_warnings(("imports.csv", *r) for r in kept.iter_rows()) == everything
    # and it keeps nothing more than it must: every kept row warns
    assert all(pedimento_warnings([("imports.csv", *r)]) for r in kept.iter_rows())


def test_a_ledger_of_valid_pedimentos_hands_nothing_to_python() -> None:
    frame = pl.DataFrame(
        {
            "row": [2, 3],
            "pedimento": ["244734564000123", "244734564000124"],
            "clave": ["IN", "IN"],
            "cleared_on": [dt.date(2024, 3, 1), dt.date(2024, 3, 2)],
        }
    )
    assert may_warn(frame).is_empty()
