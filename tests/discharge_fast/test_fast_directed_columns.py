"""The directed columns equal the sequential walk, whichever way each part is run.

:func:`immex.discharge.fast_methods.directed` is the walk tested equal to the
domain engine (``test_discharge_fast_methods.py``, ``test_fast_directed.py``).
:func:`immex.discharge.fast_directed.directed_columns` runs parts whose
requirements all name a pedimento, or none does, as FIFO over groups of lots,
and the parts where both kinds meet ("mixed") by the named takes and one FIFO
of the unnamed requirements over what they leave; here random columns mix the
three kinds of part (and pedimentos no lot has) in int64, Int128 and
Python-integer widths, and mixed parts with many lots per pedimento, ties of
dates, named lots that run out and pedimentos of other parts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immex.discharge.fast import FifoColumns
from immex.discharge.fast_directed import _codes, directed_columns
from immex.discharge.fast_methods import directed, part_starts, walked_columns

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PEDIMENTOS = ("A", "B", "C", "D", "E")
MODES = ("none", "named", "mixed")  # what a part's requirements name


@st.composite
def columns(draw: st.DrawFn) -> dict[str, Any]:
    n_parts = draw(st.integers(1, 5))
    modes = [draw(st.sampled_from(MODES)) for _ in range(n_parts)]
    lots = sorted(
        draw(
            st.lists(
                st.tuples(
                    st.integers(0, n_parts - 1),
                    st.integers(0, 10),
                    st.sampled_from(PEDIMENTOS),
                    st.integers(0, 9),  # lots are never negative (the readers refuse it)
                ),
                max_size=30,
            )
        )
    )
    requirements = []
    for day in sorted(draw(st.lists(st.integers(0, 12), max_size=30))):
        part = draw(st.integers(0, n_parts - 1))
        names = {"none": ("",), "named": (*PEDIMENTOS, "Z"), "mixed": ("", *PEDIMENTOS, "Z")}[modes[part]]
        requirements.append((part, day, draw(st.sampled_from(names)), draw(st.integers(0, 12))))
    return {"n_parts": n_parts, "lots": lots, "requirements": requirements}


def _width(values: list[int], width: str) -> Any:
    if width == "int64":
        return np.array(values, dtype=np.int64)
    if width == "int128":
        return pl.Series([v * 2**90 for v in values], dtype=pl.Int128)
    return np.array([v * 2**140 for v in values], dtype=object)


def _as_list(values: Any) -> list[int]:
    return values.to_list() if isinstance(values, pl.Series) else [int(v) for v in values.tolist()]


def _same(left: FifoColumns, right: FifoColumns) -> None:
    for name in ("alloc_req", "alloc_lot", "alloc_qty", "short_req", "short_qty", "lot_discharged"):
        assert _as_list(getattr(left, name)) == _as_list(getattr(right, name)), name


@SETTINGS
@given(columns(), st.sampled_from(("int64", "int128", "object")))
def test_directed_columns_equal_the_walk(case: dict[str, Any], width: str) -> None:
    _check(case, width)


@st.composite
def mixed_columns(draw: st.DrawFn) -> dict[str, Any]:
    """One to three parts whose requirements mostly mix named and unnamed ones: few pedimentos
    with several lots each (the same dates often), requirements of about a lot's size."""
    n_parts = draw(st.integers(1, 3))
    pedimentos = PEDIMENTOS[: draw(st.integers(1, 4))]
    lots = sorted(
        draw(
            st.lists(
                st.tuples(
                    st.integers(0, n_parts - 1),
                    st.integers(0, 4),
                    st.sampled_from(pedimentos),
                    st.integers(0, 9),
                ),
                max_size=25,
            )
        )
    )
    names = ("", "", *PEDIMENTOS, "Z")  # those not drawn and Z have no lot; one may be another part's
    requirements = [
        (draw(st.integers(0, n_parts - 1)), day, draw(st.sampled_from(names)), draw(st.integers(0, 8)))
        for day in sorted(draw(st.lists(st.integers(0, 6), max_size=40)))
    ]
    return {"n_parts": n_parts, "lots": lots, "requirements": requirements}


@SETTINGS
@given(mixed_columns(), st.sampled_from(("int64", "int128", "object")))
def test_mixed_parts_equal_the_walk(case: dict[str, Any], width: str) -> None:
    _check(case, width)


def test_named_lots_that_run_out_and_the_unnamed_level_between_named_takes() -> None:
    """One part, lots A (day 0, 5), B (day 0, 5), A (day 1, 5), all asked on day 1: 3 unnamed take
    A's first lot; B 4 takes B; 6 unnamed take what is left of A's first lot (2), of B (1), then 3
    of A's second lot; A 5 finds 2 there and is short 3. Then F (no lot) is short 1."""
    lots = [(0, 0, "A", 5), (0, 0, "B", 5), (0, 1, "A", 5)]
    reqs = [(0, 1, "", 3), (0, 1, "B", 4), (0, 1, "", 6), (0, 1, "A", 5), (0, 1, "F", 1)]
    got = _columns({"n_parts": 1, "lots": lots, "requirements": reqs}, "int64")
    assert list(zip(got.alloc_req.tolist(), got.alloc_lot.tolist(), got.alloc_qty.tolist(), strict=True)) == [
        (0, 0, 3),
        (1, 1, 4),
        (2, 0, 2),
        (2, 1, 1),
        (2, 2, 3),
        (3, 2, 2),
    ]
    assert (got.short_req.tolist(), got.short_qty.tolist()) == ([3, 4], [3, 1])
    assert got.lot_discharged.tolist() == [5, 5, 5]


