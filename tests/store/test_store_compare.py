"""The repeat-run comparison on integer keys, sliced by export line, against a plain multiset reading."""

from __future__ import annotations

from collections import Counter

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from immex.discharge.stored_frames import changed_export_lines, compact_rows

ROW = st.tuples(
    st.integers(1, 40),  # export line id
    st.sampled_from(["A", "B", "WIRE"]),
    st.one_of(st.none(), st.integers(1, 5)),  # import line id (None: a shortfall)
    st.sampled_from(["1", "1.0", "1.50", "1.5", "2", "0.25", "10", "10.00"]),
    st.booleans(),
)


def _frame(rows: list[tuple[int, str, int | None, str, bool]]) -> pl.DataFrame:
    schema = {
        "export_line_id": pl.Int64,
        "part": pl.String,
        "import_line_id": pl.Int64,
        "qty": pl.String,
        "late": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _by_line(rows: list[tuple[int, str, int | None, str, bool]]) -> dict[int, Counter[tuple[object, ...]]]:
    lines: dict[int, Counter[tuple[object, ...]]] = {}
    for export, part, lot, qty, late in rows:
        key = (part, lot or 0, float(qty), late)  # the test's quantities are exact in binary
        lines.setdefault(export, Counter())[key] += 1
    return lines


@settings(max_examples=300)
@given(wanted=st.lists(ROW, max_size=60), current=st.lists(ROW, max_size=60))
def test_the_changed_lines_are_those_whose_multisets_differ(
    wanted: list[tuple[int, str, int | None, str, bool]],
    current: list[tuple[int, str, int | None, str, bool]],
) -> None:
    mine, stored = _by_line(wanted), _by_line(current)
    expected = sorted(e for e in mine.keys() | stored.keys() if mine.get(e) != stored.get(e))
    found = changed_export_lines(compact_rows(_frame(wanted)), compact_rows(_frame(current)))
    assert found.to_list() == expected
