"""The Int128 tier of the FIFO core gives the int64 tier's rows on the same quantities.

The Int128 columns are the int64 ones times ``10**20`` (every value past int64), so each
allocation, shortfall and lot discharge must be the int64 one times ``10**20``. The columns
mix requirements that meet no lot, one lot and several lots (with empty lots among them):
the Int128 lay-over takes a one-lot requirement's whole interval and computes the overlap
with each lot only for requirements that meet several.
"""

from __future__ import annotations

from contextlib import ExitStack
from unittest.mock import patch

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.discharge import fast
from immex.discharge.fast import FifoColumns, fifo_columns

SHIFT = 10**20  # every non-zero quantity times this is beyond int64

Rows = list[tuple[int, int, int]]  # (part, day, quantity)


def _columns(rows: Rows, by_part: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if by_part:  # lots: sorted by part and date (their FIFO order)
        rows = sorted(rows, key=lambda row: (row[0], row[1]))
    part, day, qty = (np.array([row[i] for row in rows], dtype=np.int64) for i in range(3))
    return part, day, qty


def _wide(values: np.ndarray) -> pl.Series:
    return pl.Series([int(v) * SHIFT for v in values.tolist()], dtype=pl.Int128)


def _scaled(values: np.ndarray) -> list[int]:
    return [int(v) * SHIFT for v in values.tolist()]


def _rows(out: FifoColumns) -> tuple[list[int], ...]:
    listed = [
        column.to_list() if isinstance(column, pl.Series) else column.tolist()
        for column in (out.alloc_qty, out.short_qty, out.lot_discharged)
    ]
    return (out.alloc_req.tolist(), out.alloc_lot.tolist(), *listed, out.short_req.tolist())


row = st.tuples(st.integers(0, 3), st.integers(0, 6), st.integers(0, 40))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, min_size=0, max_size=15), st.lists(row, min_size=1, max_size=25), st.booleans())
def test_int128_tier_equals_the_int64_tier_on_quantities_times_ten_to_the_twenty(
    lots: Rows, needs: Rows, small_blocks: bool
) -> None:
    lot_part, lot_day, lot_qty = _columns(lots, by_part=True)
    req_part, req_day, req_qty = _columns(needs, by_part=False)
    narrow = fifo_columns(lot_part, lot_day, lot_qty, req_part, req_day, req_qty, 4)
    with ExitStack() as stack:
        if small_blocks:  # many blocks of 1-2 requirements and two ranges of parts on two threads
            stack.enter_context(patch.object(fast, "BLOCK", 2))
            stack.enter_context(patch.object(fast, "PARALLEL_FROM", 2))
        wide = fifo_columns(lot_part, lot_day, _wide(lot_qty), req_part, req_day, _wide(req_qty), 4)
    alloc_req, alloc_lot, alloc_qty, short_qty, discharged, short_req = _rows(wide)
    assert alloc_req == narrow.alloc_req.tolist()
    assert alloc_lot == narrow.alloc_lot.tolist()
    assert alloc_qty == _scaled(narrow.alloc_qty)
    assert short_req == narrow.short_req.tolist()
    assert short_qty == _scaled(narrow.short_qty)
    assert discharged == _scaled(narrow.lot_discharged)


def test_a_requirement_over_three_lots_with_an_empty_one_between_takes_each_overlap() -> None:
    """Lots 5, 0, 4, 6 of one part; needs 3 (one lot), 8 (three lots, the empty one skipped), 7."""
    lot_qty = np.array([5, 0, 4, 6], dtype=np.int64)
    out = fifo_columns(
        np.zeros(4, dtype=np.int64),
        np.zeros(4, dtype=np.int64),
        _wide(lot_qty),
        np.zeros(3, dtype=np.int64),
        np.array([1, 1, 1], dtype=np.int64),
        _wide(np.array([3, 8, 7], dtype=np.int64)),
        1,
    )
    assert out.alloc_req.tolist() == [0, 1, 1, 1, 2]
    assert out.alloc_lot.tolist() == [0, 0, 2, 3, 3]
    assert out.alloc_qty.to_list() == [3 * SHIFT, 2 * SHIFT, 4 * SHIFT, 2 * SHIFT, 4 * SHIFT]
    assert out.short_req.tolist() == [2] and out.short_qty.to_list() == [3 * SHIFT]
    assert out.lot_discharged.to_list() == _scaled(lot_qty)
