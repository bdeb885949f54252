"""LIFO (UEPS) on the columnar reader: ``immex discharge --method lifo`` without the per-row reader.

The FIFO engine's columnar pipeline (:func:`immex.discharge.fast.discharge_frames`:
read and validate with Polars, BOM exploded once per product and period,
fixed-point integers at one scale and width, output columns gathered and
written by Polars) is the same for LIFO; only the consumption differs. This
module supplies that step with the signature of
:func:`immex.discharge.fast.fifo_columns`: for each requirement, in discharge
order, the newest lots of its part cleared on or before its export date first.

Per part that is a stack: lots are pushed (in FIFO order) as the export dates
reach them, and requirements take from the top. It is computed without a loop
over requirements, on heights in the part's stack:

* How much each requirement takes does not depend on the order lots are taken
  in, so it is the FIFO engine's (the same running minimum; its core runs
  unchanged). With ``A_k`` the quantity pushed and ``C_k`` the quantity taken
  up to requirement ``k``, the stack is ``H_k = A_k - C_k`` high after it and
  ``top_k = H_k + taken_k`` high before it.
* Lot ``i``, pushed before requirement ``s_i``, sits on heights ``[b_i, b_i + q_i)``.
  It is emptied by the first requirement ``d_i >= s_i`` that brings the stack
  down to ``b_i`` or below (a search over ``H``), and until then it is the only
  lot on those heights. So a requirement takes, top down, the whole rest of
  every lot emptied by it (each one's rest reaches up to the next such lot's
  ``b``, the highest to ``top_k``) and then, when the lowest of them starts
  above ``H_k`` (or none is emptied), part of the lot on height ``H_k``: the
  highest lot still holding something after it (found by nesting depth: lots
  live and die as balanced brackets).

Every quantity is exact: the heights are Polars Int128 (the inputs' width is
restored at the end); the search runs on their float64 images, which keep the
order (rounding is monotone), and every hit is checked on the exact values.
Quantities beyond Int128 (Python integers) take the sequential stack
(:func:`immex.discharge.fast_methods.lifo`), which is also the specification
these columns are tested equal to, with the domain engine
(``discharge(ledger, "lifo")``), on random ledgers read from CSV in pounds,
grams and boxes through several BOM levels (``tests/discharge_fast/test_fast_lifo.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from immex.discharge.fast import (
    Big,
    FifoColumns,
    Ints,
    _int128,
    _int128_by_part_ranges,
    _lots_upto,
    _part_order,
)
from immex.discharge.fast_methods import first_at_most, lifo, part_starts, walked_columns


def lifo_columns(
    lot_part: Ints,
    lot_day: Ints,
    lot_qty: Ints | Big,
    req_part: Ints,
    req_day: Ints,
    req_qty: Ints | Big,
    n_parts: int,
    wide: bool = False,
) -> FifoColumns:
    """LIFO allocations and shortfalls of the requirements (lots sorted by part, date, pedimento, line)."""
    del wide  # the heights are Int128 in every width
    if isinstance(req_qty, np.ndarray) and req_qty.dtype == object:  # beyond Int128: the stack
        part, starts = req_part.tolist(), part_starts(lot_part, n_parts)
        return walked_columns(
            lambda hi, needs, quantities: lifo(part, hi, needs, quantities, starts),
            lot_part,
            lot_day,
            lot_qty,
            req_part,
            req_day,
            req_qty,
        )
    narrow = isinstance(req_qty, np.ndarray)
    lots = _series(lot_qty).clip(lower_bound=0).rechunk()  # an empty (or negative) lot is never taken
    needs = _series(req_qty).clip(lower_bound=0).rechunk()
    out = _lifo_by_blocks(lot_part, lot_day, lots, req_part, req_day, needs, n_parts)
    if not narrow:
        return out
    return FifoColumns(  # every value is at most one lot's or one requirement's: int64 again
        out.alloc_req,
        out.alloc_lot,
        _int64(out.alloc_qty),
        out.short_req,
        _int64(out.short_qty),
        _int64(out.lot_discharged),
    )


def _series(values: Ints | Big) -> Big:
    return values if isinstance(values, pl.Series) else _int128(values)


def _int64(values: Big) -> Ints:
    return values.cast(pl.Int64).to_numpy()


# Requirements per block of parts. The stack's columns and their temporaries take about 130
# bytes per requirement (Int128 heights, float images, searches): run on all of a 1M-line
# ledger's 21 M requirements at once they peaked ~1 GB above the FIFO engine.
BLOCK = 1 << 22


def _lifo_by_blocks(
    lot_part: Ints, lot_day: Ints, lot_qty: Big, req_part: Ints, req_day: Ints, req_qty: Big, n_parts: int
) -> FifoColumns:
    """:func:`_lifo_int128` on ranges of parts of about ``BLOCK`` requirements each (parts are
    independent), the rows put back in output order (by requirement, each one's rows kept)."""
    edges = _block_edges(req_part, n_parts)
    if len(edges) <= 2:
        return _lifo_int128(lot_part, lot_day, lot_qty, req_part, req_day, req_qty, n_parts)
    lot_edges = np.searchsorted(lot_part, edges, side="left")
    blocks = []
    for k in range(len(edges) - 1):
        low, high = int(edges[k]), int(edges[k + 1])
        reqs = np.flatnonzero((req_part >= low) & (req_part < high))
        lots = slice(int(lot_edges[k]), int(lot_edges[k + 1]))
        out = _lifo_int128(
            lot_part[lots] - low,
            lot_day[lots],
            lot_qty.slice(lots.start, lots.stop - lots.start),
            req_part[reqs] - low,
            req_day[reqs],
            req_qty.gather(reqs),
            high - low,
        )
        blocks.append((reqs, lots.start, out))
    return _in_output_order(blocks, len(req_part))


def _block_edges(req_part: Ints, n_parts: int) -> Ints:
    """Part ids where blocks start, and ``n_parts``: whole parts, about ``BLOCK`` requirements each."""
    total = np.cumsum(np.bincount(req_part, minlength=n_parts))
    cuts = (
        np.searchsorted(total, np.arange(BLOCK, int(total[-1]) if len(total) else 0, BLOCK), side="left") + 1
    )
    edges: Ints = np.unique(np.concatenate(([0], cuts[cuts < n_parts], [n_parts])))
    return edges


def _in_output_order(blocks: list[tuple[Ints, int, FifoColumns]], n: int) -> FifoColumns:
    """The blocks' rows (requirements: positions in ``n``; lots: from each block's first) by
    requirement: a requirement's rows all come from its one block, in their order there. Each
    block's rows are written into place and let go (the list is emptied): no second copy of all."""
    counts = np.zeros(n, dtype=np.int64)
    for reqs, _, out in blocks:
        counts[reqs] = np.bincount(out.alloc_req, minlength=len(reqs))
    first = np.cumsum(counts) - counts
    alloc_req = np.empty(int(counts.sum()), dtype=np.int64)
    alloc_lot = np.empty(len(alloc_req), dtype=np.int64)
    alloc_qty = _int128(np.zeros(len(alloc_req), dtype=np.int64))
    short_req, short_qty, discharged = [], [], []
    blocks.reverse()
    while blocks:
        reqs, first_lot, out = blocks.pop()
        rows = reqs[out.alloc_req]
        at = first[rows] + np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
        alloc_req[at], alloc_lot[at] = rows, out.alloc_lot + first_lot
        alloc_qty.scatter(at, out.alloc_qty)
        short_req.append(reqs[out.short_req])
        short_qty.append(out.short_qty)
        discharged.append(out.lot_discharged)
    short = np.concatenate(short_req)
    short_rows = np.argsort(short)  # one shortfall per requirement at most
    return FifoColumns(
        alloc_req,
        alloc_lot,
        alloc_qty,
        short[short_rows],
        pl.concat(short_qty, rechunk=True).gather(short_rows),
        pl.concat(discharged, rechunk=True),
    )


@dataclass(frozen=True, slots=True)
class _Stack:
    """Per requirement (part order): the stack's height after it and what it takes; per lot: the
    requirement that pushes it (-1: never) and its base (the stack's height when it is pushed)."""

    after: Big  # H_k
    taken: Big
    pushed_by: Ints
    base: Big

    def before(self, requirement: Ints) -> Big:
        """The stack's height before these requirements (after their pushes): top_k."""
        return self.after.gather(requirement) + self.taken.gather(requirement)


def _lifo_int128(
    lot_part: Ints, lot_day: Ints, lot_qty: Big, req_part: Ints, req_day: Ints, req_qty: Big, n_parts: int
) -> FifoColumns:
    """LIFO on Int128 series (quantities clipped at 0; every sum below ``INT128_SAFE``)."""
    if not len(req_qty):
        empty = np.zeros(0, dtype=np.int64)
        none = _int128([])
        return FifoColumns(empty, empty, none, empty, none, lot_qty.clip(upper_bound=0))
    order, part = _part_order(req_part, n_parts)
    day = req_day[order]
    need = req_qty.gather(order)
    stack = _stack(lot_part, lot_day, lot_qty, part, day, need, n_parts)
    lot = np.flatnonzero(stack.pushed_by >= 0)  # lots some requirement pushes (those with something)
    pushed_by = stack.pushed_by[lot]
    base = stack.base.gather(lot)
    ends = np.flatnonzero(_run_ends(part))  # each part's last requirement
    emptied_by = _emptied_by(stack.after, ends, pushed_by, base)
    alloc_req, alloc_lot, alloc_qty = _allocations(order, ends, stack, lot, pushed_by, base, emptied_by)
    short = (need - stack.taken).gather(_inverse(order))
    missing = np.flatnonzero((short > 0).to_numpy())
    discharged = _discharged(lot_qty, ends, stack, lot, pushed_by, base, emptied_by)
    return FifoColumns(alloc_req, alloc_lot, alloc_qty, missing, short.gather(missing), discharged)


def _run_ends(values: Ints) -> Ints:
    """Where each run of equal values (sorted) ends: True at its last position."""
    ends: Ints = np.ones(len(values), dtype=bool)
    ends[:-1] = values[1:] != values[:-1]
    return ends


def _run_starts(values: Ints) -> Ints:
    """Where each run of equal values (sorted) starts: True at its first position."""
    starts: Ints = np.ones(len(values), dtype=bool)
    starts[1:] = values[1:] != values[:-1]
    return starts


def _inverse(order: Ints) -> Ints:
    """The inverse permutation (here: output row → row in part order)."""
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order), dtype=np.int64)
    return inverse


