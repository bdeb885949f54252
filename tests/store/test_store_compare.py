"""The repeat-run comparison on integer keys, sliced by export line, against a plain multiset reading."""

from __future__ import annotations

from collections import Counter
from unittest import mock

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from immex.discharge import stored_frames
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


KEYS = ["pedimento", "line", "part"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["P1", "P2"]), st.integers(1, 4), st.sampled_from(["A", "B"]))),
    st.integers(1, 5),
)
def test_line_ids_looked_up_in_blocks_are_one_joins(rows: list[tuple[str, int, str]], block: int) -> None:
    """``_ids`` a block of rows at a time gives the ids of one whole join, in row order, null where absent."""
    schema = {"pedimento": pl.String, "line": pl.Int64, "part": pl.String}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    known = [(p, n, part, i) for i, (p, n, part) in enumerate(sorted(set(rows))[::2])]  # every other line
    ids = pl.DataFrame(known, schema={**schema, "id": pl.Int64}, orient="row")
    with mock.patch.object(stored_frames, "ID_BLOCK", block):
        found = stored_frames._ids(frame, KEYS, ids, "id")
    expected = {(p, n, part): i for p, n, part, i in known}
    assert found.dtype == pl.Int64 and found.to_list() == [expected.get(row) for row in rows]
