"""LIFO (UEPS) and directed discharge on exact integers: the domain version's results, much faster.

The specification is :func:`immex.discharge.methods.discharge` with method
``"lifo"`` or ``"directed"`` (tested equal on random ledgers in
``tests/discharge_fast``). Everything that does not depend on the order of
consumption is done as in the FIFO engine (:mod:`immex.discharge.fast`):
the BOM is exploded once per product and BOM period, quantities become
fixed-point integers at one scale, lots are sorted and numbered, and the
lots cleared by each requirement's date are found by one ``searchsorted``.

What remains is a single pass over the requirements in discharge order on
plain Python integers (exact at any width, no Decimal contexts), because
under these methods a requirement's lots depend on what earlier ones left.
For LIFO that pass is the specification and the path for quantities beyond
Int128: :func:`discharge_fast_method` runs the vectorized stack of
:mod:`immex.discharge.fast_lifo`, tested equal to it.

* **LIFO** takes the newest lots cleared on or before the export date first.
  Per part that is a stack: lots are pushed (in FIFO order) as the export
  dates reach them, and requirements take from the top. Each lot is pushed
  and emptied at most once.
* **Directed** takes only the lots of the pedimento the export line names
  (FIFO within it), or FIFO over all the part's lots when none is named.
  Lots emptied by one kind of requirement are skipped by the other through
  "next lot with something left" pointers with path compression, so no lot
  is scanned again and again (the domain version rescans them).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from immex.discharge.fast import (
    Big,
    FifoColumns,
    Ints,
    LedgerColumns,
    _to_list,
    discharge_fast,
    domain_result,
    ledger_columns,
)
from immex.discharge.methods import DischargeResult
from immex.ledger.model import Ledger

VECTORIZED_METHODS = ("fifo", "lifo", "directed")


def discharge_fast_method(ledger: Ledger, method: str) -> DischargeResult:
    """Exactly ``immex.discharge.methods.discharge(ledger, method)`` for FIFO, LIFO and directed."""
    if method == "fifo":
        return discharge_fast(ledger)
    if method not in ("lifo", "directed"):
        raise ValueError(f"no fast engine for the {method!r} method")
    columns = ledger_columns(ledger)
    req = columns.req
    if method == "lifo":
        from immex.discharge.fast_lifo import lifo_columns  # here: fast_lifo builds on this module

        day = columns.export_day[req.export] if len(req.export) else req.export
        columns_taken = lifo_columns(
            columns.lot_part, columns.lot_day, req.lot_qty, req.part, day, req.qty, len(columns.names)
        )
        return domain_result(ledger, columns, columns_taken)
    hi = _lots_cleared(columns)
    taken = _directed(columns, req.part.tolist(), hi.tolist(), _to_list(req.qty), _to_list(req.lot_qty))
    return domain_result(ledger, columns, taken)


def part_starts(lot_part: Ints, n_parts: int) -> list[int]:
    """Index of each part's first lot (lots are sorted by part id), one more at the end."""
    edges = np.searchsorted(lot_part, np.arange(n_parts + 1), side="left")
    return [int(v) for v in edges.tolist()]


def _lots_cleared(columns: LedgerColumns) -> Ints:
    req = columns.req
    return lots_cleared(columns.lot_part, columns.lot_day, req.part, columns.export_day[req.export])


def lots_cleared(lot_part: Ints, lot_day: Ints, req_part: Ints, day: Ints) -> Ints:
    """Per requirement: one past the last lot of its part cleared on or before its export date
    (lots sorted by part, then date)."""
    if not len(req_part):
        return np.zeros(0, dtype=np.int64)
    low = int(min(day.min(), lot_day.min(initial=int(day.min()))))
    high = int(max(day.max(), lot_day.max(initial=int(day.max()))))
    span = high - low + 1
    lot_cell = lot_part.astype(np.int64) * span + (lot_day.astype(np.int64) - low)
    wanted = req_part.astype(np.int64) * span + (day.astype(np.int64) - low)
    cleared: Ints = np.searchsorted(lot_cell, wanted, side="right")
    return cleared


class Taken:
    """Allocations (requirement, lot, qty) and shortfalls (requirement, qty) in output order."""

    def __init__(self) -> None:
        self.req: list[int] = []
        self.lot: list[int] = []
        self.qty: list[int] = []
        self.short_req: list[int] = []
        self.short_qty: list[int] = []

    def columns(self, lots: int) -> FifoColumns:
        def ints(values: list[int]) -> Ints:
            return np.array(values, dtype=np.int64)

        def quantities(values: list[int]) -> Ints:
            return np.array(values, dtype=object)  # Python ints: exact at any width

        return FifoColumns(
            ints(self.req),
            ints(self.lot),
            quantities(self.qty),
            ints(self.short_req),
            quantities(self.short_qty),
            np.zeros(lots, dtype=np.int64),  # per-lot totals: the caller computes balances itself
        )