def _stack(
    lot_part: Ints, lot_day: Ints, lot_qty: Big, part: Ints, day: Ints, need: Big, n_parts: int
) -> _Stack:
    """The heights of each part's stack around each requirement (part order) and each lot's base."""
    core = _int128_by_part_ranges(lot_part, lot_day, lot_qty, part, day, need, n_parts)
    upto = _lots_upto(part, day, lot_part, lot_day, n_parts)[0]
    pushed = core.cum.gather(upto)  # where the lots pushed so far end on the stream
    start, end = core.start.rechunk(), core.end.rechunk()
    # The first requirement of the lot's part with the lot cleared by its date pushes it.
    first = np.searchsorted(upto, np.arange(len(lot_qty), dtype=np.int64), side="right")
    inside = first < len(upto)
    pusher = np.where(inside, first, 0)
    pushes = inside & (part[pusher] == lot_part) & (lot_qty > 0).to_numpy()
    pushed_by = np.where(pushes, pusher, -1)
    # Its base: where it starts on the stream less what was taken before that requirement.
    base = core.cum.slice(0, len(lot_qty)) - start.gather(pusher)
    return _Stack(pushed - end, end - start, pushed_by, base)


def _emptied_by(after: Big, ends: Ints, pushed_by: Ints, base: Big) -> Ints:
    """Per pushed lot: the first requirement of its part from its pusher on that leaves the stack
    at or below the lot's base (-1: none)."""
    n = len(after)
    # One -inf after each part's requirements stops every search inside its part.
    slot = np.arange(n, dtype=np.int64) + np.repeat(np.arange(len(ends)), np.diff(ends, prepend=-1))
    heights = np.full(n + len(ends), -np.inf)
    heights[slot] = after.cast(pl.Float64).to_numpy()
    requirement = np.full(len(heights), -1, dtype=np.int64)
    requirement[slot] = np.arange(n, dtype=np.int64)
    limit = base.cast(pl.Float64).to_numpy()
    found = np.full(len(pushed_by), -1, dtype=np.int64)
    start, open_ = slot[pushed_by], np.arange(len(pushed_by), dtype=np.int64)
    while len(open_):
        hit = first_at_most(heights, start, limit[open_])
        k = requirement[hit]
        real = k >= 0
        exact = np.zeros(len(open_), dtype=bool)
        if real.any():  # the float images can tie where the exact values do not
            checked = np.flatnonzero(real)
            exact[checked] = (after.gather(k[checked]) <= base.gather(open_[checked])).to_numpy()
        found[open_[exact]] = k[exact]
        again = real & ~exact
        open_, start = open_[again], hit[again] + 1
    return found


