"""Vectorized FIFO (PEPS) discharge: the same allocations and shortfalls as the domain version.

The specification is :func:`immex.discharge.methods.discharge` with method
``"fifo"``; every function here returns exactly what it returns, in the same
order (tested on random ledgers in ``tests/discharge_fast``).

Why it can be vectorized
------------------------
Under FIFO the parts are independent, and one part's lots are always consumed
as a prefix of its lot stream (lots in ``(cleared_on, pedimento, line)``
order). Take the requirements of one part in export order, ``r_k`` on date
``D_k``; let ``A_k`` be the quantity of the part's lots cleared on or before
``D_k`` (non-decreasing in ``k``) and ``R_k = r_1 + ... + r_k``. The amount
consumed after requirement ``k`` is ``C_k = min(C_{k-1} + r_k, A_k)``, which
unrolls to ``C_k = R_k + min(0, min_{j<=k} (A_j - R_j))``: a running minimum.
Requirement ``k`` takes the interval ``[C_{k-1}, C_k)`` of the lot stream; its
allocations are the intersections with the lots' cumulative intervals
(``searchsorted``) and ``r_k - (C_k - C_{k-1})`` is its shortfall. All parts
run in one pass over arrays sorted by part (the running minimum restarts at
each part by an offset larger than any earlier value).

Speed
-----
At a million lines the time goes into memory, not arithmetic: random gathers
and fresh 80 MB arrays (whose pages the kernel zeroes). So the work on each
requirement is done once, per-part values come from small tables, and where
rows are independent (two ranges of parts; blocks of output rows; quantity
text) the work runs on two threads (NumPy and Polars release the GIL) in
blocks that reuse memory. ``benchmarks/bench_discharge.py`` measures it.

Exactness
---------
Quantities are fixed-point integers at one scale chosen from the data: the
most decimals actually present in the lot quantities and the requirements
(export quantity x per-unit requirement, the latter exploded once per
distinct product and BOM period with the exact Decimal
:func:`~immex.discharge.methods.explode`). When the products and every
cumulative sum provably fit in int64 (checked explicitly, with a bit of
headroom) the arrays are int64 (NumPy). When only the quantities do, the
running sums (positions on the lot streams) are Polars Int128 series
(:func:`_fifo_core_wide`; e.g. two BOM levels with merma give 14-decimal
requirements, whose sums at 1M lines pass int64) and every per-row result
is int64 again. When single quantities pass int64 too (pounds through two
BOM levels with merma reach ~10**28 in fixed point), every column is a
Polars Int128 series (:func:`_fifo_core_int128`, on two ranges of parts on
two threads); each allocation is then the overlap of its requirement's
interval with its lot's, ``min(cum[l+1], end) - max(cum[l], start)``, so
blocks of output rows are independent. Beyond Int128, the int64 algorithm
runs on object arrays of Python integers, exact at any size, only slower.
Nothing is ever rounded; output text is written as ``plain`` writes it.

Entry points
------------
* :func:`discharge_fast` — ``Ledger -> DischargeResult``, a drop-in for
  ``discharge(ledger, "fifo")`` (what ``immex.discharge.service.compute`` calls).
* :func:`discharge_frames` — ``LedgerFrames -> FramesResult`` on Polars
  columns, for inputs too big to hold as one Python object per row; read the
  frames with :func:`immex.ledger.frames.read_ledger_frames` and write
  the contract's output files with :func:`write_discharge_frames`
  (allocations.csv, shortfalls.csv, balances.csv; returns the counts and
  totals ``run.json`` reports).
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from immex.core.numbers import from_fixed, plain, to_fixed
from immex.discharge.deadlines import EXPIRING_WITHIN_DAYS, deadline
from immex.discharge.methods import Allocation, DischargeResult, Shortfall
from immex.ledger.bom import bom_breakpoints, explode
from immex.ledger.frames import EPOCH, export_periods
from immex.ledger.model import BomVersion, ExportLine, ImportLine, Ledger

if TYPE_CHECKING:
    from immex.ledger.frames import LedgerFrames

T = TypeVar("T")

# int64 arrays hold integers, or Python ints in object arrays when int64 could overflow.
Ints = npt.NDArray[Any]

# Every fixed-point value and cumulative sum stays below this (one bit of headroom
# under int64 for the differences of two sums).
INT64_SAFE = 2**62
# Running sums too big for int64 are Polars Int128 series; so are quantities too big for int64.
Wide = pl.Series
Big = pl.Series
# A quantity column: an int64 or object array, or (the Int128 tier) a Polars Int128 series.
Qty = Any
INT128_SAFE = 2**124  # the Int128 path keeps every running sum below this
VALUE_SAFE = 2**62  # ... and every single quantity below this (they stay int64)
_NO_DEADLINE = np.iinfo(np.int64).max


# ---- exact fixed point -----------------------------------------------------------------------------


def trim_scale(values: Ints, scale: int) -> tuple[Ints, int]:
    """Drop trailing decimal zeros shared by every value (``[1500, 250]`` at 3 → ``[150, 25]`` at 2)."""
    while scale > 0 and len(values) and not np.any(values % 10):
        values = values // 10
        scale -= 1
    return values, scale


def _array(values: Sequence[int] | Ints) -> Ints:
    """int64 when every value is safely inside int64, else Python ints."""
    if isinstance(values, np.ndarray):  # abs and max of Python ints in an object array: in C
        if not len(values) or int(np.abs(values).max()) < VALUE_SAFE:
            return values.astype(np.int64, copy=False)
        return values.astype(object)
    as_list = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if max((abs(v) for v in as_list), default=0) < VALUE_SAFE:
        return np.array(as_list, dtype=np.int64)
    return np.array(as_list, dtype=object)


# ---- the FIFO core on sorted columns --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FifoColumns:
    """Allocations and shortfalls as indices: requirement (export order) and lot (FIFO order).

    ``alloc_qty``, ``short_qty`` and ``lot_discharged`` (per lot) are quantities
    of the input's width: NumPy int64 or object arrays.
    """

    alloc_req: Ints
    alloc_lot: Ints
    alloc_qty: Qty
    short_req: Ints
    short_qty: Qty
    lot_discharged: Qty


# Lots per (part, day) cell are counted in a dense table when it has at most one cell
# per input row (memory stays in proportion); beyond that (many parts over many years)
# a binary search is used.
DENSE_CELLS_PER_ROW = 1


def _lots_upto(part: Ints, day: Ints, lot_part: Ints, lot_day: Ints, n_parts: int) -> tuple[Ints, Ints, Ints]:
    """For requirements sorted by part: the lots cleared by each one's date, and where parts start.

    Returns (lots_upto, first_lot_of_part, segment_first), where ``lots_upto``
    counts the lots of earlier parts and the part's own lots cleared on or
    before the requirement's day.
    """
    day = day.astype(np.int64)
    low = min(int(lot_day.min()) if len(lot_day) else 0, int(day.min()))
    span = max(int(lot_day.max()) if len(lot_day) else 0, int(day.max())) - low + 1
    lot_cell = lot_part.astype(np.int64) * span + (lot_day.astype(np.int64) - low)
    cell = part * span + (day - low)
    if n_parts * span <= DENSE_CELLS_PER_ROW * (len(lot_part) + len(part)):
        upto = np.cumsum(np.bincount(lot_cell, minlength=n_parts * span))[cell]
    else:
        upto = np.searchsorted(lot_cell, cell, side="right")
    part_lot = np.searchsorted(lot_part, np.arange(n_parts + 1), side="left")
    first = np.ones(len(part), dtype=bool)
    first[1:] = part[1:] != part[:-1]
    return upto, part_lot, first


def _lay_over_lots(
    order: Ints,
    need: Ints,
    taken: Ints,
    first_lot: Ints,
    skip: Ints,
    stop_lot: Ints,
    lot_qty: Ints,
    discharged: Ints,
) -> FifoColumns:
    """Per-requirement results (part order) as allocations and shortfalls in output order.

    The requirements are independent here, so they are laid out in blocks of
    ``BLOCK`` output rows on two threads (NumPy releases the GIL): each block
    gathers its rows from the part-order columns into small arrays, which
    reuse memory the allocator already holds instead of fresh zeroed pages
    from the kernel (at millions of rows those cost more than the work).
    """
    n = len(order)
    count = np.where(taken > 0, stop_lot - first_lot, 0).astype(np.int64)
    short = need - taken
    source = np.empty(n, dtype=np.int64)
    source[order] = np.arange(n, dtype=np.int64)  # output row → row in part order

    def block(low: int) -> tuple[Ints, ...]:
        rows = source[low : low + BLOCK]
        return _allocations(count[rows], short[rows], taken[rows], first_lot[rows], skip[rows], lot_qty, low)

    req, lot, qty, missing, missing_qty = (
        np.concatenate(column) for column in zip(*_blockwise(block, n), strict=True)
    )
    return FifoColumns(req, lot, qty, missing, missing_qty, discharged)


BLOCK = 1 << 18  # rows handled at a time by one thread


def _blockwise(function: Callable[[int], T], count: int, size: int | None = None) -> list[T]:
    """``function(low)`` for ``low`` = 0, size, 2 size, ... below ``count``, in order, on two threads
    (``size`` is ``BLOCK`` unless given).

    NumPy and Polars release the GIL, so two blocks really run at once, and
    blocks of small arrays reuse memory the allocator holds (fresh large
    arrays cost the kernel's page zeroing).
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(function, range(0, count, size or BLOCK)))


