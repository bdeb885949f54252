"""The FIFO discharge in partitions of parts: memory set by the partition, the same bytes as one run.

Under FIFO (LIFO, directed) the parts are independent: an import line is
consumed only by requirements of its own part. So the parts (in name order)
are cut into contiguous ranges of about ``rows`` requirements + import lines
each, and each range is discharged alone with
:func:`immex.discharge.fast.discharge_frames` (which then also picks the
fixed-point scale and integer width for that range only). Every row of the
whole run belongs to exactly one range.

Nothing the size of the ledger is held in memory
(:class:`immex.ledger.spilled.SpilledLedger`):

- the reader leaves the import lines in Parquet files by part bucket and
  the export lines in sorted runs (one per read batch);
- :func:`order_exports` merges the runs (a k-way merge that holds a slice of
  each run, :func:`merge_runs`) into numbered chunks in discharge order and
  names each line's per-unit needs (``key``) as it goes, as
  :func:`~immex.discharge.fast.plan_exports` does;
- each partition reads its parts' import lines and, chunk by chunk, only the
  export lines whose BOM reaches one of its parts (with their position in the
  whole order), discharges them, and writes its rows as Parquet: allocations
  and shortfalls as finished CSV lines (:mod:`immex.discharge.csv_lines`:
  formatted in the partitions, which run in parallel) cut into buckets of
  export positions, balances as one run sorted by import line;
- the merge reads a window of buckets at a time from every partition, in
  partition order, and sorts it stably by export line alone: each
  partition's rows are already in the discharge's own order and partitions
  are name ranges in order, so that is the contract's order (each
  requirement's lots stay in FIFO order); it appends the lines to the CSV
  as they are, while threads read and sort the next windows. balances.csv
  is the k-way merge of the partitions' runs.

Peak memory is one partition's work, one bucket or one merge window, not the
ledger. The same functions are the unit of work of the Dask engine
(:mod:`immex.discharge.dask_engine`): a partition needs only the spill
folder, on storage every worker can read.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import tempfile
import time
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import polars as pl

from immex.core.numbers import EXACT, plain
from immex.core.progress import QUIET, Progress, ProgressLike, as_progress
from immex.discharge.csv_lines import csv_lines
from immex.discharge.fast import (
    ExportPlan,
    FramesResult,
    balances_frame,
    discharge_frames,
    unit_needs,
)
from immex.discharge.fast_directed import consumption
from immex.discharge.movements import WasteTable, generated_in_columns, waste_table
from immex.discharge.outputs import ALLOCATION_HEADER, BALANCE_HEADER, SHORTFALL_HEADER
from immex.discharge.partition_pool import PartitionWork, run_partitions, worker_count
from immex.discharge.waste import GeneratedWaste, WasteRatios
from immex.ledger.frames import LedgerFrames, export_periods, read_ledger_frames
from immex.ledger.spilled import (
    EXPORT_ORDER,
    RUN_ROW_GROUP,
    SpilledFile,
    SpilledLedger,
    at_scale,
    narrowed,
    read_spilled_ledger,
    spilled_from_frames,
    write_spill,
)

PARTITION_FROM_LINES = 4_000_000  # import + export lines from which ``--engine auto`` partitions
# requirements + import lines per partition (about 1-2 GB of working memory); IMMEX_PARTITION_ROWS overrides
PARTITION_ROWS = int(os.environ.get("IMMEX_PARTITION_ROWS", "4000000"))
BUCKET_ROWS = 1_000_000  # requirements (about as many allocations) per merge bucket, sorted at once
# The reader of a partitioned run checks imports.csv and exports.csv this many rows at a time
# (``read_ledger_frames(folder, batch_rows)``); IMMEX_READ_BATCH_ROWS overrides.
READ_BATCH_ROWS = int(os.environ.get("IMMEX_READ_BATCH_ROWS", "500000"))
STREAM_FROM_BYTES = 200 * 2**20  # imports.csv + exports.csv from which ``auto`` reads in batches
# ... and from which ``auto`` spills them to disk and partitions (about 4 M lines of a plant's ledger)
SPILL_FROM_BYTES = 400 * 2**20
# rows a k-way merge holds (a slice of each sorted run); IMMEX_MERGE_ROWS overrides
MERGE_ROWS = int(os.environ.get("IMMEX_MERGE_ROWS", "1000000"))
# CSV lines the merge of allocations.csv and shortfalls.csv sorts at once (a window of buckets:
# about 150 MB of lines); IMMEX_MERGE_WINDOW_ROWS overrides
MERGE_WINDOW_ROWS = int(os.environ.get("IMMEX_MERGE_WINDOW_ROWS", "2000000"))
MERGE_THREADS = 2  # windows read and sorted ahead of the one being written (at most this many + 1 held)
BALANCE_ORDER = ["import_pedimento", "import_line", "part"]
# the columns of allocations.csv and shortfalls.csv: what a partition formats into its CSV lines
OUTPUT_COLUMNS = {"allocations": ALLOCATION_HEADER, "shortfalls": SHORTFALL_HEADER}


@dataclass(frozen=True)
class PartitionSummary:
    """What a partition reports for run.json (quantities as exact decimal text)."""

    index: int
    allocations: int
    shortfalls: int
    late: int
    qty_allocated: str
    qty_missing: str
    waste: tuple[tuple[str, Fraction, dt.date, str], ...] = ()
    """(part, waste ratio, export date or ``date.min``, quantity): the waste sums of its parts
    (the ratio itself: ratio ids are numbered per process, a Dask worker's are its own)."""
    balances: int = 0
    """Rows of its balances run (its import lines)."""
    allocation_starts: tuple[int, ...] = ()
    """Row of its allocations file where each merge bucket starts, and the end."""
    shortfall_starts: tuple[int, ...] = ()
    """The same for its shortfalls file."""


@dataclass(frozen=True)
class WasteAsked:
    """What the waste pass needs from each partition: the BOM's waste ratios and the parts
    summed by export date (those with disposals to check)."""

    ratios: WasteRatios
    dated: frozenset[str]


@dataclass(frozen=True)
class PartitionWaste:
    """What each partition's waste sums need, built once per run (sent once to each Dask worker):
    the ratio of every (export key, part) pair with waste, and the parts summed by export date."""

    table: WasteTable
    dated: frozenset[str]


def partition_waste(asked: WasteAsked | None, ordered: OrderedExports) -> PartitionWaste | None:
    """The run's waste table over every key of ``ordered``; None when no waste is asked or the
    BOMs have none."""
    if asked is None or not asked.ratios.any:
        return None
    keys = ((key, product, day, ordered.needs[key]) for key, (product, day) in enumerate(ordered.firsts))
    return PartitionWaste(waste_table(asked.ratios, keys), asked.dated)


def read_batch_rows(folder: Path, engine: str) -> int | None:
    """Rows per batch for the reader: the partitioned and Dask engines (and ``auto`` on big
    files, which it will partition) read the line files in batches; None: whole."""
    if engine in ("partitioned", "dask"):
        return READ_BATCH_ROWS
    if engine != "auto":
        return None
    return READ_BATCH_ROWS if _line_bytes(folder) >= STREAM_FROM_BYTES else None


def spills(folder: Path, engine: str) -> bool:
    """Whether the run reads the line files into a spill folder (:func:`read_spilled`): the
    partitioned and Dask engines, and ``auto`` on line files of :data:`SPILL_FROM_BYTES` or more."""
    return engine in ("partitioned", "dask") or (engine == "auto" and _line_bytes(folder) >= SPILL_FROM_BYTES)


def _line_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.glob("*") if path.name.lower() in _LINE_FILES)