def _allocations(
    order: Ints, ends: Ints, stack: _Stack, lot: Ints, pushed_by: Ints, base: Big, emptied_by: Ints
) -> tuple[Ints, Ints, Big]:
    """The allocations (requirement, lot, qty): requirements in output order, lots top down."""
    n = len(order)
    # Emptied lots by (requirement, lot): each one's rest reaches to the next one's base.
    dying = np.flatnonzero(emptied_by >= 0)
    dying = dying[np.argsort(emptied_by[dying], kind="stable")]
    by = emptied_by[dying]
    highest = _run_ends(by)
    above = np.append(dying[1:], dying[:1])  # the next one (the highest: replaced just below)
    top_of = base.gather(above).scatter(np.flatnonzero(highest), stack.before(by[highest]))
    dying_qty = top_of - base.gather(dying)
    # The rest is taken from one lot: from H_k up to the lowest emptied lot's base (or the top).
    lowest = _run_starts(by)
    partial_qty = stack.taken.clone().scatter(
        by[lowest], base.gather(dying[lowest]) - stack.after.gather(by[lowest])
    )
    taker = np.flatnonzero((partial_qty > 0).to_numpy())
    partial_lot = lot[_holding_after(ends, pushed_by, emptied_by, by, taker)]

    emptied = np.bincount(by, minlength=n)
    rows = emptied.copy()
    rows[taker] += 1
    counts = rows[_inverse(order)]  # per output row
    first_row = (np.cumsum(counts) - counts)[order]  # per requirement (part order)
    within = np.arange(len(by)) - np.searchsorted(by, by, side="left")
    dying_row = first_row[by] + (emptied[by] - 1 - within)  # top down
    partial_row = first_row[taker] + emptied[taker]
    alloc_req = np.repeat(np.arange(n, dtype=np.int64), counts)
    alloc_lot = np.empty(len(alloc_req), dtype=np.int64)
    alloc_lot[dying_row], alloc_lot[partial_row] = lot[dying], partial_lot
    source = np.empty(len(alloc_req), dtype=np.int64)  # row → its value in [partial_qty, dying_qty]
    source[partial_row] = taker
    source[dying_row] = np.arange(n, n + len(by), dtype=np.int64)
    alloc_qty = pl.concat([partial_qty, dying_qty], rechunk=True).gather(source)
    return alloc_req, alloc_lot, alloc_qty