def _allocations(
    count: Ints, short: Ints, taken: Ints, first_lot: Ints, skip: Ints, lot_qty: Ints, first_req: int
) -> tuple[Ints, ...]:
    """(requirement, lot, qty) allocations and (requirement, qty) shortfalls of consecutive requirements.

    Requirement ``k`` takes ``taken`` from ``count`` lots from ``first_lot`` on,
    starting ``skip`` into the first: ``lot_qty[first_lot] - skip`` of it,
    whole lots after it and the rest from the last, so allocation ``j`` is
    ``min(available_j, taken - what the requirement's earlier lots gave)``. That
    running sum is an int64 cumsum over the block, which may wrap around;
    differences within one requirement are below ``taken + lot`` and so exact
    in wrapping arithmetic (exact anyway on Python integers).
    """
    req = np.repeat(np.arange(len(count), dtype=np.int64), count)
    row = np.arange(len(req), dtype=np.int64)
    within = row - np.repeat(np.cumsum(count) - count, count)
    lot = first_lot[req] + within
    available = lot_qty[lot]
    opens = count > 0
    available[(np.cumsum(count) - count)[opens]] -= skip[opens]  # the first lot, from ``skip`` on
    given = np.cumsum(available) - available
    given -= given[row - within]
    qty = np.minimum(available, taken[req] - given)
    req += first_req
    if not np.all(qty > 0):  # a lot of quantity zero inside an interval takes nothing
        keep = qty > 0
        req, lot, qty = req[keep], lot[keep], qty[keep]
    missing = np.flatnonzero(short > 0)
    return req, lot, qty, missing + first_req, short[missing]


def _empty(lot_qty: Ints) -> FifoColumns:
    empty = np.zeros(0, dtype=np.int64)
    return FifoColumns(
        empty,
        empty,
        empty.astype(lot_qty.dtype),
        empty,
        empty.astype(lot_qty.dtype),
        np.zeros(len(lot_qty), dtype=lot_qty.dtype),
    )


@dataclass(frozen=True, slots=True)
class _Core:
    """Per-requirement results in part order (see :func:`_lay_over_lots`) and what each lot gave."""

    taken: Qty
    first_lot: Ints
    skip: Qty
    stop_lot: Ints
    discharged: Qty  # per lot


Core = Callable[[Ints, Ints, Ints, Ints, Ints, Ints, int], _Core]


def fifo_columns(
    lot_part: Ints,
    lot_day: Ints,
    lot_qty: Ints | Big,
    req_part: Ints,
    req_day: Ints,
    req_qty: Ints | Big,
    n_parts: int,
    wide: bool = False,
) -> FifoColumns:
    """FIFO on columns.

    Lots are sorted by ``(part, cleared_on, pedimento, line)``; requirements are
    in output order (export order, then part ascending). Part ids are ranks
    ``0..n_parts-1`` (id order = name order), days are integers, quantities are
    fixed-point integers at one scale: int64 or object arrays; ``wide`` says
    int64 quantities whose running sums need 128 bits (then
    :func:`_fifo_core_wide` runs). The outputs are in the order the domain
    version emits them. Int128 series in (``lot_qty``, ``req_qty``): Int128
    series out (``alloc_qty``, ``short_qty``, ``lot_discharged``), see
    :func:`_fifo_core_int128`.
    """
    if isinstance(req_qty, pl.Series):
        assert isinstance(lot_qty, pl.Series)
        return _fifo_columns_int128(lot_part, lot_day, lot_qty, req_part, req_day, req_qty, n_parts)
    assert isinstance(lot_qty, np.ndarray)
    lot_qty = np.maximum(lot_qty, 0)  # an empty lot, like a negative one, is never taken
    req_qty = np.maximum(req_qty, 0)  # nor does a requirement of zero or less take anything
    if not len(req_qty):
        return _empty(lot_qty)
    narrow = req_part.astype(np.int16) if n_parts < 2**15 else req_part  # radix sort for small ids
    order = np.argsort(narrow, kind="stable")  # by part, then export order
    part = np.repeat(np.arange(n_parts, dtype=np.int64), np.bincount(req_part, minlength=n_parts))
    need = req_qty[order]
    core = _by_part_ranges(
        _fifo_core_wide if wide else _fifo_core,
        lot_part,
        lot_day,
        lot_qty,
        part,
        req_day[order],
        need,
        n_parts,
    )
    return _lay_over_lots(
        order, need, core.taken, core.first_lot, core.skip, core.stop_lot, lot_qty, core.discharged
    )


PARALLEL_FROM = 1 << 20  # requirements; fewer run on one thread