# A sequential consumption on plain integers: (lots cleared per requirement, requirement
# quantities, lot quantities) -> what was taken and what each lot has left.
Walk = Callable[[list[int], list[int], list[int]], tuple[Taken, list[int]]]


def walked_columns(
    walk: Walk,
    lot_part: Ints,
    lot_day: Ints,
    lot_qty: Ints | Big,
    req_part: Ints,
    req_day: Ints,
    req_qty: Ints | Big,
) -> FifoColumns:
    """The columns of :func:`immex.discharge.fast.fifo_columns` from a sequential consumption
    (:func:`lifo`, :func:`directed`), quantities in the inputs' own integer width (int64 arrays,
    Int128 series or Python integers), so formatting, totals and balances are the FIFO engine's."""
    hi = lots_cleared(lot_part, lot_day, req_part, req_day)
    quantities = _to_list(lot_qty)
    taken, left = walk(hi.tolist(), _to_list(req_qty), quantities)
    like = _width_of(req_qty)
    return FifoColumns(
        np.array(taken.req, dtype=np.int64),
        np.array(taken.lot, dtype=np.int64),
        like(taken.qty),
        np.array(taken.short_req, dtype=np.int64),
        like(taken.short_qty),
        _width_of(lot_qty)([q - rest for q, rest in zip(quantities, left, strict=True)]),
    )


def _width_of(values: Ints | Big) -> Callable[[list[int]], Ints | Big]:
    """A maker of columns of the same integer width as ``values`` (the FIFO engine's formats)."""
    if isinstance(values, pl.Series):
        return lambda ints: pl.Series(ints, dtype=pl.Int128)
    dtype = object if values.dtype == object else np.int64
    return lambda ints: np.array(ints, dtype=dtype)


def lifo(
    part: Sequence[int], hi: Sequence[int], needs: Sequence[int], lot_qty: Sequence[int], starts: list[int]
) -> tuple[Taken, list[int]]:
    """Newest first among the part's lots ``[start, hi)`` with something left (a stack per part).

    Returns what was taken and what each lot has left.
    """
    left = list(lot_qty)
    pushed = starts[:-1]  # per part: the next lot not yet on its stack
    stacks: list[list[int]] = [[] for _ in pushed]
    out = Taken()
    for r, (p, top, need) in enumerate(zip(part, hi, needs, strict=True)):
        if need <= 0:
            continue
        stack = stacks[p]
        if top > pushed[p]:  # lots newly cleared by this export date (empty ones are never taken)
            stack.extend([i for i in range(pushed[p], top) if left[i] > 0])
            pushed[p] = top
        while need > 0 and stack:
            i = stack[-1]
            qty = min(left[i], need)
            left[i] -= qty
            need -= qty
            out.req.append(r)
            out.lot.append(i)
            out.qty.append(qty)
            if left[i] == 0:
                stack.pop()
        if need > 0:
            out.short_req.append(r)
            out.short_qty.append(need)
    return out, left


def _find(following: list[int], i: int) -> int:
    """The first position at or after ``i`` not yet emptied (path compression)."""
    root = i
    while following[root] != root:
        root = following[root]
    while following[i] != root:
        following[i], i = root, following[i]
    return root


def _directed(
    columns: LedgerColumns,
    part: Sequence[int],
    hi: Sequence[int],
    needs: Sequence[int],
    lot_qty: Sequence[int],
) -> FifoColumns:
    """FIFO within the named pedimento's lots of the part, or over all of them when none is named."""
    named_of_export = [export.import_pedimento for export in columns.exports]
    taken, _left = directed(
        part,
        hi,
        needs,
        lot_qty,
        columns.lot_part.tolist(),
        [lot.pedimento for lot in columns.lots],
        [named_of_export[e] for e in columns.req.export.tolist()],
        part_starts(columns.lot_part, len(columns.names)),
    )
    return taken.columns(len(lot_qty))