_LINE_FILES = ("imports.csv", "exports.csv")


def auto_engine(spilled: bool, lines: int) -> tuple[str, str | None]:
    """What ``--engine auto`` runs on a valid folder of ``lines`` import + export lines, and why
    (for run.json) when it partitions: the line files were spilled (:func:`spills`: their
    bytes reach :data:`SPILL_FROM_BYTES`) or the lines reach :data:`PARTITION_FROM_LINES`."""
    if spilled:
        return "partitioned", (
            f"--engine auto: imports.csv + exports.csv are {SPILL_FROM_BYTES // 2**20} MB or more, "
            "read in batches and discharged in partitions (memory set by the partition)"
        )
    if lines >= PARTITION_FROM_LINES:
        return "partitioned", (
            f"--engine auto: {lines:,} import + export lines ({PARTITION_FROM_LINES:,} or more) are "
            "discharged in partitions (memory set by the partition)"
        )
    return "columnar", None


def read_columnar(
    folder: Path, output_dir: Path, engine: str
) -> tuple[LedgerFrames | None, SpilledLedger | None]:
    """The columnar reader for ``engine``: the whole frames, or (:func:`spills`) the line files
    spilled beside ``output_dir`` with the frames of the rest (no line rows: see
    :meth:`~immex.ledger.spilled.SpilledLedger.header`). (None, None): the per-row reader must
    report the problems."""
    if not spills(folder, engine):
        return read_ledger_frames(folder, read_batch_rows(folder, engine)), None
    ledger = read_spilled(folder, output_dir)
    return (None, None) if ledger is None else (ledger.header(), ledger)