def _by_part_ranges(
    core: Core, lot_part: Ints, lot_day: Ints, lot_qty: Ints, part: Ints, day: Ints, need: Ints, n_parts: int
) -> _Core:
    """``core`` on two ranges of parts with about half the requirements each, on two threads.

    Under FIFO parts are independent, and a range of parts is a slice of the
    lots and of the requirements (both sorted by part): the two results, one
    after the other, are the result of the whole.
    """
    halves = _two_part_ranges(part, lot_part)
    if halves is None:
        return core(lot_part, lot_day, lot_qty, part, day, need, n_parts)
    middle, split, lots = halves
    jobs = [
        (lot_part[:lots], lot_day[:lots], lot_qty[:lots], part[:split], day[:split], need[:split], middle),
        (
            lot_part[lots:] - middle,
            lot_day[lots:],
            lot_qty[lots:],
            part[split:] - middle,
            day[split:],
            need[split:],
            n_parts - middle,
        ),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        low, high = pool.map(lambda job: core(*job), jobs)
    return _Core(
        np.concatenate((low.taken, high.taken)),
        np.concatenate((low.first_lot, high.first_lot + lots)),
        np.concatenate((low.skip, high.skip)),
        np.concatenate((low.stop_lot, high.stop_lot + lots)),
        np.concatenate((low.discharged, high.discharged)),
    )


def _two_part_ranges(part: Ints, lot_part: Ints) -> tuple[int, int, int] | None:
    """Where to cut parts (sorted ids, requirements and lots) into two ranges of about half the
    requirements each: (first part of the second range, its first requirement, its first lot);
    None when there are too few requirements to be worth two threads or one part holds most."""
    middle = int(part[len(part) // 2]) + 1  # the parts up to the median requirement's
    split = int(np.searchsorted(part, middle))
    if len(part) < PARALLEL_FROM or split == len(part):
        return None
    return middle, split, int(np.searchsorted(lot_part, middle))


def _fifo_core(
    lot_part: Ints, lot_day: Ints, lot_qty: Ints, part: Ints, day: Ints, need: Ints, n_parts: int
) -> _Core:
    """FIFO on int64 (or Python integer) columns: requirements sorted by part (then export order),
    quantities already clipped at 0."""
    cum = np.concatenate((np.zeros(1, dtype=lot_qty.dtype), np.cumsum(lot_qty)))  # cum[i]: lot i starts
    upto, part_lot, first = _lots_upto(part, day, lot_part, lot_day, n_parts)
    base = cum[part_lot[:-1]][part]
    available = cum[upto] - base  # A_k
    del upto
    total = np.cumsum(need)
    segment = np.cumsum(first) - 1
    before = (total - need)[first][segment]  # requirements of earlier parts
    reach = total - before  # R_k
    del total
    offset = before + segment  # later parts sit strictly below earlier ones: the minimum restarts
    del before, segment
    slack = np.minimum(available - reach, 0)
    del available
    slack -= offset
    running = np.minimum.accumulate(slack)
    del slack
    running += offset
    del offset
    done = reach + running  # C_k
    del reach, running
    prev = np.empty_like(done)
    prev[1:] = done[:-1]
    prev[first] = 0
    taken = done - prev
    start, end = base + prev, base + done
    del base, prev, done
    first_lot = np.searchsorted(cum, start, side="right") - 1
    stop_lot = np.searchsorted(cum, end, side="left")
    skip = start - cum[first_lot]
    del start
    # Each part's lots are consumed as a prefix: up to the end of its last requirement.
    consumed = cum[part_lot[:-1]].copy()
    last = np.flatnonzero(np.append(first[1:], True))
    consumed[part[last]] = end[last]
    discharged = np.minimum(np.maximum(consumed[lot_part] - cum[:-1], 0), lot_qty)
    return _Core(taken, first_lot, skip, stop_lot, discharged)


def _wide(values: Ints) -> Wide:
    return pl.Series(values).cast(pl.Int128)


def _low_words(values: Wide) -> Ints:
    """The low 64 bits of Int128 values as int64 (two's complement, wrapping)."""
    return values.cast(pl.Int64, wrap_numerical=True).to_numpy()


def _search_wide(ordered: Wide, queries: Wide) -> tuple[Ints, Ints]:
    """``np.searchsorted`` on Int128, left and right, exact.

    Rounding to float64 is monotone, so elements whose float is below (above)
    the query's float are below (above) the query: only the elements that
    round to the same float as the query (a short run) are compared exactly,
    on those rows only.
    """
    values = ordered.cast(pl.Float64).to_numpy()
    asked = queries.cast(pl.Float64).to_numpy()
    low = np.searchsorted(values, asked, side="left")
    tied = np.flatnonzero(values[np.minimum(low, len(values) - 1)] == asked)
    left, right = low.copy(), low.copy()
    if not len(tied):
        return left, right
    top = np.searchsorted(values, asked[tied], side="right")
    query = queries.gather(tied)
    below = np.zeros(len(tied), dtype=np.int64)
    not_above = np.zeros(len(tied), dtype=np.int64)
    active, step = np.arange(len(tied), dtype=np.int64), 0
    while len(active):  # the run is sorted: count its elements below / not above
        picked, target = ordered.gather(low[tied[active]] + step), query.gather(active)
        below[active] += (picked < target).to_numpy()
        not_above[active] += (picked <= target).to_numpy()
        step += 1
        active = active[low[tied[active]] + step < top[active]]
    left[tied] += below
    right[tied] += not_above
    return left, right


def _fifo_core_wide(
    lot_part: Ints, lot_day: Ints, lot_qty: Ints, part: Ints, day: Ints, need: Ints, n_parts: int
) -> _Core:
    """:func:`_fifo_core` for int64 quantities whose running sums need 128 bits.

    Every single quantity fits int64 (so do the per-requirement results: taken,
    shortfall, the allocations); only the positions on the lot stream
    (cumulative sums) are Polars Int128, and those columns are built once per
    requirement with per-part values taken from small tables.
    """
    cum = _wide(np.concatenate((np.zeros(1, dtype=np.int64), lot_qty))).cum_sum()  # cum[i]: lot i starts
    upto, part_lot, first = _lots_upto(part, day, lot_part, lot_day, n_parts)
    heads = np.flatnonzero(first)
    segment = pl.Series(np.cumsum(first) - 1)
    total = _wide(need).cum_sum()
    before = total.gather(heads) - _wide(need[heads])  # per part: requirements of earlier parts
    base = cum.gather(part_lot[part[heads]])  # per part: where its lots start
    reach = total - before.gather(segment)  # R_k
    del total
    available = cum.gather(upto) - base.gather(segment)  # A_k
    del upto
    # The running minimum restarts at each part: later parts sit strictly below earlier ones.
    offset = (before + _wide(np.arange(len(heads), dtype=np.int64))).gather(segment)
    running = ((available - reach).clip(upper_bound=0) - offset).cum_min() + offset
    del available, offset
    end = reach + running + base.gather(segment)  # base + C_k
    del reach, running
    # Differences of two positions that are below 2**62 (taken, skip) are exact in the
    # positions' low 64 bits with wrapping int64 arithmetic: no more Int128 per requirement.
    end_low = _low_words(end)
    start_low = np.empty_like(end_low)  # base + C_(k-1)
    start_low[1:] = end_low[:-1]
    start_low[heads] = _low_words(base)
    taken = end_low - start_low
    stop_lot, after_end = _search_wide(cum, end)
    first_lot = np.empty(len(need), dtype=np.int64)
    first_lot[1:] = after_end[:-1] - 1  # start is the previous end within a part
    first_lot[heads] = _search_wide(cum, base)[1] - 1
    skip = start_low - _low_words(cum)[first_lot]
    del start_low, end_low
    # Each part's lots are consumed as a prefix: up to the end of its last requirement.
    last = np.flatnonzero(np.append(first[1:], True))
    consumed = cum.gather(part_lot[:-1]).scatter(part[last], end.gather(last))
    # Clipped at VALUE_SAFE first (every lot holds less) so the cast to int64 is exact.
    reached = (consumed.gather(lot_part) - cum.slice(0, len(lot_qty))).clip(
        lower_bound=0, upper_bound=VALUE_SAFE
    )
    discharged = np.minimum(reached.cast(pl.Int64).to_numpy(), lot_qty)
    return _Core(taken, first_lot, skip, stop_lot, discharged)


# ---- the Int128 tier: quantities and sums beyond int64, native speed ------------------------------


def _part_order(req_part: Ints, n_parts: int) -> tuple[Ints, Ints]:
    """(order, part): the requirements stably sorted by part, and the part of each in that order."""
    narrow = req_part.astype(np.int16) if n_parts < 2**15 else req_part
    order = np.argsort(narrow, kind="stable")
    part = np.repeat(np.arange(n_parts, dtype=np.int64), np.bincount(req_part, minlength=n_parts))
    return order, part


def _fifo_columns_int128(
    lot_part: Ints, lot_day: Ints, lot_qty: Big, req_part: Ints, req_day: Ints, req_qty: Big, n_parts: int
) -> FifoColumns:
    """:func:`fifo_columns` with Int128 quantities (Polars series; every sum below ``INT128_SAFE``)."""
    # One chunk each: Polars gathers from a many-chunk series about three times slower.
    lot_qty = lot_qty.clip(lower_bound=0).rechunk()
    req_qty = req_qty.clip(lower_bound=0).rechunk()
    if not len(req_qty):
        empty = np.zeros(0, dtype=np.int64)
        none = _int128([])
        return FifoColumns(empty, empty, none, empty, none, lot_qty.clip(upper_bound=0))
    order, part = _part_order(req_part, n_parts)
    need = req_qty.gather(order)
    core = _int128_by_part_ranges(lot_part, lot_day, lot_qty, part, req_day[order], need, n_parts)
    return _lay_over_lots_int128(order, need, core)


def _int128_by_part_ranges(
    lot_part: Ints, lot_day: Ints, lot_qty: Big, part: Ints, day: Ints, need: Big, n_parts: int
) -> _Intervals:
    """:func:`_fifo_core_int128` on two ranges of parts on two threads (as :func:`_by_part_ranges`).

    The second range's positions start at 0 on its own lots; shifted by the first
    range's total they are the positions of one run over all parts.
    """
    halves = _two_part_ranges(part, lot_part)
    if halves is None:
        return _fifo_core_int128(lot_part, lot_day, lot_qty, part, day, need, n_parts)
    middle, split, lots = halves
    jobs = [
        (
            lot_part[:lots],
            lot_day[:lots],
            lot_qty.slice(0, lots),
            part[:split],
            day[:split],
            need.slice(0, split),
            middle,
        ),
        (
            lot_part[lots:] - middle,
            lot_day[lots:],
            lot_qty.slice(lots),
            part[split:] - middle,
            day[split:],
            need.slice(split),
            n_parts - middle,
        ),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        low, high = pool.map(lambda job: _fifo_core_int128(*job), jobs)
    shift = low.cum.slice(lots, 1)  # the first range's lots in all
    return _Intervals(
        pl.concat([low.cum, high.cum.slice(1) + shift]),
        pl.concat([low.start, high.start + shift]),
        pl.concat([low.end, high.end + shift]),
        np.concatenate((low.first_lot, high.first_lot + lots)),
        np.concatenate((low.stop_lot, high.stop_lot + lots)),
        pl.concat([low.discharged, high.discharged]),
    )


@dataclass(frozen=True, slots=True)
class _Intervals:
    """The Int128 core's result: each requirement's interval ``[start, end)`` of its part's lot
    stream (positions on ``cum``, part order), the lots it meets and what each lot gave."""

    cum: Big  # cum[i]: where lot i starts on the stream of all lots
    start: Big
    end: Big
    first_lot: Ints
    stop_lot: Ints
    discharged: Big  # per lot


def _fifo_core_int128(
    lot_part: Ints, lot_day: Ints, lot_qty: Big, part: Ints, day: Ints, need: Big, n_parts: int
) -> _Intervals:
    """:func:`_fifo_core` on Int128 series: the same running minimum, term by term."""
    cum = pl.concat([_int128([0]), lot_qty]).cum_sum()  # cum[i]: lot i starts
    upto, part_lot, first = _lots_upto(part, day, lot_part, lot_day, n_parts)
    heads = np.flatnonzero(first)
    segment = np.cumsum(first) - 1
    total = need.cum_sum()
    before = total.gather(heads) - need.gather(heads)  # per part: requirements of earlier parts
    base = cum.gather(part_lot[part[heads]])  # per part: where its lots start
    reach = total - before.gather(segment)  # R_k
    available = cum.gather(upto) - base.gather(segment)  # A_k
    del total, upto
    # The running minimum restarts at each part: later parts sit strictly below earlier ones.
    offset = (before + _int128(np.arange(len(heads), dtype=np.int64))).gather(segment)
    running = ((available - reach).clip(upper_bound=0) - offset).cum_min() + offset
    del available, offset
    end = reach + running + base.gather(segment)  # base + C_k
    del reach, running
    start = end.shift(1).scatter(heads, base)  # base + C_(k-1) (scatter: a fresh series)
    stop_lot, after_end = _search_wide(cum, end)
    first_lot = np.empty(len(need), dtype=np.int64)  # one search: start is the previous end in a part
    first_lot[1:] = after_end[:-1] - 1
    first_lot[heads] = _search_wide(cum, base)[1] - 1
    last = np.flatnonzero(np.append(first[1:], True))
    consumed = cum.gather(part_lot[:-1]).scatter(part[last], end.gather(last))
    reached = (consumed.gather(lot_part) - cum.slice(0, len(lot_qty))).clip(lower_bound=0)
    discharged = reached.zip_with(reached < lot_qty, lot_qty)
    return _Intervals(cum, start, end, first_lot, stop_lot, discharged)


def _overlap(core: _Intervals, req: Ints, lot: Ints) -> Big:
    """What requirement ``req`` (part order) takes from lot ``lot``: the overlap of their intervals."""
    return pl.select(
        pl.min_horizontal(pl.lit(core.cum.gather(lot + 1)), pl.lit(core.end.gather(req)))
        - pl.max_horizontal(pl.lit(core.cum.gather(lot)), pl.lit(core.start.gather(req)))
    ).to_series()


def _lay_over_lots_int128(order: Ints, need: Big, core: _Intervals) -> FifoColumns:
    """:func:`_lay_over_lots` and :func:`_allocations` on Int128 series, in blocks on two threads.

    Requirement ``k`` takes the interval ``[start_k, end_k)`` of the lot stream, so
    what it takes from lot ``l`` is the overlap with the lot's own interval
    ``[cum_l, cum_(l+1))``: ``min(cum_(l+1), end_k) - max(cum_l, start_k)``, exact and
    without a running sum over the rows (so blocks of requirements are independent). A
    requirement that meets one lot (98.6 % of those that take anything on the 200k units
    ledger) takes its whole interval ``end_k - start_k`` from it: only the others' rows
    gather the four ends.
    """
    taken = core.end - core.start
    n = len(order)
    source = np.empty(n, dtype=np.int64)
    source[order] = np.arange(n, dtype=np.int64)  # output row → row in part order
    positive = (taken > 0).to_numpy()
    count = np.where(positive, core.stop_lot - core.first_lot, 0).astype(np.int64)[source]
    short = need - taken  # part order; gathered into output order in the blocks (a random gather)

    def block(low: int) -> tuple[Ints, Ints, Big, Ints, Big]:
        rows, counts = source[low : low + BLOCK], count[low : low + BLOCK]
        missing_qty = short.gather(rows)
        missing = np.flatnonzero((missing_qty > 0).to_numpy())
        req = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        head = np.repeat(np.cumsum(counts) - counts, counts)  # each row's requirement's first row
        within = rows[req]  # each row's requirement, in part order
        lot = core.first_lot[within] + (np.arange(len(req), dtype=np.int64) - head)
        # Most requirements meet one lot, and then the overlap is all they take; only the rows
        # of requirements that meet several lots need the two ends (four Int128 gathers).
        qty = taken.gather(within)
        several = np.flatnonzero(counts[req] > 1)
        if len(several):
            qty.scatter(several, _overlap(core, within[several], lot[several]))
        keep = (qty > 0).to_numpy()
        if not keep.all():  # a lot of quantity zero inside an interval takes nothing
            req, lot, qty = req[keep], lot[keep], qty.filter(pl.Series(keep))
        return req + low, lot, qty, missing + low, missing_qty.gather(missing)

    reqs, lots, qtys, missing, missing_qtys = zip(*(_blockwise(block, n) or [block(0)]), strict=True)
    return FifoColumns(
        np.concatenate(reqs),
        np.concatenate(lots),
        pl.concat(qtys),
        np.concatenate(missing),
        pl.concat(missing_qtys),
        core.discharged,
    )


# ---- requirements: explode once per product and BOM period ---------------------------------------


def unit_needs(
    boms: Mapping[str, tuple[BomVersion, ...]], products: Sequence[str], days: Sequence[dt.date]
) -> list[dict[str, Decimal]]:
    """Per-unit leaf requirements of each (product, day), with the exact domain explosion."""
    stub = Ledger(parts={}, imports=(), exports=(), boms=boms)
    return [explode(stub, product, Decimal(1), day) for product, day in zip(products, days, strict=True)]


@dataclass(frozen=True, slots=True)
class Requirements:
    """Leaf requirements of the export lines in output order, and the lots, at one fixed-point scale."""

    export: Ints  # index of the export line (export order)
    part: Ints  # part id
    qty: Ints | Big  # at ``scale``
    lot_qty: Ints | Big  # the lots' quantities at ``scale``
    scale: int
    wide: bool  # int64 quantities whose running sums need 128 bits
    width: str = "int64"  # "int64", "wide" (that case), "int128" (qty, lot_qty: Int128 series), "object"


def _float_sum(values: Ints) -> float:
    try:
        return float(np.sum(np.abs(values).astype(np.float64)))
    except OverflowError:
        return float("inf")


def requirements(
    export_key: Ints,
    export_qty: Ints,
    export_scale: int,
    needs: Sequence[Mapping[str, Decimal]],
    part_id: Mapping[str, int],
    lot_qty: Ints,
    lot_scale: int,
) -> Requirements:
    """``export_qty x needs[export_key]`` per leaf part in part order, and the lots, exact.

    The width is the narrowest that provably holds every value and cumulative
    sum: int64; else int64 values with Int128 running sums (``wide``); else
    Int128 values and sums (Polars series, ``width == "int128"``: unit
    conversions and BOM levels make requirements of 20-30 decimals); else
    Python integers.
    """
    leaves = [sorted(need.items(), key=lambda item: part_id[item[0]]) for need in needs]
    units, unit_scale = to_fixed([u for leaf in leaves for _, u in leaf])
    leaf_part = np.array([part_id[p] for leaf in leaves for p, _ in leaf], dtype=np.int64)
    sizes = np.array([len(leaf) for leaf in leaves], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    n_req = int(sizes[export_key].sum()) if len(export_key) else 0

    export_qty, export_scale = trim_scale(export_qty, export_scale)
    lot_qty, lot_scale = trim_scale(lot_qty, lot_scale)
    export_qty, lot_qty = _array(export_qty), _array(lot_qty)  # int64 again when they fit
    req_scale = export_scale + unit_scale
    scale = max(lot_scale, req_scale)
    lot_factor, req_factor = 10 ** (scale - lot_scale), 10 ** (scale - req_scale)
    key_units = np.array(
        [
            float(sum(abs(units[i]) for i in range(s, s + z)))
            for s, z in zip(starts.tolist(), sizes.tolist(), strict=True)
        ],
        dtype=np.float64,
    )
    key_of = key_units[export_key] if len(export_key) else np.zeros(0)
    try:
        req_bound = float(np.dot(np.abs(export_qty).astype(np.float64), key_of)) * req_factor
    except OverflowError:
        req_bound = float("inf")
    bound = 2 * max(req_bound, _float_sum(lot_qty) * lot_factor) + 2 * n_req  # the offsets add < n_req
    narrow_inputs = (
        export_qty.dtype != object
        and lot_qty.dtype != object
        and max((abs(u) for u in units), default=0) < 2**63
    )
    narrow = (
        narrow_inputs
        and bound < INT128_SAFE
        and _largest(export_qty, units, req_factor, lot_qty, lot_factor) < VALUE_SAFE
    )
    big = (
        not narrow
        and bound < INT128_SAFE
        and max((abs(u) for u in units), default=0) < INT128_SAFE
        and _largest(export_qty, units, req_factor, lot_qty, lot_factor) < INT128_SAFE
    )
    if big:
        return _requirements_int128(
            export_key, export_qty, units, req_factor, lot_qty, lot_factor, scale, sizes, starts, leaf_part
        )
    if not narrow:
        export_qty, lot_qty = export_qty.astype(object), lot_qty.astype(object)
    unit_values = np.array(units, dtype=np.int64 if narrow else object)

    def block(low: int) -> tuple[Ints, ...]:
        """The requirements of the exports from ``low`` on (a block of them)."""
        keys = export_key[low : low + BLOCK]
        count = sizes[keys]
        export = np.repeat(np.arange(low, low + len(keys), dtype=np.int64), count)
        within = np.arange(len(export), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        leaf = np.repeat(starts[keys], count) + within
        return export, leaf_part[leaf], export_qty[export] * unit_values[leaf] * req_factor

    export, part, qty = (
        (np.concatenate(column) for column in zip(*_blockwise(block, len(export_key)), strict=True))
        if len(export_key)
        else (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=unit_values.dtype))
    )
    return Requirements(
        export,
        part,
        qty,
        lot_qty * lot_factor,
        scale,
        narrow and bound >= INT64_SAFE,
        "int64" if narrow and bound < INT64_SAFE else "wide" if narrow else "object",
    )


def _int128(values: Sequence[int] | Ints) -> Big:
    if isinstance(values, np.ndarray) and values.dtype == np.int64:  # no Python ints on the way
        return pl.Series(values, dtype=pl.Int64).cast(pl.Int128)
    return pl.Series(values.tolist() if isinstance(values, np.ndarray) else list(values), dtype=pl.Int128)


def _times(values: Big, factor: int) -> Big:
    return values if factor == 1 else values * _int128([factor])


def _requirements_int128(
    export_key: Ints,
    export_qty: Ints,
    units: Sequence[int],
    req_factor: int,
    lot_qty: Ints,
    lot_factor: int,
    scale: int,
    sizes: Ints,
    starts: Ints,
    leaf_part: Ints,
) -> Requirements:
    """The requirements as Polars Int128 series (every value and sum proved below ``INT128_SAFE``).

    In blocks of exports on two threads (NumPy and Polars release the GIL), as the int64
    path: one pass over millions of requirements is otherwise single-threaded.
    """
    unit_values = _times(_int128(units), req_factor)
    exports_per_block = max(1, BLOCK // 8)  # an export line has many leaf requirements (~20 here)

    def block(low: int) -> tuple[Ints, Ints, Big]:
        keys = export_key[low : low + exports_per_block]
        count = sizes[keys]
        export = np.repeat(np.arange(low, low + len(keys), dtype=np.int64), count)
        within = np.arange(len(export), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        leaf = np.repeat(starts[keys], count) + within
        # the export quantities gathered as int64 (or Python ints), widened after: a cheaper gather
        return export, leaf_part[leaf], _int128(export_qty[export]) * unit_values.gather(leaf)

    blocks = _blockwise(block, len(export_key), exports_per_block) or [block(0)]
    exports, parts, qtys = zip(*blocks, strict=True)
    return Requirements(
        np.concatenate(exports),
        np.concatenate(parts),
        pl.concat(qtys, rechunk=True),  # one chunk: Polars gathers from many chunks about 3x slower
        _times(_int128(lot_qty), lot_factor),
        scale,
        False,
        "int128",
    )


def _largest(
    export_qty: Ints, units: Sequence[int], req_factor: int, lot_qty: Ints, lot_factor: int
) -> float:
    """An upper bound (float, with a margin for rounding) of any single requirement or lot quantity."""
    biggest_export = float(np.abs(export_qty).max(initial=0))
    biggest_unit = float(max((abs(u) for u in units), default=0))
    biggest_lot = float(np.abs(lot_qty).max(initial=0))
    return 1.001 * max(biggest_export * biggest_unit * req_factor, biggest_lot * lot_factor)


def _deadlines(
    kind_of_lot: Sequence[str], lot_days: Sequence[dt.date], program_valid_to: dt.date | None = None
) -> Ints:
    """Deadline (as a day ordinal; none = never late) of each lot, computed once per (kind, day).

    ``program_valid_to``: the end of the company's program, the deadline of assets (when known).
    """
    cache: dict[tuple[str, dt.date], int] = {}
    out = np.empty(len(lot_days), dtype=np.int64)
    for i, (kind, day) in enumerate(zip(kind_of_lot, lot_days, strict=True)):
        found = cache.get((kind, day))
        if found is None:
            due = deadline(kind, day, program_valid_to)
            found = cache[(kind, day)] = _NO_DEADLINE if due is None else due.toordinal()
        out[i] = found
    return out


@dataclass(frozen=True, slots=True)
class LedgerColumns:
    """A domain ledger as the engines' columns: exports in discharge order, lots by (part, FIFO)."""

    exports: list[ExportLine]
    lots: list[ImportLine]
    names: list[str]  # part names; a part id is the rank in this list
    req: Requirements
    export_day: Ints  # day ordinal per export (discharge order)
    lot_part: Ints
    lot_day: Ints


def discharge_fast(ledger: Ledger) -> DischargeResult:
    """Exactly ``immex.discharge.methods.discharge(ledger, "fifo")``, vectorized."""
    columns = ledger_columns(ledger)
    req = columns.req
    result = fifo_columns(
        columns.lot_part,
        columns.lot_day,
        req.lot_qty,
        req.part,
        columns.export_day[req.export] if len(req.export) else req.export,
        req.qty,
        len(columns.names),
        req.wide,
    )
    return domain_result(ledger, columns, result)


def ledger_columns(ledger: Ledger) -> LedgerColumns:
    """Sort, number and explode ``ledger`` once (each product and BOM period) at one fixed-point scale."""
    exports = sorted(ledger.exports, key=lambda e: e.order_key)
    breaks = bom_breakpoints(ledger.boms)
    keys: dict[tuple[str, int], int] = {}
    export_key = np.empty(len(exports), dtype=np.int64)
    firsts: list[tuple[str, dt.date]] = []
    for i, export in enumerate(exports):
        period = (export.product, bisect.bisect_right(breaks, export.cleared_on))
        key = keys.get(period)
        if key is None:
            key = keys[period] = len(firsts)
            firsts.append((export.product, export.cleared_on))
        export_key[i] = key
    needs = unit_needs(ledger.boms, [p for p, _ in firsts], [d for _, d in firsts])
    names = sorted(
        set(ledger.parts) | {lot.part for lot in ledger.imports} | {leaf for need in needs for leaf in need}
    )
    part_id = {name: i for i, name in enumerate(names)}
    lots = sorted(ledger.imports, key=lambda lot: (part_id[lot.part], lot.fifo_key))
    lot_values, lot_scale = to_fixed([lot.qty for lot in lots])
    export_values, export_scale = to_fixed([e.qty for e in exports])
    req = requirements(
        export_key, _array(export_values), export_scale, needs, part_id, _array(lot_values), lot_scale
    )
    return LedgerColumns(
        exports,
        lots,
        names,
        req,
        np.array([e.cleared_on.toordinal() for e in exports], dtype=np.int64),
        np.array([part_id[lot.part] for lot in lots], dtype=np.int64),
        np.array([lot.cleared_on.toordinal() for lot in lots], dtype=np.int64),
    )


def domain_result(ledger: Ledger, columns: LedgerColumns, result: FifoColumns) -> DischargeResult:
    """Allocations and shortfalls given as (requirement, lot) indices, as the domain's values."""
    exports, lots, names, req = columns.exports, columns.lots, columns.names, columns.req
    scale, export_day = req.scale, columns.export_day
    kinds = {name: part.kind for name, part in ledger.parts.items()}
    used = np.unique(result.alloc_lot)
    due = np.full(len(lots), _NO_DEADLINE, dtype=np.int64)
    due[used] = _deadlines(
        [kinds.get(lots[i].part, "raw") for i in used],
        [lots[i].cleared_on for i in used],
        ledger.program_valid_to,
    )
    late = export_day[req.export[result.alloc_req]] > due[result.alloc_lot]
    req_export, req_part = req.export.tolist(), req.part.tolist()
    collecting = gc.isenabled()
    gc.disable()  # millions of new acyclic objects: the cycle collector would rescan them again and again
    try:
        allocations = []
        for r, i, qty, is_late in zip(
            result.alloc_req.tolist(),
            result.alloc_lot.tolist(),
            _to_list(result.alloc_qty),
            late.tolist(),
            strict=True,
        ):
            export, lot = exports[req_export[r]], lots[i]
            allocations.append(
                Allocation(
                    export.pedimento,
                    export.line,
                    export.product,
                    lot.part,
                    lot.pedimento,
                    lot.line,
                    from_fixed(qty, scale),
                    bool(is_late),
                )
            )
        shortfalls = []
        for r, qty in zip(result.short_req.tolist(), _to_list(result.short_qty), strict=True):
            export = exports[req_export[r]]
            shortfalls.append(
                Shortfall(
                    export.pedimento, export.line, export.product, names[req_part[r]], from_fixed(qty, scale)
                )
            )
    finally:
        if collecting:
            gc.enable()
    return DischargeResult(tuple(allocations), tuple(shortfalls))


# ---- columns in, columns out ----------------------------------------------------------------------


def format_fixed(values: Ints, scale: int) -> pl.Series:
    """Fixed-point integers as exact decimal text without exponent or trailing zeros (as ``plain``).

    Millions of values are formatted in blocks on two threads (Polars releases the GIL).
    """
    if isinstance(values, pl.Series):  # Int128: below 2**124 < 10**38, so Decimal(38) holds it
        if scale > 37:
            return _format_int128(values, scale)
        return (
            _format_series(values, scale)
            if len(values) <= 4 * BLOCK
            else pl.concat(
                _blockwise(
                    lambda low: _format_series(values.slice(low, 4 * BLOCK), scale), len(values), 4 * BLOCK
                ),
                rechunk=False,
            )
        )
    if values.dtype == object or scale > 37:
        return pl.Series([plain(from_fixed(int(v), scale)) for v in values.tolist()], dtype=pl.String)
    if len(values) <= 4 * BLOCK:
        return _format_int64(values, scale)
    blocks = _blockwise(
        lambda low: _format_int64(values[low : low + 4 * BLOCK], scale), len(values), 4 * BLOCK
    )
    return pl.concat(blocks, rechunk=False)


def _format_int128(values: Big, scale: int) -> pl.Series:
    """Int128 fixed point as text: the digits with the point put in by string operations (exact)."""
    if scale == 0:
        return values.cast(pl.String)
    digits = values.abs().cast(pl.String).str.zfill(scale + 1)
    whole = digits.str.slice(0, digits.str.len_chars() - scale)
    fraction = digits.str.slice(-scale).str.strip_chars_end("0")
    sign = pl.when(pl.lit(values) < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    point = pl.when(pl.lit(fraction) == "").then(pl.lit("")).otherwise(pl.lit("."))
    return pl.select(pl.concat_str(sign, pl.lit(whole), point, pl.lit(fraction))).to_series()


def _ints_of(column: pl.Series) -> Ints:
    """An Int64 or Int128 column as int64 (or, beyond ``VALUE_SAFE``, Python ints: as :func:`_array`)."""
    if column.dtype == pl.Int128:
        biggest: Any = column.abs().max() if len(column) else 0
        if int(biggest or 0) < VALUE_SAFE:  # abs cannot overflow: quantities are far below 2**127
            return column.cast(pl.Int64).to_numpy()
        return np.array(column.to_list(), dtype=object)
    return column.to_numpy()


def _to_list(values: Ints | Big) -> list[int]:
    return values.to_list() if isinstance(values, pl.Series) else values.tolist()


def _format_int64(values: Ints, scale: int) -> pl.Series:
    return _format_series(pl.Series("v", values, dtype=pl.Int64), scale)


def _format_series(column: pl.Series, scale: int) -> pl.Series:
    if scale == 0:
        return column.cast(pl.String)
    # Exact: integer x 10**-scale in Polars' 128-bit decimals (every value is below 2**124 < 10**38).
    step = pl.lit(Decimal(1).scaleb(-scale), dtype=pl.Decimal(38, scale))
    text = (pl.lit(column).cast(pl.Decimal(38, 0)) * step).cast(pl.Decimal(38, scale)).cast(pl.String)
    return pl.select(text.str.strip_chars_end("0").str.strip_chars_end(".")).to_series()


def _deadline_days(kinds: Sequence[str], kind_code: Ints, days: Ints) -> Ints:
    """Deadline (days since EPOCH; none = never late) per lot, computed once per (kind, day)."""
    if not len(days):
        return np.zeros(0, dtype=np.int64)
    low = int(days.min())
    pair = kind_code.astype(np.int64) * (int(days.max()) - low + 1) + (days - low)
    unique, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    due = np.empty(len(unique), dtype=np.int64)
    for j, i in enumerate(first.tolist()):
        day = deadline(kinds[int(kind_code[i])], EPOCH + dt.timedelta(days=int(days[i])))
        due[j] = _NO_DEADLINE if day is None else (day - EPOCH).days
    return due[inverse.reshape(-1)]


@dataclass(frozen=True)
class FramesResult:
    """The discharge as columns: the contract's allocations and shortfalls (qty as exact text).

    ``lots`` are the import lines (pedimento, line, part, cleared_on, deadline)
    with ``lot_qty`` imported and ``lot_discharged``, fixed point at ``scale``,
    for balances.csv.
    """

    allocations: pl.DataFrame
    shortfalls: pl.DataFrame
    lots: pl.DataFrame
    lot_qty: Qty
    lot_discharged: Qty
    scale: int
    late: int
    total_allocated: Decimal
    total_missing: Decimal
    allocated: AllocatedColumns | None = None


@dataclass(frozen=True)
class AllocatedColumns:
    """Each allocation as integers, for the waste pass (:mod:`immex.discharge.movements`).

    ``export`` is the export line's row in ``plan.exports`` (its ``key`` names the
    per-unit needs), ``part`` the part's rank in ``names``, ``qty`` the fixed-point
    quantity at the result's scale (the width of the run: int64, Int128 or Python ints).
    """

    plan: ExportPlan
    names: list[str]
    export: Ints
    part: Ints
    qty: Qty


def _pedimento_key(frame: pl.DataFrame) -> pl.Expr:
    """Sort key ordering pedimentos as text: the number itself when all are 15 digits (faster)."""
    if frame.height and frame.select(pl.col("pedimento").str.contains(r"^[0-9]{15}$").all()).item():
        return pl.col("pedimento").cast(pl.Int64)
    return pl.col("pedimento")


@dataclass(frozen=True)
class ExportPlan:
    """The export lines in discharge order, each with the index (``key``) of its per-unit leaf needs."""

    exports: pl.DataFrame
    needs: list[dict[str, Decimal]]


def plan_exports(frames: LedgerFrames) -> ExportPlan:
    """Sort the exports and explode each distinct (product, BOM period) once (shared by every partition)."""
    exports = frames.exports.sort(["cleared_on", _pedimento_key(frames.exports), "line", "product"])
    period = export_periods(exports["cleared_on"], frames.boms)
    products = sorted(exports["product"].unique().to_list())
    product_id = (
        exports["product"]
        .replace_strict({p: i for i, p in enumerate(products)}, return_dtype=pl.Int64)
        .to_numpy()
    )
    combined = product_id * (int(period.max(initial=0)) + 1) + period
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # keys in order of first export, as the domain explodes
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    firsts = first[order].tolist()
    products, days = (
        exports["product"].gather(firsts).to_list(),
        exports["cleared_on"].gather(firsts).to_list(),
    )
    # The reader exploded each (product, BOM period) for its checks; the rest (a reader that
    # did not) are exploded here. Copies: the needs are the engine's own.
    known = [frames.exploded.get((p, k)) for p, k in zip(products, period[firsts].tolist(), strict=True)]
    missing = [i for i, found in enumerate(known) if found is None]
    computed = iter(unit_needs(frames.boms, [products[i] for i in missing], [days[i] for i in missing]))
    needs = [dict(found) if found is not None else next(computed) for found in known]
    return ExportPlan(exports.with_columns(key=pl.Series(rank[inverse.reshape(-1)], dtype=pl.Int64)), needs)


def part_names(frames: LedgerFrames, plan: ExportPlan) -> list[str]:
    """Every part the discharge can meet, in name order (the order of parts within an export line)."""
    return sorted(
        set(frames.parts["part"].to_list())
        | set(frames.imports["part"].unique().to_list())
        | {leaf for need in plan.needs for leaf in need}
    )


def discharge_frames(
    frames: LedgerFrames,
    plan: ExportPlan | None = None,
    parts: Collection[str] | None = None,
    keys: bool = False,
    consume: Callable[..., FifoColumns] = fifo_columns,
    pedimentos: bool = False,
) -> FramesResult:
    """FIFO on a columnar ledger: the rows ``discharge(ledger, "fifo")`` gives, in the same order.

    ``consume`` takes the requirements from the lots (``fifo_columns``' signature); LIFO passes
    :func:`immex.discharge.fast_lifo.lifo_columns`. ``pedimentos`` also hands it the lots'
    pedimentos and each requirement's named import pedimento (``lot_pedimento``,
    ``req_named``: the directed discharge, :func:`immex.discharge.fast_directed.directed_columns`).

    With ``parts``, only the requirements and lots of those parts (parts are
    independent under FIFO, so the rows are exactly those of the whole run;
    the fixed-point scale and integer width are chosen for these parts
    alone). ``keys`` adds ``_export`` (the export line's position in
    discharge order) and ``_part`` (the part's rank among ``parts``) to the
    allocations and shortfalls, to merge partitions (see
    :mod:`immex.discharge.partitioned`).
    """
    plan = plan or plan_exports(frames)
    exports, needs = plan.exports, plan.needs
    export_key = exports["key"].to_numpy()
    kind_of = dict(frames.parts.select("part", "kind").iter_rows())
    names = part_names(frames, plan)
    imports = frames.imports
    if parts is not None:
        wanted = set(parts)
        names = [name for name in names if name in wanted]
        needs = [{p: u for p, u in need.items() if p in wanted} for need in needs]
        imports = imports.filter(pl.col("part").is_in(names))
    part_id = {name: i for i, name in enumerate(names)}
    lots = imports.with_columns(pid=pl.col("part").replace_strict(part_id, return_dtype=pl.Int64)).sort(
        ["pid", "cleared_on", _pedimento_key(imports), "line"]
    )
    req = requirements(
        export_key,
        _ints_of(exports["qty"]),
        frames.exports_scale,
        needs,
        part_id,
        _ints_of(lots["qty"]),
        frames.imports_scale,
    )
    scale = req.scale
    export_day = exports["cleared_on"].to_physical().to_numpy().astype(np.int32)
    lot_part = lots["pid"].to_numpy()
    lot_day = lots["cleared_on"].to_physical().to_numpy().astype(np.int64)
    named = (
        {"lot_pedimento": lots["pedimento"], "req_named": exports["import_pedimento"].gather(req.export)}
        if pedimentos
        else {}
    )
    out = consume(
        lot_part,
        lot_day,
        req.lot_qty,
        req.part,
        export_day[req.export],
        req.qty,
        len(names),
        req.wide,
        **named,
    )

    kinds = sorted(set(kind_of.values()) | {"raw"})
    code = np.array([kinds.index(kind_of.get(name, "raw")) for name in names], dtype=np.int64)
    due = _deadline_days(kinds, code[lot_part] if len(lot_part) else lot_part, lot_day)
    alloc_export, alloc_part = req.export[out.alloc_req], req.part[out.alloc_req]
    late = export_day[alloc_export] > due[out.alloc_lot]
    # One select per source frame: Polars gathers the columns in parallel.
    allocations = pl.concat(
        [
            exports.select(
                pl.col("pedimento").alias("export_pedimento"), pl.col("line").alias("export_line"), "product"
            ).select(pl.all().gather(alloc_export)),
            lots.select(
                "part", pl.col("pedimento").alias("import_pedimento"), pl.col("line").alias("import_line")
            ).select(pl.all().gather(out.alloc_lot)),
            pl.DataFrame(
                {"qty": format_fixed(out.alloc_qty, scale), "late": pl.Series(late, dtype=pl.Boolean)}
            ),
        ],
        how="horizontal",
    )
    if keys:
        allocations = allocations.with_columns(
            _export=pl.Series(alloc_export, dtype=pl.Int64),
            _part=pl.Series(alloc_part, dtype=pl.Int64),
        )
    short_export = req.export[out.short_req]
    shortfalls = pl.concat(
        [
            exports.select(
                pl.col("pedimento").alias("export_pedimento"), pl.col("line").alias("export_line"), "product"
            ).select(pl.all().gather(short_export)),
            pl.DataFrame(
                {
                    "part": pl.Series(names, dtype=pl.String).gather(req.part[out.short_req]),
                    "qty_missing": format_fixed(out.short_qty, scale),
                }
            ),
        ],
        how="horizontal",
    )
    if keys:
        shortfalls = shortfalls.with_columns(
            _export=pl.Series(short_export, dtype=pl.Int64),
            _part=pl.Series(req.part[out.short_req], dtype=pl.Int64),
        )
    deadline_column = pl.Series("deadline", np.where(due == _NO_DEADLINE, -1, due), dtype=pl.Int64)
    lot_frame = lots.select("pedimento", "line", "part", "cleared_on").with_columns(
        pl.when(deadline_column >= 0).then(deadline_column).cast(pl.Int32).cast(pl.Date).alias("deadline")
    )
    return FramesResult(
        allocations,
        shortfalls,
        lot_frame,
        req.lot_qty,
        out.lot_discharged,
        scale,
        int(late.sum()),
        from_fixed(_total(out.alloc_qty), scale),
        from_fixed(_total(out.short_qty), scale),
        AllocatedColumns(plan, names, alloc_export, alloc_part, out.alloc_qty),
    )


def _total(values: Ints) -> int:
    """Exact sum; int64 columns are summed as high and low 31-bit halves (each sum fits int64)."""
    if isinstance(values, pl.Series):
        return int(values.sum() or 0)
    if values.dtype == object:
        return int(sum(values.tolist()))
    return (int(np.sum(values >> 31)) << 31) + int(np.sum(values & (2**31 - 1)))


def balances_frame(result: FramesResult, as_of: dt.date) -> pl.DataFrame:
    """balances.csv of the contract (as ``immex.discharge.methods.balances``), sorted by import line."""
    remaining = result.lot_qty - result.lot_discharged
    empty = pl.Series(remaining == 0, dtype=pl.Boolean)
    days_left = pl.col("deadline").cast(pl.Int32).cast(pl.Int64) - (as_of - EPOCH).days
    return result.lots.select(
        import_pedimento="pedimento",
        import_line="line",
        part="part",
        qty_imported=format_fixed(result.lot_qty, result.scale),
        qty_discharged=format_fixed(result.lot_discharged, result.scale),
        qty_remaining=format_fixed(remaining, result.scale),
        deadline="deadline",
        days_left=days_left,
        status=pl.when(empty)
        .then(pl.lit("discharged"))
        .when(pl.col("deadline").is_null())
        .then(pl.lit("open"))
        .when(days_left < 0)
        .then(pl.lit("overdue"))
        .when(days_left <= EXPIRING_WITHIN_DAYS)
        .then(pl.lit("expiring"))
        .otherwise(pl.lit("open")),
    ).sort(["import_pedimento", "import_line", "part"])


def write_discharge_frames(folder: Path, result: FramesResult, as_of: dt.date) -> dict[str, Any]:
    """Write allocations.csv, shortfalls.csv and balances.csv; return the counts and totals for run.json."""
    folder.mkdir(parents=True, exist_ok=True)

    def the_rest() -> pl.DataFrame:
        result.shortfalls.write_csv(folder / "shortfalls.csv", line_terminator="\n")
        rows = balances_frame(result, as_of)
        rows.write_csv(folder / "balances.csv", line_terminator="\n")
        return rows

    with ThreadPoolExecutor(max_workers=2) as pool:  # the big file is written while the rest is built
        rest = pool.submit(the_rest)
        result.allocations.write_csv(folder / "allocations.csv", line_terminator="\n")
        balances = rest.result()
    by_status = dict(balances.group_by("status").len().sort("status").iter_rows())
    return {
        "allocations": result.allocations.height,
        "shortfalls": result.shortfalls.height,
        "balances": balances.height,
        "late_allocations": result.late,
        "balances_by_status": by_status,
        "qty_allocated": plain(result.total_allocated),
        "qty_missing": plain(result.total_missing),
    }
