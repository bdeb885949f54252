"""The vectorized LIFO columns equal the sequential stack, in every integer width.

:func:`immex.discharge.fast_methods.lifo` is the stack tested equal to the
domain engine (``tests/discharge_fast/test_discharge_fast_methods.py``,
``test_fast_lifo.py``); here :func:`immex.discharge.fast_lifo.lifo_columns`
is checked against it directly on random columns: several parts, many lot
arrivals between two requirements (and many requirements between arrivals),
empty and negative lots, requirements of zero, int64, Int128 quantities near
2**100 whose float images tie while the exact values differ, and Python
integers beyond Int128; the parts run at once or in blocks of a few requirements
(``fast_lifo.BLOCK``), whose rows are put back in output order.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.discharge import fast_lifo
from immex.discharge.fast import FifoColumns
from immex.discharge.fast_lifo import lifo_columns
from immex.discharge.fast_methods import first_at_most, lifo, part_starts, walked_columns

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WIDTHS = ("int64", "int128", "object")
# Int128 quantities: multiples of 2**100 plus a few units, so that heights round to the same float.
HUGE = 2**100


@st.composite
def columns(draw: st.DrawFn) -> dict[str, Any]:
    """Lots sorted by (part, day); requirements in discharge order (days never go back)."""
    n_parts = draw(st.integers(1, 4))
    lots = sorted(
        draw(
            st.lists(
                st.tuples(st.integers(0, n_parts - 1), st.integers(0, 12), st.integers(-2, 9)), max_size=40
            )
        )
    )
    days = sorted(draw(st.lists(st.integers(0, 14), max_size=40)))
    requirements = [(draw(st.integers(0, n_parts - 1)), day, draw(st.integers(-1, 12))) for day in days]
    return {"n_parts": n_parts, "lots": lots, "requirements": requirements}


def _quantities(values: list[int], width: str, offset: list[int]) -> Any:
    if width == "int64":
        return np.array(values, dtype=np.int64)
    big = [v * HUGE + (d if v > 0 else 0) for v, d in zip(values, offset[: len(values)], strict=True)]
    if width == "int128":
        return pl.Series(big, dtype=pl.Int128)
    return np.array([v * 2**130 for v in big], dtype=object)


def _as_list(values: Any) -> list[int]:
    return values.to_list() if isinstance(values, pl.Series) else [int(v) for v in values.tolist()]


def _same(left: FifoColumns, right: FifoColumns) -> None:
    for name in ("alloc_req", "alloc_lot", "alloc_qty", "short_req", "short_qty", "lot_discharged"):
        assert _as_list(getattr(left, name)) == _as_list(getattr(right, name)), name
    for name in ("alloc_qty", "short_qty", "lot_discharged"):  # the inputs' width comes back
        assert type(getattr(left, name)) is type(getattr(right, name)), name


@SETTINGS
@given(
    columns(),
    st.sampled_from(WIDTHS),
    st.lists(st.integers(0, 3), min_size=80, max_size=80),
    st.sampled_from((fast_lifo.BLOCK, 1, 3, 8)),
)
def test_lifo_columns_equal_the_stack(
    case: dict[str, Any], width: str, offset: list[int], block: int
) -> None:
    n_parts = case["n_parts"]
    lot_part = np.array([p for p, _, _ in case["lots"]], dtype=np.int64)
    lot_day = np.array([d for _, d, _ in case["lots"]], dtype=np.int64)
    lot_qty = _quantities([q for _, _, q in case["lots"]], width, offset[:40])
    req_part = np.array([p for p, _, _ in case["requirements"]], dtype=np.int64)
    req_day = np.array([d for _, d, _ in case["requirements"]], dtype=np.int64)
    req_qty = _quantities([q for _, _, q in case["requirements"]], width, offset[40:])
    args = (lot_part, lot_day, lot_qty, req_part, req_day, req_qty)
    part, starts = req_part.tolist(), part_starts(lot_part, n_parts)
    expected = walked_columns(lambda hi, needs, q: lifo(part, hi, needs, q, starts), *args)
    with patch.object(fast_lifo, "BLOCK", block):
        _same(lifo_columns(*args, n_parts), expected)


def test_many_arrivals_between_requirements_and_many_requirements_between_arrivals() -> None:
    """One part: 30 lots arrive before the first requirement, then requirements eat into them,
    more lots arrive between each pair; the newest are taken first, partly and wholly."""
    rng = np.random.default_rng(7)
    lot_day = np.sort(rng.integers(0, 60, 300))
    lot_qty = rng.integers(0, 50, 300)
    req_day = np.sort(rng.integers(20, 70, 2000))
    req_qty = rng.integers(0, 12, 2000)
    zeros = np.zeros
    args = (zeros(300, dtype=np.int64), lot_day, lot_qty, zeros(2000, dtype=np.int64), req_day, req_qty)
    expected = walked_columns(lambda hi, needs, q: lifo([0] * 2000, hi, needs, q, [0, 300]), *args)
    got = lifo_columns(*args, 1)
    _same(got, expected)
    # requirements that take several lots, lots that serve several requirements, and shortfalls
    assert np.bincount(got.alloc_req).max() > 1 and np.bincount(got.alloc_lot).max() > 1
    assert len(got.short_req) > 0


def test_blocks_of_parts_give_the_rows_of_one_run() -> None:
    """40 parts, 3,000 requirements in blocks of about 100 (parts whole, some with none): the rows,
    shortfalls and totals of the stack, in output order."""
    rng = np.random.default_rng(11)
    lot_part = np.sort(rng.integers(0, 40, 600))
    lot_day = np.concatenate([np.sort(rng.integers(0, 60, n)) for n in np.bincount(lot_part, minlength=40)])
    req_day = np.sort(rng.integers(10, 70, 3000))
    req_part = rng.choice(np.flatnonzero(np.arange(40) % 7 != 3), 3000)  # parts 3, 10, ...: no requirement
    args = (lot_part, lot_day, rng.integers(0, 60, 600), req_part, req_day, rng.integers(0, 12, 3000))
    starts = part_starts(lot_part, 40)
    expected = walked_columns(lambda hi, needs, q: lifo(req_part.tolist(), hi, needs, q, starts), *args)
    with patch.object(fast_lifo, "BLOCK", 100):
        assert len(fast_lifo._block_edges(req_part, 40)) > 20
        _same(lifo_columns(*args, 40), expected)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0, 7.0]), min_size=1, max_size=300),
    st.data(),
)
def test_first_at_most_is_the_first_position_from_start_at_or_below_the_limit(
    values: list[float], data: st.DataObject
) -> None:
    array = np.array([*values, -np.inf])
    count = data.draw(st.integers(1, 20))
    start = np.array(data.draw(st.lists(st.integers(0, len(values)), min_size=count, max_size=count)))
    limit = np.array(
        data.draw(st.lists(st.sampled_from([-2.0, 0.0, 1.0, 3.0]), min_size=count, max_size=count))
    )
    expected = [
        next(p for p in range(s, len(array)) if array[p] <= x) for s, x in zip(start, limit, strict=True)
    ]
    assert first_at_most(array, start, limit).tolist() == expected