def read_spilled(folder: Path, output_dir: Path) -> SpilledLedger | None:
    """The folder read in batches into a spill folder beside ``output_dir`` (the same storage:
    shared with the workers of a cluster), or None (the per-row reader reports the problems;
    the spill folder is then removed). Remove ``ledger.folder`` when done."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    spill = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.immex-spill-", dir=output_dir.parent))
    ledger = read_spilled_ledger(folder, READ_BATCH_ROWS, spill.resolve())
    if ledger is None:
        shutil.rmtree(spill, ignore_errors=True)
    else:  # removed with the ledger (when the run lets go of it, or at exit)
        weakref.finalize(ledger, shutil.rmtree, spill, True)
    return ledger


# ---- the export lines in discharge order ---------------------------------------------------------


@dataclass(frozen=True)
class OrderedExports:
    """The export lines in discharge order as Parquet chunks, and the per-unit needs of each key.

    ``chunks``: (file, position of its first line in the whole order); each file has the
    columns of ``LedgerFrames.exports`` at the ledger's ``exports_scale`` and ``key``, the
    index in ``needs`` of the line's (product, BOM period) (numbered in order of first
    export, as :func:`~immex.discharge.fast.plan_exports` does). ``key_lines``: export lines
    per key.
    """

    chunks: tuple[tuple[Path, int], ...]
    needs: list[dict[str, Decimal]]
    key_lines: tuple[int, ...]
    lines: int
    firsts: tuple[tuple[str, dt.date], ...] = ()
    """(product, date of its first export line) per key: the key's BOM period."""

    @functools.cached_property
    def uses(self) -> dict[str, list[tuple[int, Decimal]]]:
        """(key, per-unit need) of each leaf part, built once per process (a Dask worker keeps
        its copy of the scattered ``OrderedExports``): a partition looks up only its own parts."""
        uses: dict[str, list[tuple[int, Decimal]]] = {}
        for key, need in enumerate(self.needs):
            for part, unit in need.items():
                uses.setdefault(part, []).append((key, unit))
        return uses

    def needs_of(self, parts: Iterable[str]) -> list[dict[str, Decimal]]:
        """``needs`` restricted to ``parts`` (still indexed by key; {} where a key needs none of
        them), from :attr:`uses`: a partition does not walk every key's needs."""
        needs: list[dict[str, Decimal]] = [{} for _ in self.needs]
        for part in parts:
            for key, unit in self.uses.get(part, ()):
                needs[key][part] = unit
        return needs


