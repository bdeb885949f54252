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

from typing import Any

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
    line; ``req_named``: the import pedimento each requirement's export line names, "" for none)."""
    del wide  # no running sums here: every value is at most a lot's or a requirement's quantity
    lot_codes, named_codes = _codes(lot_pedimento, req_named)
    part, lots_of_part, starts = req_part.tolist(), lot_part.tolist(), part_starts(lot_part, n_parts)
    return walked_columns(
        lambda hi, needs, quantities: directed(
            part, hi, needs, quantities, lots_of_part, lot_codes, named_codes, starts
        ),
        lot_part,
        lot_day,
        lot_qty,
        req_part,
        req_day,
        req_qty,
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