def _holding_after(ends: Ints, pushed_by: Ints, emptied_by: Ints, by: Ints, requirement: Ints) -> Ints:
    """Per requirement (part order, ascending): the pushed lot (its rank among them) highest in its
    part's stack after it, among those still holding something.

    The top changes only at requirements that push or empty lots; lots enter and
    leave a stack as balanced brackets: pushed in order, emptied top first.
    Ordering events by (requirement, pushes before emptyings before the question),
    the stack is ``depth`` lots deep at the question, and the lot on top is the
    last one pushed onto depth ``depth`` before it (any earlier one there was
    emptied first, and the depth came back up by a later push).
    """
    n = ends[-1] + 1 if len(ends) else 0
    last = ends[np.searchsorted(ends, pushed_by, side="left")]  # its part's last requirement
    pushed_at = 4 * pushed_by
    gone_at = np.sort(np.where(emptied_by >= 0, 4 * emptied_by + 1, 4 * last + 3))
    depth_pushed = np.arange(1, len(pushed_by) + 1) - np.searchsorted(gone_at, pushed_at, side="left")
    span = 4 * n + 4
    key = depth_pushed * span + pushed_at
    ranked = np.argsort(key, kind="stable")
    change = np.zeros(n, dtype=bool)  # the requirements after which the top may change
    change[pushed_by] = change[by] = True
    changes = np.flatnonzero(change)
    asked = 4 * changes + 2
    depth = np.searchsorted(pushed_at, asked, side="right") - np.searchsorted(gone_at, asked, side="right")
    top = ranked[np.searchsorted(key[ranked], depth * span + asked, side="right") - 1]
    latest = np.full(n, -1, dtype=np.int64)  # per requirement: the last change at or before it
    latest[changes] = np.arange(len(changes), dtype=np.int64)
    latest = np.maximum.accumulate(latest)
    found: Ints = top[latest[requirement]]
    return found


def _discharged(
    lot_qty: Big, ends: Ints, stack: _Stack, lot: Ints, pushed_by: Ints, base: Big, emptied_by: Ints
) -> Big:
    """What each lot gave in all: all of it when emptied; else its base up to the next lot left in
    its part's stack at the end (or the stack's final height) is still there."""
    left = np.flatnonzero(emptied_by < 0)
    last = ends[np.searchsorted(ends, pushed_by[left], side="left")]
    highest = _run_ends(last)
    top = base.gather(np.append(left[1:], left[:1])).scatter(
        np.flatnonzero(highest), stack.after.gather(last[highest])
    )
    remaining = _int128(np.zeros(len(lot_qty), dtype=np.int64))
    remaining.scatter(lot[left], top - base.gather(left))
    given = (lot_qty - remaining).to_frame("given")
    pushed = np.zeros(len(lot_qty), dtype=bool)
    pushed[lot] = True
    return given.select(pl.when(pl.Series(pushed)).then("given").otherwise(0).cast(pl.Int128)).to_series()
