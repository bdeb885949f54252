"""The directed discharge on the columnar reader: ``immex discharge --method directed`` without the
per-row reader.

Directed discharge (:func:`immex.discharge.methods.discharge` with ``"directed"``)
takes, for an export line that names an import pedimento (``import_pedimento``
in exports.csv), only that pedimento's lots of each part, FIFO among them; an
export line that names none is discharged FIFO over all the part's lots. As
for LIFO (:mod:`immex.discharge.fast_lifo`) everything but the consumption is
the FIFO engine's columnar pipeline (:func:`immex.discharge.fast.discharge_frames`,
called with ``pedimentos=True`` so that the lots' pedimentos and the names
reach this step). The consumption is :func:`immex.discharge.fast_methods.directed`
on plain Python integers, the pedimentos as small integer codes; the results are
handed back in the requirements' own integer width.

Parts are independent under directed discharge too (a requirement only takes
its own part's lots), so the partitioned and Dask engines run it by part ranges.
Tested equal to the domain engine on random ledgers written in pounds, grams
and boxes through several BOM levels (``tests/discharge_fast/test_fast_directed.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from immex.discharge.fast import Big, FifoColumns, Ints, fifo_columns
from immex.discharge.fast_lifo import lifo_columns
from immex.discharge.fast_methods import directed, part_starts, walked_columns


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

    A part whose requirements all name a pedimento, or none does, is FIFO over
    groups of lots: (part, pedimento) in the first case, the part in the second;
    those parts run on the vectorized FIFO engine at once. Only parts where both
    kinds meet (a requirement that names none takes the oldest lot of any
    pedimento, so it moves where the named ones start) take the sequential walk.
    """
    lot_codes, named_codes = (np.array(codes, dtype=np.int64) for codes in _codes(lot_pedimento, req_named))
    named = named_codes != 0
    mixed = (np.bincount(req_part[named], minlength=n_parts) > 0) & (
        np.bincount(req_part[~named], minlength=n_parts) > 0
    )
    lots = _Lots(lot_part, lot_day, lot_qty, lot_codes)
    reqs = _Lots(req_part, req_day, req_qty, named_codes)
    if not mixed.any():
        return _grouped_fifo(lots, reqs, n_parts, wide)
    if mixed.all():
        return _walked(lots, reqs, n_parts)
    lot_walked, req_walked = mixed[lot_part], mixed[req_part]
    return _merged(
        (
            _grouped_fifo(lots.subset(~lot_walked), reqs.subset(~req_walked), n_parts, wide),
            np.flatnonzero(~req_walked),
            np.flatnonzero(~lot_walked),
        ),
        (
            _walked(lots.subset(lot_walked), reqs.subset(req_walked), n_parts),
            np.flatnonzero(req_walked),
            np.flatnonzero(lot_walked),
        ),
        len(lot_part),
    )


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


def _walked(lots: _Lots, reqs: _Lots, n_parts: int) -> FifoColumns:
    """The sequential directed walk (:func:`immex.discharge.fast_methods.directed`)."""
    part, lots_of_part = reqs.part.tolist(), lots.part.tolist()
    starts = part_starts(lots.part, n_parts)
    lot_codes, named_codes = lots.code.tolist(), reqs.code.tolist()
    return walked_columns(
        lambda hi, needs, quantities: directed(
            part, hi, needs, quantities, lots_of_part, lot_codes, named_codes, starts
        ),
        lots.part,
        lots.day,
        lots.qty,
        reqs.part,
        reqs.day,
        reqs.qty,
    )


def _grouped_fifo(lots: _Lots, reqs: _Lots, n_parts: int, wide: bool) -> FifoColumns:
    """FIFO over groups of lots, when no part has both named and unnamed requirements: a part's
    requirements that name a pedimento take from its (part, pedimento) group, the others from
    the whole part (one group of every pedimento's lots)."""
    named_part = np.zeros(n_parts, dtype=bool)
    named_part[reqs.part[reqs.code != 0]] = True
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


def _codes(lot_pedimento: pl.Series, req_named: pl.Series) -> tuple[list[int], list[int]]:
    """Pedimentos as integers: 1, 2, ... for the lots' pedimentos, 0 for "none named", -1 for a
    named pedimento no lot has (its requirements stay short)."""
    table = {"": 0} | {ped: k + 1 for k, ped in enumerate(lot_pedimento.unique(maintain_order=True))}
    lots = lot_pedimento.replace_strict(table, return_dtype=pl.Int64).to_list()
    named = req_named.fill_null("").replace_strict(table, default=-1, return_dtype=pl.Int64).to_list()
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