def test_a_named_take_ahead_of_the_unnamed_level_is_skipped_by_it() -> None:
    """B 2 takes B's first lot (day 0) before any unnamed requirement; the unnamed ones then take
    A, skip B's emptied lot and go on to B's second lot: holes beyond the level, none below it."""
    lots = [(0, 0, "A", 2), (0, 0, "B", 2), (0, 0, "B", 2), (0, 2, "A", 4)]
    reqs = [(0, 1, "B", 2), (0, 1, "", 3), (0, 2, "", 4), (0, 2, "A", 9)]
    got = _columns({"n_parts": 1, "lots": lots, "requirements": reqs}, "int64")
    assert list(zip(got.alloc_req.tolist(), got.alloc_lot.tolist(), got.alloc_qty.tolist(), strict=True)) == [
        (0, 1, 2),
        (1, 0, 2),
        (1, 2, 1),
        (2, 2, 1),
        (2, 3, 3),
        (3, 3, 1),
    ]
    assert (got.short_req.tolist(), got.short_qty.tolist()) == ([3], [8])
    for width in ("int64", "int128", "object"):
        _check({"n_parts": 1, "lots": lots, "requirements": reqs}, width)


def test_a_mixed_part_whose_requirements_all_ask_zero_takes_nothing() -> None:
    """Zero requirements mix the part but take nothing and are not short (none is left to run)."""
    case = {
        "n_parts": 2,
        "lots": [(0, 0, "A", 5), (1, 0, "B", 2)],
        "requirements": [(0, 1, "", 0), (0, 1, "A", 0)],
    }
    for width in ("int64", "int128", "object"):
        got = _columns(case, width)
        assert (len(got.alloc_req), len(got.short_req), _as_list(got.lot_discharged)) == (0, 0, [0, 0])
        _check(case, width)


def test_a_pedimento_whose_lots_are_all_in_walked_parts_takes_nothing_elsewhere() -> None:
    """Part 0 mixes named and unnamed requirements (walked) and holds every lot of D; part 1
    names D (it has none: short), part 2 names A. The grouped parts must not mistake one
    group for another because D's code is beyond theirs."""
    lots = [(0, 0, "A", 1), (0, 0, "B", 1), (0, 0, "C", 1), (0, 0, "D", 1), (1, 0, "A", 5), (2, 0, "A", 7)]
    reqs = [(0, 1, "", 1), (0, 1, "A", 1), (1, 1, "D", 3), (2, 1, "A", 2)]
    for width in ("int64", "int128", "object"):
        _check({"n_parts": 3, "lots": lots, "requirements": reqs}, width)


def _check(case: dict[str, Any], width: str) -> None:
    n_parts, lots, reqs = case["n_parts"], case["lots"], case["requirements"]
    lot_part = np.array([p for p, _, _, _ in lots], dtype=np.int64)
    lot_day = np.array([d for _, d, _, _ in lots], dtype=np.int64)
    lot_pedimento = pl.Series([n for _, _, n, _ in lots], dtype=pl.String)
    lot_qty = _width([q for _, _, _, q in lots], width)
    req_part = np.array([p for p, _, _, _ in reqs], dtype=np.int64)
    req_day = np.array([d for _, d, _, _ in reqs], dtype=np.int64)
    req_named = pl.Series([n for _, _, n, _ in reqs], dtype=pl.String)
    req_qty = _width([q for _, _, _, q in reqs], width)
    lot_codes, named_codes = (codes.tolist() for codes in _codes(lot_pedimento, req_named))
    part, starts = req_part.tolist(), part_starts(lot_part, n_parts)
    expected = walked_columns(
        lambda hi, needs, q: directed(part, hi, needs, q, lot_part.tolist(), lot_codes, named_codes, starts),
        lot_part,
        lot_day,
        lot_qty,
        req_part,
        req_day,
        req_qty,
    )
    _same(_columns(case, width), expected)


def _columns(case: dict[str, Any], width: str) -> FifoColumns:
    lots, reqs = case["lots"], case["requirements"]
    return directed_columns(
        np.array([p for p, _, _, _ in lots], dtype=np.int64),
        np.array([d for _, d, _, _ in lots], dtype=np.int64),
        _width([q for _, _, _, q in lots], width),
        np.array([p for p, _, _, _ in reqs], dtype=np.int64),
        np.array([d for _, d, _, _ in reqs], dtype=np.int64),
        _width([q for _, _, _, q in reqs], width),
        case["n_parts"],
        lot_pedimento=pl.Series([n for _, _, n, _ in lots], dtype=pl.String),
        req_named=pl.Series([n for _, _, n, _ in reqs], dtype=pl.String),
    )
