"""Sub-maquila: goods sent to a sub-maquiladora and received back, per shipment and part.

Goods at a sub-maquiladora still belong to the import lots they came from
and keep their deadlines, so a shipment never changes allocations,
shortfalls or balances: this module only reports what is out. The input
(``submaquila.csv``) is read and checked by :mod:`immex.ledger.movements`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from immex.core.numbers import EXACT
from immex.core.table_files import write_csv
from immex.ledger.movements import SubmaquilaMove

SUBMAQUILA_CSV = "submaquila.csv"
SUBMAQUILA_HEADER = ("shipment", "part", "qty_out", "qty_in", "qty_outstanding", "first_out", "days_out")


@dataclass(frozen=True, slots=True)
class ShipmentPart:
    """One part of one shipment: sent, received back, still out; days since it first went out."""

    shipment: str
    part: str
    qty_out: Decimal
    qty_in: Decimal
    qty_outstanding: Decimal
    first_out: dt.date
    days_out: int


def shipment_parts(moves: Iterable[SubmaquilaMove], as_of: dt.date) -> list[ShipmentPart]:
    """Per (shipment, part) in that order; ``days_out`` counts to ``as_of`` even once all came back.

    Every ``in`` follows an ``out`` of its shipment and part (the reader refuses
    one that does not), so each group has a first ``out``.
    """
    sent: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    received: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    first: dict[tuple[str, str], dt.date] = {}
    for move in moves:
        key = (move.shipment, move.part)
        if move.direction == "out":
            sent[key] = EXACT.add(sent[key], move.qty)
            first[key] = min(first.get(key, move.date), move.date)
        else:
            received[key] = EXACT.add(received[key], move.qty)
    return [
        ShipmentPart(
            shipment,
            part,
            sent[(shipment, part)],
            received[(shipment, part)],
            EXACT.subtract(sent[(shipment, part)], received[(shipment, part)]),
            first[(shipment, part)],
            (as_of - first[(shipment, part)]).days,
        )
        for shipment, part in sorted(first)
    ]


def write_submaquila_csv(folder: Path, rows: Iterable[ShipmentPart]) -> int:
    """``submaquila.csv`` of the output folder; the number of rows written."""
    cells = (
        (r.shipment, r.part, r.qty_out, r.qty_in, r.qty_outstanding, r.first_out, r.days_out) for r in rows
    )
    return write_csv(folder / SUBMAQUILA_CSV, SUBMAQUILA_HEADER, cells, spreadsheet_safe=False)
