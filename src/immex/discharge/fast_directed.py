"""The directed discharge on the columnar reader: ``immex discharge --method directed`` without the
per-row reader.

Directed discharge (:func:`immex.discharge.methods.discharge` with ``"directed"``)
takes, for an export line that names an import pedimento (``import_pedimento``
in exports.csv), only that pedimento's lots of each part, FIFO among them; an
export line that names none is discharged FIFO over all the part's lots. As
for LIFO (:mod:`immex.discharge.fast_lifo`) everything but the consumption is
the FIFO engine's columnar pipeline (:func:`immex.discharge.fast.discharge_frames`,
called with ``pedimentos=True`` so that the lots' pedimentos and the names
reach this step).

A named requirement whose pedimento has no lot of its part takes nothing (it is
short). A part whose other requirements all name a pedimento, or none does, is
FIFO over groups of lots, on the vectorized FIFO engine. A part where both kinds
meet ("mixed") rests on two facts of the domain walk, both because every take
is from the oldest lots still holding something of its set (the part, or one
pedimento's lots of it, which keep the part's FIFO order):

* each pedimento's lots of a part are consumed as a prefix, in FIFO order; so a
  named requirement starts where the later of two fronts stands: the end of the
  last named take on that pedimento, or how far the unnamed requirements have
  consumed the part (their level);
* what a named requirement takes lies beyond the unnamed level of its moment,
  so the unnamed requirements take, in all, exactly FIFO over the lots less
  everything the named ones take (whenever they take it).

So a short loop over the named requirements of mixed parts (with their pedimento
in stock) finds what each takes, the unnamed level between two of them following
from sums of the unnamed requirements' quantities (one per run of equal export
date); then one vectorized FIFO lays the unnamed requirements over what is left.
Exact integers throughout (int64, Int128 sums, Python integers). Tested equal to
the sequential walk (:func:`immex.discharge.fast_methods.directed`) and to the
domain engine (``tests/discharge_fast/test_fast_directed*.py``).

Parts are independent under directed discharge too (a requirement only takes
its own part's lots), so the partitioned and Dask engines run it by part ranges.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import numpy as np
import polars as pl

from immex.discharge.fast import Big, FifoColumns, Ints, fifo_columns
from immex.discharge.fast_lifo import lifo_columns
from immex.discharge.fast_methods import lots_cleared, part_starts


def directed_columns(
    lot_part: Ints,
    lot_day: Ints,
    lot_qty: Ints | Big,
    req_part: Ints,
    req_day: Ints,
    req_qty: Ints | Big,
    n_parts: int,
    wide: bool = False,
    *,
    lot_pedimento: pl.Series,
    req_named: pl.Series,
) -> FifoColumns:
    """Directed allocations and shortfalls of the requirements (lots sorted by part, date, pedimento,
    line; ``req_named``: the import pedimento each requirement's export line names, "" for none).

    Parts whose requirements all name a pedimento with lots of the part, or none
    does, run as FIFO over groups of lots; the parts where both kinds meet as
    :func:`_mixed`.
    """
    lot_codes, named_codes = _codes(lot_pedimento, req_named)
    named_codes = _without_lots(lot_part, lot_codes, req_part, named_codes)
    mixed = (np.bincount(req_part[named_codes > 0], minlength=n_parts) > 0) & (
        np.bincount(req_part[named_codes == 0], minlength=n_parts) > 0
    )
    lots = _Lots(lot_part, lot_day, lot_qty, lot_codes)
    reqs = _Lots(req_part, req_day, req_qty, named_codes)
    if not mixed.any():
        return _grouped_fifo(lots, reqs, n_parts, wide)
    if mixed.all():
        return _mixed(lots, reqs, n_parts, wide)
    lot_mixed, req_mixed = mixed[lot_part], mixed[req_part]
    return _merged(
        (
            _grouped_fifo(lots.subset(~lot_mixed), reqs.subset(~req_mixed), n_parts, wide),
            np.flatnonzero(~req_mixed),
            np.flatnonzero(~lot_mixed),
        ),
        (
            _mixed(lots.subset(lot_mixed), reqs.subset(req_mixed), n_parts, wide),
            np.flatnonzero(req_mixed),
            np.flatnonzero(lot_mixed),
        ),
        len(lot_part),
    )


def _without_lots(lot_part: Ints, lot_codes: Ints, req_part: Ints, named_codes: Ints) -> Ints:
    """The named codes with -1 where the part has no lot of the named pedimento (it takes nothing)."""
    width = max(int(lot_codes.max(initial=0)), int(named_codes.max(initial=0))) + 1
    named = np.flatnonzero(named_codes > 0)
    keys, stock = (
        pl.Series(req_part[named] * width + named_codes[named]),
        pl.Series(lot_part * width + lot_codes),
    )
    stocked = keys.is_in(stock.implode()).to_numpy()  # a hash set: ~10x NumPy's sorting isin here
    codes = named_codes.copy()
    codes[named[~stocked]] = -1
    return codes


@dataclass(frozen=True, slots=True)
class _Lots:
    """Lots (or requirements): part, day, quantity and pedimento code (0: none named)."""

    part: Ints
    day: Ints
    qty: Ints | Big
    code: Ints

    def subset(self, rows: Ints) -> _Lots:
        return _Lots(self.part[rows], self.day[rows], _take(self.qty, np.flatnonzero(rows)), self.code[rows])


def _take(values: Ints | Big, rows: Ints) -> Ints | Big:
    return values.gather(rows) if isinstance(values, pl.Series) else values[rows]


def _concat(first: Ints | Big, second: Ints | Big) -> Ints | Big:
    if isinstance(first, pl.Series) and isinstance(second, pl.Series):
        return pl.concat([first, second], rechunk=True)
    assert isinstance(first, np.ndarray) and isinstance(second, np.ndarray)
    return np.concatenate((first, second))


def _grouped_fifo(lots: _Lots, reqs: _Lots, n_parts: int, wide: bool) -> FifoColumns:
    """FIFO over groups of lots, when no part has both named and unnamed requirements: a part's
    requirements that name a pedimento take from its (part, pedimento) group, the others from
    the whole part (one group of every pedimento's lots); code -1 (no lot of the named pedimento
    in the part): a group of its own with no lots."""
    named_part = np.zeros(n_parts, dtype=bool)
    named_part[reqs.part[reqs.code > 0]] = True
    codes = max(int(lots.code.max(initial=0)), int(reqs.code.max(initial=0))) + 2  # keys never collide
    lot_key = lots.part * codes + np.where(named_part[lots.part], lots.code + 1, 0)
    req_key = reqs.part * codes + np.where(reqs.code != 0, reqs.code + 1, 0)
    req_key = np.where(reqs.code < 0, -1 - reqs.part, req_key)  # a pedimento with no lots: its own group
    keys, group = np.unique(np.concatenate((lot_key, req_key)), return_inverse=True)
    lot_group, req_group = group[: len(lot_key)], group[len(lot_key) :]
    order = np.argsort(lot_group, kind="stable")  # FIFO order kept within a group
    out = fifo_columns(
        lot_group[order],
        lots.day[order],
        _take(lots.qty, order),
        req_group,
        reqs.day,
        reqs.qty,
        len(keys),
        wide,
    )
    back = np.empty(len(order), dtype=np.int64)
    back[order] = np.arange(len(order), dtype=np.int64)
    return FifoColumns(
        out.alloc_req,
        order[out.alloc_lot],
        out.alloc_qty,
        out.short_req,
        out.short_qty,
        _take(out.lot_discharged, back),
    )


def _merged(
    first: tuple[FifoColumns, Ints, Ints], second: tuple[FifoColumns, Ints, Ints], n_lots: int
) -> FifoColumns:
    """Two results on disjoint sets of parts as one: (result, its requirements, its lots) each;
    rows by requirement (each engine's order within one)."""
    (one, one_req, one_lot), (two, two_req, two_lot) = first, second
    alloc_req = np.concatenate((one_req[one.alloc_req], two_req[two.alloc_req]))
    rows = np.argsort(alloc_req, kind="stable")
    short_req = np.concatenate((one_req[one.short_req], two_req[two.short_req]))
    short_rows = np.argsort(short_req, kind="stable")
    lot_rows = np.empty(n_lots, dtype=np.int64)
    lot_rows[np.concatenate((one_lot, two_lot))] = np.arange(n_lots, dtype=np.int64)
    return FifoColumns(
        alloc_req[rows],
        np.concatenate((one_lot[one.alloc_lot], two_lot[two.alloc_lot]))[rows],
        _take(_concat(one.alloc_qty, two.alloc_qty), rows),
        short_req[short_rows],
        _take(_concat(one.short_qty, two.short_qty), short_rows),
        _take(_concat(one.lot_discharged, two.lot_discharged), lot_rows),
    )


def _mixed(lots: _Lots, reqs: _Lots, n_parts: int, wide: bool) -> FifoColumns:
    """Directed on parts where named and unnamed requirements meet (see the module's two facts):
    the named takes by :class:`_Part`, then the unnamed requirements FIFO over what they leave."""
    positive = _positive(reqs.qty)  # a requirement of zero takes nothing and is not short
    unnamed = reqs.code == 0
    named = positive & (reqs.code > 0)
    script = _Script.of(reqs, lots, positive & unnamed, named, n_parts)
    takes = _named_takes(script, lots, part_starts(lots.part, n_parts))
    free = np.flatnonzero(unnamed)
    rest = fifo_columns(
        lots.part,
        lots.day,
        _minus(lots.qty, takes.per_lot),
        reqs.part[free],
        reqs.day[free],
        _take(reqs.qty, free),
        n_parts,
        wide,
    )
    stockless = np.flatnonzero(positive & (reqs.code < 0))  # short of all they ask
    alloc_req = np.concatenate((free[rest.alloc_req], np.array(takes.req, dtype=np.int64)))
    rows = np.argsort(alloc_req, kind="stable")  # one kind of take per requirement, each in lot order
    short_req = np.concatenate((free[rest.short_req], np.array(takes.short_req, dtype=np.int64), stockless))
    short_rows = np.argsort(short_req, kind="stable")
    short_qty = _concat(_concat(rest.short_qty, _like(reqs.qty, takes.short_qty)), _take(reqs.qty, stockless))
    return FifoColumns(
        alloc_req[rows],
        np.concatenate((rest.alloc_lot, np.array(takes.lot, dtype=np.int64)))[rows],
        _take(_concat(rest.alloc_qty, _like(reqs.qty, takes.qty)), rows),
        short_req[short_rows],
        _take(short_qty, short_rows),
        rest.lot_discharged + _like(lots.qty, takes.per_lot),
    )


@dataclass(frozen=True, slots=True)
class _Script:
    """Per part, in discharge order: runs of unnamed requirements of one export date (one
    entry, their quantities summed) and named requirements (one entry each), as Python lists."""

    part: list[int]
    named: list[bool]
    cleared: list[int]  # one past the part's last lot cleared by the entry's date
    qty: list[int]
    req: list[int]  # a named entry's requirement
    code: list[int]  # a named entry's pedimento

    @staticmethod
    def of(reqs: _Lots, lots: _Lots, unnamed: Ints, named: Ints, n_parts: int) -> _Script:
        items = np.flatnonzero(unnamed | named)
        narrow = reqs.part[items].astype(np.int16) if n_parts < 2**15 else reqs.part[items]
        items = items[np.argsort(narrow, kind="stable")]  # by part, discharge order kept (radix sort)
        is_named, part = named[items], reqs.part[items]
        top = lots_cleared(lots.part, lots.day, part, reqs.day[items])
        new = np.ones(len(items), dtype=bool)
        new[1:] = is_named[1:] | is_named[:-1] | (part[1:] != part[:-1]) | (top[1:] != top[:-1])
        first = np.flatnonzero(new)
        last = np.append(first[1:], len(items))[: len(first)] - 1  # none when no item
        return _Script(
            part[first].tolist(),
            is_named[first].tolist(),
            top[first].tolist(),
            _run_sums(_take(reqs.qty, items), first, last),
            items[first].tolist(),
            reqs.code[items[first]].tolist(),
        )


def _run_sums(qty: Ints | Big, first: Ints, last: Ints) -> list[int]:
    """The sums of ``qty[first[k] .. last[k]]`` as Python integers (Int128 sums of int64 and
    Int128 quantities: the requirements' builder keeps every running sum below ``INT128_SAFE``)."""
    if isinstance(qty, np.ndarray) and qty.dtype == object:
        total = np.cumsum(qty)
        sums: list[int] = (total[last] - total[first] + qty[first]).tolist()
        return sums
    values = qty if isinstance(qty, pl.Series) else pl.Series(qty, dtype=pl.Int64).cast(pl.Int128)
    running = values.cum_sum()
    wide: list[int] = (running.gather(last) - running.gather(first) + values.gather(first)).to_list()
    return wide


@dataclass(slots=True)
class _Takes:
    """What the named requirements take (requirement, lot, quantity), their shortfalls, and the
    total taken from each lot."""

    per_lot: list[int]
    req: list[int] = field(default_factory=list)
    lot: list[int] = field(default_factory=list)
    qty: list[int] = field(default_factory=list)
    short_req: list[int] = field(default_factory=list)
    short_qty: list[int] = field(default_factory=list)


def _named_takes(script: _Script, lots: _Lots, starts: list[int]) -> _Takes:
    """Run the script part by part: unnamed runs move the part's unnamed level, named
    requirements take from their pedimento's lots (:class:`_Part`)."""
    qty = [max(q, 0) for q in _to_list(lots.qty)]  # an empty (or negative) lot gives nothing
    position = [0, *accumulate(qty)]  # where each lot starts on the part's line of units
    codes = lots.code.tolist()
    takes = _Takes([0] * len(qty))
    part: _Part | None = None
    for p, is_named, top, need, r, code in zip(
        script.part, script.named, script.cleared, script.qty, script.req, script.code, strict=True
    ):
        if part is None or part.id != p:
            part = _Part(p, starts, position, qty, codes)
        if not is_named:
            part.unnamed(top, need)
            continue
        missing = part.named(top, need, code, r, takes)
        if missing > 0:
            takes.short_req.append(r)
            takes.short_qty.append(missing)
    return takes


@dataclass(slots=True)
class _Group:
    """One pedimento's lots of a part, in FIFO order: lot indices, their positions on the part's
    line of units, and running sums of their quantities (``total[k]``: before the k-th)."""

    lots: list[int] = field(default_factory=list)
    position: list[int] = field(default_factory=list)
    total: list[int] = field(default_factory=lambda: [0])


class _Part:
    """One part's consumption state on its line of units (its lots end to end, FIFO order).

    Everything before the unnamed level is consumed; beyond it lie the holes the named
    takes cut (sorted; those before ``passed`` lie below the level). ``taken`` is the
    unnamed total, ``named_taken`` the named one; ``end`` per pedimento code: how far
    (on that pedimento's own running sums) named takes have consumed it.
    """

    __slots__ = (
        "end",
        "groups",
        "holes",
        "id",
        "named_taken",
        "origin",
        "passed",
        "position",
        "skipped",
        "taken",
    )

    def __init__(
        self, part: int, starts: list[int], position: list[int], qty: list[int], codes: list[int]
    ) -> None:
        self.id, self.position, self.origin = part, position, position[starts[part]]
        self.groups: dict[int, _Group] = {}
        for i in range(starts[part], starts[part + 1]):
            group = self.groups.setdefault(codes[i], _Group())
            group.lots.append(i)
            group.position.append(position[i])
            group.total.append(group.total[-1] + qty[i])
        self.taken = self.named_taken = self.skipped = self.passed = 0
        self.holes: list[tuple[int, int]] = []
        self.end: dict[int, int] = {}

    def unnamed(self, top: int, need: int) -> None:
        """A run of unnamed requirements (one export date) asking ``need`` in all: FIFO, so they
        take what they ask up to what the lots cleared by then hold beside the named takes
        (every named take so far lies among those lots: dates only grow)."""
        self.taken = min(self.taken + need, self.position[top] - self.origin - self.named_taken)

    def level(self) -> int:
        """The unnamed level on the line of units: its total plus the holes below it."""
        at = self.origin + self.taken + self.skipped
        while self.passed < len(self.holes) and self.holes[self.passed][0] < at:
            self.skipped += self.holes[self.passed][1]
            self.passed += 1
            at = self.origin + self.taken + self.skipped
        return at

    def named(self, top: int, need: int, code: int, req: int, takes: _Takes) -> int:
        """A requirement naming pedimento ``code``: FIFO over that pedimento's lots cleared by
        ``top``, from the later of its named end and the unnamed level. Returns what is missing."""
        group, level = self.groups[code], self.level()
        k = bisect_right(group.position, level) - 1
        below = 0 if k < 0 else min(group.total[k] + level - group.position[k], group.total[k + 1])
        start = max(self.end.get(code, 0), below)
        amount = min(need, group.total[bisect_left(group.lots, top)] - start)
        if amount <= 0:
            return need
        self.end[code] = start + amount
        self.named_taken += amount
        self._cut(group, start, amount, req, takes)
        return need - amount

    def _cut(self, group: _Group, start: int, amount: int, req: int, takes: _Takes) -> None:
        """Take ``amount`` of the group from ``start`` on (lot by lot) and cut the holes."""
        k = bisect_right(group.total, start) - 1
        while amount > 0:
            piece = min(group.total[k + 1] - start, amount)
            if piece > 0:
                lot = group.lots[k]
                takes.req.append(req)
                takes.lot.append(lot)
                takes.qty.append(piece)
                takes.per_lot[lot] += piece
                insort(self.holes, (group.position[k] + start - group.total[k], piece), lo=self.passed)
                start += piece
                amount -= piece
            k += 1


def _positive(qty: Ints | Big) -> Ints:
    if isinstance(qty, pl.Series):
        return (qty > 0).to_numpy()
    return np.asarray(qty > 0, dtype=bool)


def _to_list(values: Ints | Big) -> list[int]:
    return values.to_list() if isinstance(values, pl.Series) else [int(v) for v in values.tolist()]


def _like(values: Ints | Big, ints: list[int]) -> Ints | Big:
    """``ints`` as a column of the width of ``values`` (Int128 series, int64 or object array)."""
    if isinstance(values, pl.Series):
        return pl.Series(ints, dtype=pl.Int128)
    return np.array(ints, dtype=object if values.dtype == object else np.int64)


def _minus(values: Ints | Big, ints: list[int]) -> Ints | Big:
    return values - _like(values, ints)


def _codes(lot_pedimento: pl.Series, req_named: pl.Series) -> tuple[Ints, Ints]:
    """Pedimentos as integers: 1, 2, ... for the lots' pedimentos, 0 for "none named", -1 for a
    named pedimento no lot has (its requirements stay short)."""
    table = {"": 0} | {ped: k + 1 for k, ped in enumerate(lot_pedimento.unique(maintain_order=True))}
    lots = lot_pedimento.replace_strict(table, return_dtype=pl.Int64).to_numpy()
    named = req_named.fill_null("").replace_strict(table, default=-1, return_dtype=pl.Int64).to_numpy()
    return lots, named


def consumption(method: str) -> dict[str, Any]:
    """The keyword arguments of :func:`immex.discharge.fast.discharge_frames` that run ``method``
    (its consumption step; directed also needs the pedimentos)."""
    if method == "fifo":
        return {"consume": fifo_columns}
    if method == "lifo":
        return {"consume": lifo_columns}
    if method == "directed":
        return {"consume": directed_columns, "pedimentos": True}
    raise ValueError(f"no columnar engine for the {method!r} method")
