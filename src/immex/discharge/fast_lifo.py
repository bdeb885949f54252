"""LIFO (UEPS) on the columnar reader: ``immex discharge --method lifo`` without the per-row reader.

The FIFO engine's columnar pipeline (:func:`immex.discharge.fast.discharge_frames`:
read and validate with Polars, BOM exploded once per product and period,
fixed-point integers at one scale and width, output columns gathered and
written by Polars) is the same for LIFO; only the consumption differs. This
module supplies that step with the signature of
:func:`immex.discharge.fast.fifo_columns`: for each requirement, in discharge
order, the newest lots of its part cleared on or before its export date
first (a stack per part, :func:`immex.discharge.fast_methods.lifo`). The loop
runs on plain Python integers (exact at any width); the results are handed
back in the requirement's own width (int64 arrays, Int128 series or Python
integers), so formatting, totals and balances are the FIFO engine's.

Tested equal to the domain engine (``discharge(ledger, "lifo")``) on random
ledgers read from CSV in pounds, grams and boxes through several BOM levels
(``tests/discharge_fast/test_fast_lifo.py``).
"""

from __future__ import annotations

from immex.discharge.fast import Big, FifoColumns, Ints
from immex.discharge.fast_methods import lifo, part_starts, walked_columns


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
    del wide  # no running sums here: every value is at most a lot's or a requirement's quantity
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
