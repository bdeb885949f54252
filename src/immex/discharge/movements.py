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

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import polars as pl

from immex.core.numbers import EXACT, from_fixed
from immex.core.problems import InputError, Problem
from immex.discharge.fast import AllocatedColumns, ExportPlan, FramesResult
from immex.discharge.methods import Allocation, DischargeResult, discharge
from immex.discharge.regularize import STORE_UNREAD, exports_touching, with_stored
from immex.discharge.submaquila import ShipmentPart, shipment_parts, write_submaquila_csv
from immex.discharge.waste import (
    AllocatedQty,
    GeneratedWaste,
    WasteRatios,
    WasteRow,
    disposed_too_much,
    generated_waste,
    waste_rows,
    write_waste_csv,
)
from immex.ledger.frames import EPOCH, LedgerFrames, export_periods
from immex.ledger.model import Ledger
from immex.ledger.movements import MOVEMENT_TABLES, WASTE, Movements, MovementsRead, read_movements
from immex.ledger.read import LedgerRead, read_ledger, source_files

if TYPE_CHECKING:  # the store: only ``--db`` runs load SQLAlchemy (see immex.discharge.columnar_run)
    from sqlalchemy.orm import Session

__all__ = [
    "MovementOutputs",
    "WasteTable",
    "folder_movement_outputs",
    "generated_in_columns",
    "movement_outputs",
    "overdisposal_problems",
    "plan_waste_table",
    "read_movements",
    "read_movements_beside_frames",
    "stored_movement_outputs",
    "waste_table",
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
    dated = {d.part for d in movements.disposals}  # only these need the waste by export date
    generated = (
        generated_waste(ratios, _allocated(ledger, allocations), dated) if ratios.any else GeneratedWaste()
    )
    return _outputs(generated, movements, as_of)


# A refused row of these files, once fixed, can only leave the waste generated as it is or make it
# smaller (an A3 takes lots from later exports) and the disposals as they are or larger: an excess
# found on the rows read is an excess of the fixed input. A refused imports.csv row adds lots to its
# part only (parts are independent), so the other parts are decided too.
_WASTE_KEPT_BY = frozenset({"regularizations.csv", "imports.csv"})
BESIDE_NOTE = (
    " (found beside the other problems, on the rows read: once those are fixed the excess is as"
    " large or larger)"
)


def overdisposal_problems(
    source: Path, read: LedgerRead, method: str, stored: Ledger | None = None
) -> list[Problem]:
    """Disposals beyond the waste generated, found beside the other input problems (one errors.csv).

    As :func:`immex.discharge.regularize.overdraw_problems` for the A3s: the rows read are
    discharged (with the stored ledger on ``--db``, ``stored``), and only where that decides
    it: no refused row in ``exports.csv``, ``bom.csv``, ``parts.csv`` or ``uom_conversions.csv``
    (fixed, each can change the waste of any part), no refused import row of the part, no A3
    asking too much (the discharge stops on it), a store that could be read. The disposals
    stored before are not counted, which can only make a real excess larger.
    """
    partial = read.partial
    if partial is None or stored is STORE_UNREAD or read.unsure_parts is None:
        return []
    names = {label: name for name, label in read.labels.items()}
    if any(p.row is None or names.get(p.file, p.file) not in _WASTE_KEPT_BY for p in read.problems):
        return []
    disposals = [
        d for d in read_movements(source, partial).movements.disposals if d.part not in read.unsure_parts
    ]
    if not disposals:
        return []
    ledger = partial if stored is None else with_stored(partial, stored)
    parts = {d.part for d in disposals}
    only = dataclasses.replace(
        ledger,
        imports=tuple(lot for lot in ledger.imports if lot.part in parts),
        exports=exports_touching(ledger, parts),
        regularizations=tuple(r for r in ledger.regularizations if r.product in parts),
    )
    try:
        result = discharge(only, method)
    except InputError:  # an A3 of these parts asks too much: listed by overdraw_problems
        return []
    ratios = WasteRatios(ledger.boms)
    generated = generated_waste(ratios, _allocated(only, result.allocations), parts)
    problems = disposed_too_much(generated, disposals, WASTE.name)
    return [dataclasses.replace(p, message=p.message + BESIDE_NOTE) for p in problems]


def _outputs(generated: GeneratedWaste, movements: Movements, as_of: dt.date) -> MovementOutputs:
    waste = None
    if generated.parts or movements.waste_given:
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
    from immex.ledger.movements_orm import load_movements, store_movements

    problems = store_movements(session, given, company)
    if problems:
        raise InputError(problems)
    stored = load_movements(session, company, given)
    return movement_outputs(ledger, result.allocations, stored, as_of)


def folder_movement_outputs(
    folder: Path,
    frames: LedgerFrames,
    movements: Movements,
    as_of: dt.date,
    result: FramesResult | None = None,
    generated: GeneratedWaste | None = None,
) -> MovementOutputs:
    """The movement outputs of a vectorized run: from its allocation columns (``result``, when
    the run kept them in memory), or the waste the partitions summed (``generated``), else from
    the ``allocations.csv`` it wrote in ``folder``."""
    if generated is None:
        generated = _generated(folder, frames, movements, result)
    return _outputs(generated, movements, as_of)


def _generated(
    folder: Path, frames: LedgerFrames, movements: Movements, result: FramesResult | None
) -> GeneratedWaste:
    ratios = WasteRatios(frames.boms)
    dated = {d.part for d in movements.disposals}
    if not ratios.any:
        return GeneratedWaste()
    if result is not None and result.allocated is not None:
        table = plan_waste_table(result.allocated.plan, ratios)
        return generated_in_columns(result.allocated, result.scale, table, dated)
    return _generated_in_csv(folder, frames, ratios, dated)


_UNDATED = -(2**31)  # the day of a part summed over every date (int32 days since EPOCH)


@dataclass(frozen=True, eq=False)
class WasteTable:
    """Every (export key, part) pair of a run whose waste ratio is not 0, as sorted integer columns.

    ``key``: the index of the export's per-unit needs (:class:`ExportPlan`'s ``key``, or
    the partitioned run's global one); ``part``: the index in ``parts`` (sorted names);
    ``ratio``: the index in ``values``. The ratio depends only on the key and the part,
    so the table is built once per run and every partition (or Dask worker) reads its
    own parts' rows from it; it is small (keys × leaf parts) and plain to pickle.
    """

    parts: tuple[str, ...]
    key: npt.NDArray[np.int64]
    part: npt.NDArray[np.int64]
    ratio: npt.NDArray[np.int64]
    values: tuple[Fraction, ...]


def waste_table(
    ratios: WasteRatios, keys: Iterable[tuple[int, str, dt.date, Mapping[str, Decimal]]]
) -> WasteTable:
    """The table of ``keys``: (key, product, a day of its BOM period, its per-unit leaf needs)."""
    triples = [
        (key, part, ratio)
        for key, product, day, needs in keys
        for part, ratio in ratios.of(product, day, needs).items()
    ]
    parts = tuple(sorted({part for _, part, _ in triples}))
    part_id = {name: i for i, name in enumerate(parts)}
    rows = sorted((key, part_id[part], ratio) for key, part, ratio in triples)
    columns = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return WasteTable(parts, columns[:, 0], columns[:, 1], columns[:, 2], tuple(ratios.values))


def plan_waste_table(plan: ExportPlan, ratios: WasteRatios) -> WasteTable:
    """The table of the keys of ``plan``'s export lines (each key's first line gives its day)."""
    keys, first = np.unique(plan.exports["key"].to_numpy(), return_index=True)
    firsts = zip(
        keys.tolist(),
        plan.exports["product"].gather(first).to_list(),
        plan.exports["cleared_on"].gather(first).to_list(),
        strict=True,
    )
    return waste_table(ratios, ((key, product, day, plan.needs[key]) for key, product, day in firsts))


def generated_in_columns(
    allocated: AllocatedColumns, scale: int, table: WasteTable, dated: Collection[str]
) -> GeneratedWaste:
    """The waste of allocations held as integer columns: exact fixed-point sums per part and ratio.

    The ratio depends only on the export's per-unit needs (``key``: product and BOM
    period) and the part, so it comes from ``table``'s rows of these allocations' parts,
    looked up for every allocation by binary search. The sums are taken per entry of that
    table (and export date, for the parts in ``dated``): one integer group key, then
    added by part and ratio; Int128 (every sum of allocations is below the engine's
    proven bound) or Python integers (object tier).
    """
    generated = GeneratedWaste(table.values, dated)
    plan, names = allocated.plan, allocated.names
    table_codes, table_ratios = _local_codes(table, names)
    if not len(table_codes):
        return generated
    export_key = plan.exports["key"].to_numpy()
    code = export_key[allocated.export] * len(names) + allocated.part
    rows, entry = _entries(table_codes, code)  # entry: of each allocation with waste (one part, one ratio)
    table_part = table_codes % len(names)
    dated_ids = np.array(sorted(i for i, name in enumerate(names) if name in dated), dtype=np.int64)
    if len(dated_ids):  # the parts with disposals are summed by export date too
        day = plan.exports["cleared_on"].to_physical().to_numpy().astype(np.int64)[allocated.export[rows]]
        day = np.where(np.isin(table_part[entry], dated_ids), day, _UNDATED)
        days, day_index = np.unique(day, return_inverse=True)
    else:
        days, day_index = np.array([_UNDATED], dtype=np.int64), np.zeros(len(rows), dtype=np.int64)
    group = entry * len(days) + day_index.reshape(-1)
    for key, total in _fixed_sums(group, allocated.qty, rows):
        table_row, day_at = divmod(key, len(days))
        day_number = int(days[day_at])
        when = dt.date.min if day_number == _UNDATED else EPOCH + dt.timedelta(days=day_number)
        part = names[int(table_part[table_row])]
        generated.add(part, int(table_ratios[table_row]), when, from_fixed(total, scale))
    return generated


def _entries(
    table_codes: npt.NDArray[np.int64], code: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The positions in ``code`` found in ``table_codes`` (sorted, unique), and where each is found.

    When the code space (keys × parts) is at most a few codes per allocation, one int32
    array indexed by code finds them in one gather (a whole 200,000-line ledger: 10 M codes
    for 3.6 M allocations, 40 MB; a binary search per allocation costs about twice the
    CPU); a wider space is searched instead."""
    space = max(int(table_codes[-1]), int(code.max(initial=0))) + 1
    if space > max(_DENSE_CODES_PER_ROW * len(code), _DENSE_CODES):
        at = np.minimum(np.searchsorted(table_codes, code), len(table_codes) - 1)
        rows = np.flatnonzero(table_codes[at] == code)
        return rows, at[rows]
    position = np.int32 if len(table_codes) < 2**31 else np.int64  # the table is small
    lookup: npt.NDArray[np.signedinteger[Any]] = np.full(space, -1, dtype=position)
    lookup[table_codes] = np.arange(len(table_codes), dtype=position)
    found = lookup[code]
    rows = np.flatnonzero(found >= 0)
    return rows, found[rows].astype(np.int64)


_DENSE_CODES = 1 << 20  # a lookup array of up to this many codes is always cheap (4 MB)
_DENSE_CODES_PER_ROW = 4  # ... and of up to 4 codes per allocation (16 bytes each)


def _local_codes(table: WasteTable, names: list[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sorted codes ``key * len(names) + part`` of ``table``'s rows whose part is in ``names``
    (a partition's run holds only its own parts), and their ratio ids."""
    local = np.full(len(table.parts), -1, dtype=np.int64)
    part_id = {name: i for i, name in enumerate(table.parts)}
    for i, name in enumerate(names):
        if name in part_id:
            local[part_id[name]] = i
    part = local[table.part]
    kept = np.flatnonzero(part >= 0)
    codes = table.key[kept] * len(names) + part[kept]
    order = np.argsort(codes, kind="stable")
    return codes[order], table.ratio[kept][order]


def _fixed_sums(
    group: npt.NDArray[np.int64], qty: Any, rows: npt.NDArray[np.int64]
) -> Iterator[tuple[int, int]]:
    """``(group, sum of qty[rows])`` per group number, exact (Int128 in Polars, or Python ints)."""
    if isinstance(qty, np.ndarray) and qty.dtype == object:
        totals: dict[int, int] = defaultdict(int)
        for key, value in zip(group.tolist(), qty[rows].tolist(), strict=True):
            totals[key] += value
        yield from totals.items()
        return
    values = qty.gather(rows) if isinstance(qty, pl.Series) else pl.Series(qty[rows])
    frame = pl.DataFrame({"group": group, "qty": values.cast(pl.Int128)})
    yield from frame.group_by("group").agg(pl.col("qty").sum()).iter_rows()


def _generated_in_csv(
    folder: Path, frames: LedgerFrames, ratios: WasteRatios, dated: set[str]
) -> GeneratedWaste:
    """The waste of ``allocations.csv``: Polars joins, exact sums per part and ratio (and date)."""
    generated = GeneratedWaste(ratios.values, dated)
    exports = frames.exports.select(
        pl.col("pedimento").alias("export_pedimento"),
        pl.col("line").alias("export_line"),
        "product",
        "cleared_on",
        pl.Series("period", export_periods(frames.exports["cleared_on"], frames.boms)),
    )
    keys = []  # the ratio depends only on (product, BOM period, part): a small table
    pairs = exports.group_by("product", "period").agg(pl.col("cleared_on").first())
    for product, period, day in pairs.iter_rows():
        keys += [(product, period, part, ratio) for part, ratio in ratios.of(product, day).items()]
    if not keys:
        return generated
    schema = {"product": pl.String, "period": pl.Int64, "part": pl.String, "ratio": pl.Int64}
    table = pl.DataFrame(keys, schema=schema, orient="row")
    allocations = pl.read_csv(
        folder / "allocations.csv",
        infer_schema=False,
        columns=["export_pedimento", "export_line", "product", "part", "qty"],
    ).with_columns(pl.col("export_line").cast(pl.Int64))
    found = allocations.join(
        exports.with_columns(pl.col("period").cast(pl.Int64)),
        on=["export_pedimento", "export_line", "product"],
    )
    found = found.join(table, on=["product", "period", "part"])
    by_date = pl.col("part").is_in(list(dated))
    for part, ratio, day, qty in exact_sums(found.filter(by_date), ["part", "ratio", "cleared_on"]):
        generated.add(part, ratio, day, qty)
    for part, ratio, qty in exact_sums(found.filter(~by_date), ["part", "ratio"]):
        generated.add(part, ratio, dt.date.min, qty)  # not checked by date: one bucket
    return generated


_SUM_DIGITS = 30  # digits of one fixed-point quantity: Int128 sums of 10**8 rows stay exact


def exact_sums(frame: pl.DataFrame, by: list[str]) -> Iterator[tuple[Any, ...]]:
    """``(*key, sum of qty)`` per group of ``by``; ``qty`` is plain decimal text, summed exactly.

    Fixed-point Int128 in Polars at the scale of the longest fraction; in Python
    Decimals when a quantity is too long for that (never rounded either way).
    """
    split = frame["qty"].str.split_exact(".", 1).struct.rename_fields(["int", "frac"]).struct.unnest()
    fraction = split["frac"].fill_null("")
    scale = int(fraction.str.len_chars().max() or 0)  # type: ignore[arg-type]
    digits = int(split["int"].str.len_chars().max() or 0)  # type: ignore[arg-type]
    if scale + digits > _SUM_DIGITS:
        for *key, values in frame.group_by(by).agg(pl.col("qty")).iter_rows():
            yield (*key, _decimal_sum(values))
        return
    whole = split["int"].replace("", "0").cast(pl.Int128)
    part = fraction.str.pad_end(scale, "0").replace("", "0").cast(pl.Int128)
    fixed = whole * pl.Series([10**scale], dtype=pl.Int128) + part
    grouped = frame.select(*by, fixed.alias("fixed")).group_by(by).agg(pl.col("fixed").sum())
    for *key, total in grouped.iter_rows():
        yield (*key, EXACT.scaleb(Decimal(total), -scale))


def _decimal_sum(values: Iterable[str]) -> Decimal:
    total = Decimal(0)
    for value in values:
        total = EXACT.add(total, Decimal(value))
    return total


def write_movement_outputs(folder: Path, outputs: MovementOutputs) -> dict[str, int]:
    """Write the movement files due; their row counts for ``run.json`` (only of files written)."""
    counts = {}
    if outputs.submaquila is not None:
        counts["submaquila"] = write_submaquila_csv(folder, outputs.submaquila)
    if outputs.waste is not None:
        counts["waste_parts"] = write_waste_csv(folder, outputs.waste)
    return counts