def merge_runs(
    runs: Sequence[SpilledFile], keys: Sequence[str], rows: int | None = None, target_scale: int | None = None
) -> Iterator[pl.DataFrame]:
    """The rows of ``runs`` (Parquet files each sorted by ``keys``) in one sorted stream, a
    window at a time; rows with equal keys come in run order, and within a run in file order.

    About ``rows`` rows are held: each run's reader is topped up to its share when it holds
    less than half of it, so a window gives about half of what is held (not the slice of the
    one run that ran dry). The held rows are one frame tagged with their run: the window is the
    rows up to the smallest last key read among the runs not read to the end, cut with one
    filter and sorted once. With ``target_scale`` each run's ``qty`` is brought to that scale."""
    share = max(1, (rows or MERGE_ROWS) // max(len(runs), 1))
    order = [*keys, _RUN]
    readers = [_RunReader(run, number, order, target_scale) for number, run in enumerate(runs) if run.rows]
    held: pl.DataFrame | None = None
    counts = np.zeros(len(runs), dtype=np.int64)  # rows held per run
    while readers:
        fresh = [
            reader.read(share - int(counts[reader.number]))
            for reader in readers
            if counts[reader.number] * 2 < share + 1 and not reader.read_all
        ]
        if fresh:
            held = pl.concat([held, *fresh] if held is not None else fresh, how="vertical_relaxed")
        readers = [reader for reader in readers if not reader.read_all]
        assert held is not None
        if not readers:
            yield held.sort(order, maintain_order=True).drop(_RUN)
            return
        bound = min(reader.last for reader in readers)
        upto = _at_most(order, bound)
        given = held.filter(upto)
        held = held.filter(~upto)
        counts = np.bincount(held[_RUN].to_numpy(), minlength=len(runs))
        if given.height:
            yield given.sort(order, maintain_order=True).drop(_RUN)


_RUN = "_run"  # the run a merged row comes from


class _RunReader:
    """One sorted run read a slice at a time; ``last``: the keys and run of the last row read."""

    def __init__(self, run: SpilledFile, number: int, keys: Sequence[str], target_scale: int | None) -> None:
        self.run, self.number, self.keys, self.target = run, number, keys, target_scale
        self.offset = 0
        self.last: tuple[Any, ...] = ()

    @property
    def read_all(self) -> bool:
        return self.offset >= self.run.rows

    def read(self, rows: int) -> pl.DataFrame:
        """The next ``rows`` rows (at least one) tagged with the run's number."""
        frame = pl.scan_parquet(self.run.path).slice(self.offset, max(rows, 1)).collect()
        self.offset += frame.height
        if self.target is not None:
            frame = at_scale(frame, self.run.scale, self.target)
        frame = frame.with_columns(pl.lit(self.number, dtype=pl.Int32).alias(_RUN))
        self.last = frame.select(self.keys).row(frame.height - 1)
        return frame


def _at_most(keys: Sequence[str], bound: tuple[Any, ...]) -> pl.Expr:
    """Rows whose ``keys`` are at most ``bound`` in lexicographic order."""
    expr = pl.lit(True)
    for name, value in reversed(list(zip(keys, bound, strict=True))):
        expr = (pl.col(name) < value) | ((pl.col(name) == value) & expr)
    return expr


def order_exports(ledger: SpilledLedger, folder: Path, merge_rows: int | None = None) -> OrderedExports:
    """Merge the ledger's sorted export runs into chunks in discharge order, keyed as
    :func:`~immex.discharge.fast.plan_exports` keys them."""
    known = pl.DataFrame(schema={"product": pl.String, "_period": pl.Int64, "key": pl.Int64})
    firsts: list[tuple[str, dt.date]] = []
    key_lines = np.zeros(0, dtype=np.int64)
    chunks: list[tuple[Path, int]] = []
    position = 0
    for window in merge_runs(ledger.export_runs, EXPORT_ORDER, merge_rows, ledger.exports_scale):
        period = pl.Series("_period", export_periods(window["cleared_on"], ledger.boms), dtype=pl.Int64)
        window = window.with_columns(period)
        new = (
            window.select("product", "_period", "cleared_on")
            .unique(subset=["product", "_period"], keep="first", maintain_order=True)
            .join(known, on=["product", "_period"], how="anti", maintain_order="left")
        )
        if new.height:
            firsts += new.select("product", "cleared_on").iter_rows()
            numbered = new.select(
                "product", "_period", key=pl.int_range(len(known), len(known) + new.height, dtype=pl.Int64)
            )
            known = pl.concat([known, numbered])
        keyed = window.join(known, on=["product", "_period"], how="left", maintain_order="left")
        numbers = keyed["key"].to_numpy()
        key_lines = np.bincount(numbers, minlength=len(firsts)) + np.pad(
            key_lines, (0, len(firsts) - len(key_lines))
        )
        path = folder / f"exports-{len(chunks):06d}.parquet"
        write_spill(keyed.drop("_period"), path)
        chunks.append((path, position))
        position += window.height
    needs = unit_needs(ledger.boms, [f[0] for f in firsts], [f[1] for f in firsts])
    return OrderedExports(tuple(chunks), needs, tuple(key_lines.tolist()), position, tuple(firsts))


def remove_chunks(ordered: OrderedExports) -> None:
    """Delete the ordered export chunks once every partition has read them (disk, and fewer
    files for the spill folder's removal)."""
    for path, _ in ordered.chunks:
        path.unlink(missing_ok=True)


# ---- partitions ----------------------------------------------------------------------------------


def plan_partitions(
    ledger: SpilledLedger, ordered: OrderedExports, rows: int | None = None
) -> list[list[str]]:
    """Contiguous ranges of part names with at most about ``rows`` requirements + import lines
    each (from the counts the spilled reader kept and the export lines per key)."""
    names = sorted(
        set(ledger.parts["part"].to_list())
        | set(ledger.imports_per_part)
        | {leaf for need in ordered.needs for leaf in need}
    )
    return _ranges(names, ledger.imports_per_part, ordered.needs, dict(enumerate(ordered.key_lines)), rows)


def _ranges(
    names: list[str],
    imports_per_part: Mapping[str, int],
    needs: list[dict[str, Decimal]],
    key_lines: dict[int, int],
    rows: int | None,
) -> list[list[str]]:
    """Cut ``names`` where a range would pass ``rows``: its import lines, its requirements and
    the export lines it reads (those whose BOM reaches one of its parts, each counted once).

    The export lines count because a range holds them too, and a narrow range of a big ledger
    reads many export lines for few requirements each; counting them keeps the range's memory
    set by ``rows`` whatever the ledger's size."""
    rows = rows or PARTITION_ROWS
    weight = dict.fromkeys(names, 0)
    keys_of: dict[str, list[int]] = {}
    for part, count in imports_per_part.items():
        weight[part] += count
    for key, count in key_lines.items():
        for part in needs[key]:
            weight[part] += count
            keys_of.setdefault(part, []).append(key)
    ranges: list[list[str]] = [[]]
    filled = 0
    reads: set[int] = set()  # the keys whose export lines the current range reads
    for name in names:
        new = [key for key in keys_of.get(name, ()) if key not in reads]
        added = weight[name] + sum(key_lines[key] for key in new)
        if ranges[-1] and filled + added > rows:
            ranges.append([])
            filled, reads = 0, set()
            added = weight[name] + sum(key_lines[key] for key in keys_of.get(name, ()))
        ranges[-1].append(name)
        reads.update(keys_of.get(name, ()))
        filled += added
    return ranges


def bucket_exports(ordered: OrderedExports, rows: int | None = None) -> int:
    """Export lines per merge bucket: about ``rows`` requirements (each export line has the
    leaves of its BOM)."""
    rows = rows or BUCKET_ROWS
    requirements = sum(count * len(ordered.needs[key]) for key, count in enumerate(ordered.key_lines))
    per_export = requirements / max(ordered.lines, 1)
    return max(1, int(rows / max(per_export, 1)))


def bucket_bounds(n_exports: int, size: int) -> list[int]:
    """Export positions where merge buckets start (and the end)."""
    return [*range(0, n_exports, max(size, 1)), n_exports] if n_exports else [0, 0]


def partition_frames(
    ledger: SpilledLedger, ordered: OrderedExports, parts: Sequence[str]
) -> tuple[LedgerFrames, ExportPlan, np.ndarray[Any, np.dtype[np.int64]]]:
    """One partition's ledger: its parts' import lines and the export lines whose BOM reaches
    one of its parts, as a plan of its own, and each of those lines' position in the whole order."""
    needs = ordered.needs_of(parts)
    keys = [key for key, need in enumerate(needs) if need]
    pieces = [
        pl.scan_parquet(path)
        .with_row_index("_pos")
        .filter(pl.col("key").is_in(keys))
        .with_columns(pl.col("_pos").cast(pl.Int64) + first)
        .collect()
        for path, first in ordered.chunks
    ]
    exports = (
        narrowed(pl.concat(pieces, how="vertical_relaxed"))
        if pieces
        else pl.DataFrame(
            schema={
                "_pos": pl.Int64,
                "pedimento": pl.String,
                "line": pl.Int64,
                "product": pl.String,
                "cleared_on": pl.Date,
                "qty": pl.Int64,
                "import_pedimento": pl.String,
                "key": pl.Int64,
            }
        )
    )
    frames = LedgerFrames(
        ledger.parts,
        ledger.imports_of(sorted(parts)),
        exports.drop("_pos", "key"),
        ledger.boms,
        ledger.imports_scale,
        ledger.exports_scale,
    )
    return frames, ExportPlan(exports.drop("_pos"), needs), exports["_pos"].to_numpy()


def run_partition(
    ledger: SpilledLedger,
    ordered: OrderedExports,
    parts: Sequence[str],
    index: int,
    as_of: dt.date,
    spill: Path,
    bounds: Sequence[int],
    method: str = "fifo",
    waste: PartitionWaste | None = None,
) -> PartitionSummary:
    """Discharge the parts of one partition and write its rows to ``spill`` (Parquet); sum the
    waste of its allocations while they are in memory (parts are in one partition only)."""
    frames, plan, positions = partition_frames(ledger, ordered, parts)
    result = discharge_frames(frames, plan, parts, keys=True, **consumption(method))
    where = pl.Series(positions, dtype=pl.Int64)
    starts: dict[str, tuple[int, ...]] = {}
    for name, frame in (("allocations", result.allocations), ("shortfalls", result.shortfalls)):
        frame = frame.drop("_part").with_columns(_export=where.gather(frame["_export"]))
        frame, starts[name] = _in_buckets(frame, bounds)
        if frame.height:
            lines = frame.select("_export", csv_lines(frame.select(OUTPUT_COLUMNS[name])))
            write_spill(lines, _rows_file(spill, name, index), _row_group(frame.height, len(bounds) - 1))
    balances = balances_frame(result, as_of)
    write_spill(balances, spill / f"balances-{index:06d}.parquet", RUN_ROW_GROUP)
    return PartitionSummary(
        index,
        result.allocations.height,
        result.shortfalls.height,
        result.late,
        plain(result.total_allocated),
        plain(result.total_missing),
        _waste_sums(result, waste),
        balances.height,
        starts["allocations"],
        starts["shortfalls"],
    )


def _rows_file(spill: Path, name: str, index: int) -> Path:
    """A partition's allocations or shortfalls: one file in export order (read by bucket slices)."""
    return spill / f"{name}-{index:06d}.parquet"


def _row_group(rows: int, buckets: int) -> int:
    """Row groups of about half a bucket's slice of a partition's file (at most
    :data:`RUN_ROW_GROUP`), so the merge's read of one slice decodes little beyond it."""
    return max(1024, min(RUN_ROW_GROUP, rows // max(2 * buckets, 1)))


def _in_buckets(frame: pl.DataFrame, bounds: Sequence[int]) -> tuple[pl.DataFrame, tuple[int, ...]]:
    """``frame`` in export order and the row where each merge bucket of ``bounds`` starts (and
    the end): bucket ``b`` is rows ``starts[b]`` to ``starts[b + 1]``.

    The discharge gives its rows in discharge order (no copy); rows in another order are first
    sorted stably by ``_export``."""
    if not frame["_export"].is_sorted():
        frame = frame.sort("_export", maintain_order=True)
    starts = np.searchsorted(frame["_export"].to_numpy(), np.asarray(bounds, dtype=np.int64), side="left")
    return frame, tuple(starts.tolist())


def _waste_sums(
    result: FramesResult, waste: PartitionWaste | None
) -> tuple[tuple[str, Fraction, dt.date, str], ...]:
    """The partition's waste sums as plain values (they travel back from Dask workers)."""
    if waste is None or result.allocated is None:
        return ()
    generated = generated_in_columns(result.allocated, result.scale, waste.table, waste.dated)
    sums: list[tuple[str, Fraction, dt.date, str]] = []
    for part, totals in generated.totals.items():
        for ratio, total in totals.items():
            value = waste.table.values[ratio]
            if part in generated.dated:
                days = generated.by_day[part][ratio].items()
                sums += [(part, value, day, str(qty)) for day, qty in days]
            else:
                sums.append((part, value, dt.date.min, str(total)))
    return tuple(sums)


def merged_waste(summaries: Iterable[PartitionSummary], asked: WasteAsked) -> GeneratedWaste:
    """The partitions' waste sums as one run's (each part's sums come from one partition)."""
    values: list[Fraction] = []
    ids: dict[Fraction, int] = {}
    generated = GeneratedWaste(values, asked.dated)
    for summary in summaries:
        for part, ratio, day, qty in summary.waste:
            if ratio not in ids:
                ids[ratio] = len(values)
                values.append(ratio)
            generated.add(part, ids[ratio], day, Decimal(qty))
    return generated


def merge(
    spill: Path,
    bounds: Sequence[int],
    output_dir: Path,
    summaries: Iterable[PartitionSummary],
    merge_rows: int | None = None,
    clock: _PhaseClock | None = None,
) -> dict[str, Any]:
    """Write allocations.csv, shortfalls.csv and balances.csv from the partitions' files, bucket
    by bucket (balances: a k-way merge of the partitions' sorted runs); return the counts and
    totals for run.json (as :func:`~immex.discharge.fast.write_discharge_frames`)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    done = sorted(summaries, key=lambda s: s.index)
    clock = clock or _PhaseClock()
    for name, columns in OUTPUT_COLUMNS.items():
        clock.start(f"writing {name}.csv", f"merge_{name}_s", len(bounds) - 1, "buckets")
        with (output_dir / f"{name}.csv").open("wb") as handle:
            handle.write((",".join(columns) + "\n").encode())
            _merge_buckets(spill, name, done, len(bounds) - 1, handle, clock.progress)
    runs = [SpilledFile(spill / f"balances-{s.index:06d}.parquet", 0, s.balances) for s in done]
    clock.start("writing balances.csv", "merge_balances_s")
    by_status = _merge_balances(runs, output_dir / "balances.csv", merge_rows)
    return {
        "allocations": sum(s.allocations for s in done),
        "shortfalls": sum(s.shortfalls for s in done),
        "balances": sum(by_status.values()),
        "late_allocations": sum(s.late for s in done),
        "balances_by_status": dict(sorted(by_status.items())),
        "qty_allocated": plain(_exact_sum(Decimal(s.qty_allocated) for s in done)),
        "qty_missing": plain(_exact_sum(Decimal(s.qty_missing) for s in done)),
        "partitions": len(done),
    }


def _merge_buckets(
    spill: Path,
    name: str,
    done: Sequence[PartitionSummary],
    buckets: int,
    handle: BinaryIO,
    progress: Progress = QUIET,
) -> None:
    """Append ``name``'s CSV lines to ``handle``, a window of buckets at a time
    (:func:`merge_windows`): each partition's slice of the window (read together, in partition
    order), sorted stably by export position, written as they are (the partitions formatted
    them: :func:`~immex.discharge.csv_lines.csv_lines`).

    :data:`MERGE_THREADS` threads read and sort the next windows while the current one is
    written, in window order (Polars releases the GIL while it reads, sorts and writes; the
    partitions' worker processes are done by now, so their cores are free). A partition's file
    is deleted once the last window that reads it is written."""
    starts = {s.index: s.allocation_starts if name == "allocations" else s.shortfall_starts for s in done}
    holding = [s.index for s in done if starts[s.index] and starts[s.index][-1]]
    windows = merge_windows([starts[index] for index in holding], buckets)
    last_window = {index: _window_of(windows, starts[index]) for index in holding}

    def sorted_lines(first: int, end: int) -> pl.DataFrame | None:
        slices = [
            pl.scan_parquet(_rows_file(spill, name, index)).slice(begin, stop - begin)
            for index in holding
            for begin, stop in [(starts[index][first], starts[index][end])]
            if stop > begin
        ]
        return pl.concat(slices).collect().sort("_export", maintain_order=True) if slices else None

    ahead: deque[tuple[int, Future[pl.DataFrame | None]]] = deque()

    def write_oldest() -> None:
        number, lines = ahead.popleft()
        _write_lines(lines.result(), handle)
        progress.advance(windows[number][1] - windows[number][0])
        for index in [i for i in holding if last_window[i] == number]:
            _rows_file(spill, name, index).unlink()

    with ThreadPoolExecutor(MERGE_THREADS) as pool:
        for number, (first, end) in enumerate(windows):
            ahead.append((number, pool.submit(sorted_lines, first, end)))
            if len(ahead) > MERGE_THREADS:
                write_oldest()
        while ahead:
            write_oldest()


def _write_lines(rows: pl.DataFrame | None, handle: BinaryIO) -> None:
    """The window's finished CSV lines, as they are, one per row."""
    if rows is not None:
        rows.select("line").write_csv(handle, include_header=False, quote_style="never", line_terminator="\n")


def _window_of(windows: Sequence[tuple[int, int]], file_starts: Sequence[int]) -> int:
    """The last window that reads a partition's file (``file_starts``: its bucket starts)."""
    last_bucket = int(np.searchsorted(np.asarray(file_starts), file_starts[-1], side="left")) - 1
    return next(number for number, (first, end) in enumerate(windows) if first <= last_bucket < end)


def merge_windows(
    starts: Sequence[Sequence[int]], buckets: int, rows: int | None = None
) -> list[tuple[int, int]]:
    """Consecutive buckets ``[first, end)`` read and sorted together: about ``rows``
    (:data:`MERGE_WINDOW_ROWS`) rows of every partition's file (``starts``: where each bucket
    starts in each file), at least one bucket.

    Each partition's slice of a window is one Parquet scan, whose fixed cost (about 1 ms: the
    file's metadata, the plan) is paid per partition and per window: windows of many rows,
    not of one bucket, keep it small beside the rows (shortfalls have about a fifth of the
    allocations' rows per bucket). The buckets themselves stay as small as the partitions cut
    them."""
    limit = rows or MERGE_WINDOW_ROWS
    windows: list[tuple[int, int]] = []
    first, held = 0, 0
    for bucket in range(buckets):
        held += sum(file_starts[bucket + 1] - file_starts[bucket] for file_starts in starts)
        if held >= limit or bucket == buckets - 1:
            windows.append((first, bucket + 1))
            first, held = bucket + 1, 0
    return windows


def _merge_balances(runs: Sequence[SpilledFile], path: Path, merge_rows: int | None) -> dict[str, int]:
    """balances.csv from the partitions' runs (each sorted by import line), a window at a time."""
    by_status: dict[str, int] = {}
    with path.open("wb") as handle:
        handle.write((",".join(BALANCE_HEADER) + "\n").encode())
        for window in merge_runs(runs, BALANCE_ORDER, merge_rows):
            window.write_csv(handle, include_header=False, line_terminator="\n")
            for status, count in window.group_by("status").len().iter_rows():
                by_status[status] = by_status.get(status, 0) + count
    return by_status


def _exact_sum(values: Iterable[Decimal]) -> Decimal:
    """At 80 digits (``sum`` works in the default context: 28 digits, rounded)."""
    return functools.reduce(EXACT.add, values, Decimal(0))


def discharge_partitioned(
    frames: LedgerFrames | SpilledLedger,
    output_dir: Path,
    as_of: dt.date,
    rows: int | None = None,
    bucket: int | None = None,
    method: str = "fifo",
    waste: WasteAsked | None = None,
    merge_rows: int | None = None,
    workers: int | None = None,
    progress: ProgressLike | None = None,
) -> dict[str, Any]:
    """The whole discharge, its partitions on ``workers`` processes (:mod:`.partition_pool`: by
    default every core on a big ledger, else one after the other in this process); the files
    of one run, whatever the workers.

    ``frames`` in memory are first written to the spill folder as the spilled reader writes
    a folder. With ``waste``, the result also has ``"generated_waste"`` (:func:`merged_waste`).
    ``"timings"``: the wall seconds of each phase (:class:`_PhaseClock`), told to ``progress``."""
    spill = _spill_folder(output_dir)
    clock = _PhaseClock(as_progress(progress))
    try:
        clock.start("spilling the ledger's lines", "spill_s")
        ledger = frames if isinstance(frames, SpilledLedger) else spilled_from_frames(frames, spill)
        clock.start("ordering the export lines", "order_s")
        ordered = order_exports(ledger, spill, merge_rows)
        bounds = bucket_bounds(ordered.lines, bucket or bucket_exports(ordered))
        ranges = plan_partitions(ledger, ordered, rows)
        clock.start(f"discharging {len(ranges)} partitions", "partitions_s")
        work = PartitionWork(ledger, ordered, as_of, spill, bounds, method, partition_waste(waste, ordered))
        used = min(worker_count(workers, ledger.import_lines + ledger.export_lines), len(ranges))
        summaries = run_partitions(run_partition, work, ranges, used)
        remove_chunks(ordered)
        counts = merge(spill, bounds, output_dir, summaries, merge_rows, clock)
        clock.stop()
        counts["timings"] = clock.timings
        counts["partition_rows"] = rows or PARTITION_ROWS
        counts["workers"] = used
        if waste is not None:
            counts["generated_waste"] = merged_waste(summaries, waste)
        return counts
    finally:
        shutil.rmtree(spill, ignore_errors=True)


class _PhaseClock:
    """The wall seconds of each phase of a partitioned run (for run.json's ``"timings"``), each
    phase told to ``progress`` as it starts."""

    def __init__(self, progress: Progress = QUIET) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.key: str | None = None
        self.began = 0.0

    def start(self, name: str, key: str, total: int | None = None, unit: str = "") -> None:
        self.stop()
        self.progress.phase(name, total, unit)
        self.key, self.began = key, time.perf_counter()

    def stop(self) -> None:
        if self.key is not None:
            self.timings[self.key] = self.timings.get(self.key, 0.0) + time.perf_counter() - self.began
            self.key = None


def _spill_folder(output_dir: Path) -> Path:
    """A fresh folder for the partitions' files next to the outputs (shared storage for a cluster)."""
    spill = output_dir / ".immex-partitions"
    shutil.rmtree(spill, ignore_errors=True)
    spill.mkdir(parents=True)
    return spill
