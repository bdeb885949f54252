"""The directed columns equal the sequential walk, whichever parts take the grouped FIFO.

:func:`immex.discharge.fast_methods.directed` is the walk tested equal to the
domain engine (``test_discharge_fast_methods.py``, ``test_fast_directed.py``).
:func:`immex.discharge.fast_directed.directed_columns` runs parts whose
requirements all name a pedimento, or none does, as FIFO over groups of lots,
and only the parts where both kinds meet on the walk; here random columns mix
the three kinds of part (and pedimentos no lot has) in int64, Int128 and
Python-integer widths.
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
    lot_codes, named_codes = _codes(lot_pedimento, req_named)
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
    got = directed_columns(
        lot_part,
        lot_day,
        lot_qty,
        req_part,
        req_day,
        req_qty,
        n_parts,
        lot_pedimento=lot_pedimento,
        req_named=req_named,
    )
    _same(got, expected)