def directed(
    part: Sequence[int],
    hi: Sequence[int],
    needs: Sequence[int],
    lot_qty: Sequence[int],
    lot_part: Sequence[int],
    lot_pedimento: Sequence[Hashable],
    named: Sequence[Hashable],
    starts: list[int],
) -> tuple[Taken, list[int]]:
    """The directed consumption, requirements in discharge order, lots sorted by part (FIFO within).

    A requirement takes its part's lots ``[start, hi)`` whose pedimento is ``named`` (FIFO
    among them), or all of them when ``named`` is falsy (no pedimento named). Pedimentos are
    any hashable values (text, or integer codes with 0 for none); a named pedimento with no
    lot of the part leaves the requirement short. Returns what was taken and what each lot has left.
    """
    n = len(lot_qty)
    grouped, group, position = _lot_groups(lot_part, lot_pedimento)
    left = [max(q, 0) for q in lot_qty]  # an empty (or negative) lot is never taken
    # following[i] = i while lot i has something left; else points further on (sentinel at n).
    by_lot = [i if left[i] > 0 else i + 1 for i in range(n)] + [n]
    by_group = [k if left[grouped[k]] > 0 else k + 1 for k in range(n)] + [n]
    out = Taken()

    def take(r: int, i: int, need: int) -> int:
        qty = min(left[i], need)
        left[i] -= qty
        out.req.append(r)
        out.lot.append(i)
        out.qty.append(qty)
        if left[i] == 0:
            by_lot[i] = i + 1
            by_group[position[i]] = position[i] + 1
        return need - qty

    for r, (p, top, need, name) in enumerate(zip(part, hi, needs, named, strict=True)):
        if need <= 0:
            continue
        if not name:
            i = _find(by_lot, starts[p])
            while need > 0 and i < top:
                need = take(r, i, need)
                i = _find(by_lot, i)
        elif (span := group.get((p, name))) is not None:
            k = _find(by_group, span[0])
            while need > 0 and k < span[1] and grouped[k] < top:
                need = take(r, grouped[k], need)
                k = _find(by_group, k)
        if need > 0:
            out.short_req.append(r)
            out.short_qty.append(need)
    return out, left


def _lot_groups(
    lot_part: Sequence[int], lot_pedimento: Sequence[Hashable]
) -> tuple[list[int], dict[tuple[int, Hashable], tuple[int, int]], list[int]]:
    """The lots grouped by (part, pedimento), FIFO within a group: the lots in group order, each
    group's [first, one past last] position in it, and each lot's position."""
    members: dict[tuple[int, Hashable], list[int]] = {}
    for i, key in enumerate(zip(lot_part, lot_pedimento, strict=True)):
        members.setdefault(key, []).append(i)
    grouped: list[int] = []
    group: dict[tuple[int, Hashable], tuple[int, int]] = {}
    for key, lots in members.items():
        group[key] = (len(grouped), len(grouped) + len(lots))
        grouped.extend(lots)
    position = [0] * len(grouped)
    for k, i in enumerate(grouped):
        position[i] = k
    return grouped, group, position


SEARCH_BLOCK = 64  # values per block of :func:`first_at_most`
SEARCH_CHUNK = 1 << 15  # queries handled at once (each gathers two blocks of values)


def first_at_most(values: npt.NDArray[np.float64], start: Ints, limit: npt.NDArray[np.float64]) -> Ints:
    """Per query, the first position ``p >= start`` with ``values[p] <= limit`` (one must exist,
    for example a ``-inf`` at the end).

    The values are cut into blocks of ``SEARCH_BLOCK``; a query looks in its own
    block from ``start`` on, then finds the first later block whose minimum is at
    most its limit by binary lifting on a sparse table of block minima (windows
    of 1, 2, 4, ... blocks), and looks in that block. Memory: the block minima
    times their logarithm, and two blocks per query in chunks of ``SEARCH_CHUNK``.
    """
    size = -(-len(values) // SEARCH_BLOCK) * SEARCH_BLOCK
    padded = np.full(size, -np.inf)
    padded[: len(values)] = values
    blocks = padded.reshape(-1, SEARCH_BLOCK)
    windows = [blocks.min(axis=1)]  # windows[j][b]: the minimum of blocks b .. b + 2**j - 1
    while 2 ** len(windows) <= len(blocks):
        half = 2 ** (len(windows) - 1)
        windows.append(np.minimum(windows[-1][:-half], windows[-1][half:]))
    found = np.empty(len(start), dtype=np.int64)
    for low in range(0, len(start), SEARCH_CHUNK):
        chunk = slice(low, low + SEARCH_CHUNK)
        found[chunk] = _first_at_most(blocks, windows, start[chunk], limit[chunk])
    return found


def _first_at_most(
    blocks: npt.NDArray[np.float64], windows: list[npt.NDArray[np.float64]], start: Ints, limit: Ints
) -> Ints:
    block, offset = np.divmod(start, SEARCH_BLOCK)
    column = np.arange(SEARCH_BLOCK)
    here = (blocks[block] <= limit[:, None]) & (column >= offset[:, None])
    found = np.where(here.any(axis=1), block * SEARCH_BLOCK + here.argmax(axis=1), -1)
    later = np.flatnonzero(found < 0)
    if not len(later):
        return found
    at, below = block[later] + 1, limit[later]
    for level in range(len(windows) - 1, -1, -1):  # skip whole windows above the limit
        width = 2**level
        fits = at + width <= len(blocks)
        skip = np.zeros(len(at), dtype=bool)
        skip[fits] = windows[level][at[fits]] > below[fits]
        at[skip] += width
    there = blocks[at] <= below[:, None]
    found[later] = at * SEARCH_BLOCK + there.argmax(axis=1)
    return found
