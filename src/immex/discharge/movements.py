"""Sub-maquila and waste in a discharge run: read beside the ledger, stored, reported.

The discharge use case (:mod:`immex.discharge.service`) calls these at three
points, the same on every path:

1. after reading the ledger: :func:`read_movements` (its problems join the
   ledger's, so every input error is listed in one pass);
2. once the allocations are known and before anything is committed or put in
   place: :func:`movement_outputs` (in memory), :func:`stored_movement_outputs`
   (``--db``: merges the movements into the store in the run's transaction)
   or :func:`folder_movement_outputs` (the vectorized engines: the
   ``allocations.csv`` just written, read back). Disposing of more waste than
   the exports generated raises :class:`~immex.core.problems.InputError`
   there, so the transaction rolls back and the output folder is not put in
   place;
3. :func:`write_movement_outputs` writes ``submaquila.csv`` (when the input
   had one) and ``waste.csv`` (when an allocation has waste or the input had
   a ``waste.csv``) into the output folder.

A folder without ``submaquila.csv``, ``waste.csv`` and desperdicio gets
exactly the files it got before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from immex.core.problems import InputError
from immex.discharge.methods import Allocation, DischargeResult
from immex.discharge.submaquila import ShipmentPart, shipment_parts, write_submaquila_csv
from immex.discharge.waste import (
    AllocatedQty,
    WasteRatios,
    WasteRow,
    generated_waste,
    waste_rows,
    write_waste_csv,
)
from immex.ledger.frames import LedgerFrames
from immex.ledger.model import Ledger
from immex.ledger.movements import MOVEMENT_TABLES, Movements, MovementsRead, read_movements
from immex.ledger.movements_orm import load_movements, store_movements
from immex.ledger.read import read_ledger, source_files

__all__ = [
    "MovementOutputs",
    "folder_movement_outputs",
    "movement_outputs",
    "read_movements",
    "read_movements_beside_frames",
    "stored_movement_outputs",
    "write_movement_outputs",
]

@dataclass(frozen=True, slots=True)
class MovementOutputs:
    """What goes into the output folder; None: that file is not written."""

    submaquila: list[ShipmentPart] | None = None
    waste: list[WasteRow] | None = None


def read_movements_beside_frames(source: Path) -> MovementsRead | None:
    """The movement files of a folder the columnar reader accepted; None when one has a problem.

    Without movement files nothing more is read. With them, the parts and unit
    conversions are read again by the per-row reader (small files): a problem
    sends the run to the per-row path, which reports it with the ledger's.
    """
    if not source.is_dir():
        return None
    present, problems = source_files(source, MOVEMENT_TABLES)
    if problems:
        return None
    if not present:
        return MovementsRead(Movements())
    units = read_ledger(source, required=(), files=("parts.csv", "uom_conversions.csv"))
    if units.problems or units.ledger is None:
        return None
    found = read_movements(source, units.ledger)
    return None if found.problems else found


def _allocated(ledger: Ledger, allocations: Iterable[Allocation]) -> Iterator[AllocatedQty]:
    """(product, export date, part, qty) of each allocation to an export line of the ledger.

    An allocation of a line that is not an export (a regularization) generates no waste.
    """
    days = {line.key: line.cleared_on for line in ledger.exports}
    for a in allocations:
        day = days.get((a.export_pedimento, a.export_line, a.product))
        if day is not None:
            yield a.product, day, a.part, a.qty


def movement_outputs(
    ledger: Ledger, allocations: Iterable[Allocation], movements: Movements, as_of: dt.date
) -> MovementOutputs:
    """The movement outputs of a discharge held in memory; InputError when disposing of too much."""
    ratios = WasteRatios(ledger.boms)
    generated = generated_waste(ratios, _allocated(ledger, allocations)) if ratios.any else {}
    return _outputs(generated, movements, as_of)


def _outputs(
    generated: Mapping[tuple[str, dt.date], Fraction], movements: Movements, as_of: dt.date
) -> MovementOutputs:
    waste = None
    if generated or movements.waste_given:
        rows = waste_rows(generated, movements.disposals)
        if movements.waste_given or any(r.generated > 0 for r in rows):
            waste = rows
    subs = shipment_parts(movements.submaquila, as_of) if movements.submaquila_given else None
    return MovementOutputs(subs, waste)


def stored_movement_outputs(
    session: Session,
    company: int,
    given: Movements,
    ledger: Ledger,
    result: DischargeResult,
    as_of: dt.date,
) -> MovementOutputs:
    """Merge ``given`` into the store (the caller's transaction) and report on everything stored.

    Raises InputError on a stored movement contradicted, or on disposing of too
    much: the caller's unit of work then rolls everything back.
    """
    problems = store_movements(session, given, company)
    if problems:
        raise InputError(problems)
    stored = load_movements(session, company, given)
    return movement_outputs(ledger, result.allocations, stored, as_of)


def folder_movement_outputs(
    folder: Path, frames: LedgerFrames, movements: Movements, as_of: dt.date
) -> MovementOutputs:
    """The movement outputs of a vectorized run, from the ``allocations.csv`` it wrote in ``folder``."""
    ratios = WasteRatios(frames.boms)
    if not ratios.any:
        return _outputs({}, movements, as_of)
    return _outputs(generated_waste(ratios, _allocated_in_csv(folder, frames, ratios)), movements, as_of)


def _allocated_in_csv(folder: Path, frames: LedgerFrames, ratios: WasteRatios) -> Iterator[AllocatedQty]:
    """The allocations of ``allocations.csv`` to (product, date) pairs that can have waste."""
    exports = frames.exports.select(
        pl.col("pedimento").alias("export_pedimento"),
        pl.col("line").alias("export_line"),
        "product",
        "cleared_on",
    )
    pairs = exports.select("product", "cleared_on").unique()
    wasteful = [(p, d) for p, d in pairs.iter_rows() if ratios.of(p, d)]
    if not wasteful:
        return
    keys = pl.DataFrame(
        {"product": [p for p, _ in wasteful], "cleared_on": [d for _, d in wasteful]},
        schema={"product": pl.String, "cleared_on": pl.Date},
    )
    allocations = pl.read_csv(
        folder / "allocations.csv",
        infer_schema=False,
        columns=["export_pedimento", "export_line", "product", "part", "qty"],
    ).with_columns(pl.col("export_line").cast(pl.Int64))
    dated = allocations.join(exports, on=["export_pedimento", "export_line", "product"], how="inner")
    dated = dated.join(keys, on=["product", "cleared_on"], how="semi")
    for product, day, part, qty in dated.select("product", "cleared_on", "part", "qty").iter_rows():
        yield product, day, part, Decimal(qty)


def write_movement_outputs(folder: Path, outputs: MovementOutputs) -> dict[str, int]:
    """Write the movement files due; their row counts for ``run.json`` (only of files written)."""
    counts = {}
    if outputs.submaquila is not None:
        counts["submaquila"] = write_submaquila_csv(folder, outputs.submaquila)
    if outputs.waste is not None:
        counts["waste_parts"] = write_waste_csv(folder, outputs.waste)
    return counts
