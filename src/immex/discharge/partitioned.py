"""The FIFO discharge in partitions of parts: memory set by the partition, the same bytes as one run.

Under FIFO the parts are independent: an import line is consumed only by
requirements of its own part. So the parts (in name order) are cut into
contiguous ranges of about ``rows`` requirements + import lines each, and
each range is discharged alone with
:func:`immex.discharge.fast.discharge_frames` (which then also picks the
fixed-point scale and integer width for that range only). Every row of the
whole run belongs to exactly one range.

Each partition writes its rows to Parquet files in a spill folder,
allocations and shortfalls cut into buckets of export lines
(``_export`` ranges), balances whole. The merge then reads one bucket at a
time from every partition, sorts it by (export line, partition, part) —
partitions are name ranges in order, so that is the contract's order, and
the sort is stable, so each requirement's lots stay in FIFO order — and
appends it to the output CSV. Peak memory is one partition's work or one
bucket, not the ledger's allocations.

The same functions are the unit of work of the Dask engine
(:mod:`immex.discharge.dask_engine`): a partition needs only the spill
folder, on storage every worker can read.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from immex.core.numbers import EXACT, plain
from immex.discharge.fast import (
    ExportPlan,
    FramesResult,
    balances_frame,
    discharge_frames,
    part_names,
    plan_exports,
)
from immex.discharge.fast_directed import consumption
from immex.discharge.movements import generated_in_columns
from immex.discharge.waste import GeneratedWaste, WasteRatios
from immex.ledger.frames import LedgerFrames

PARTITION_FROM_LINES = 4_000_000  # import + export lines from which ``--engine auto`` partitions
# requirements + import lines per partition (about 1-2 GB of working memory); IMMEX_PARTITION_ROWS overrides
PARTITION_ROWS = int(os.environ.get("IMMEX_PARTITION_ROWS", "4000000"))
BUCKET_ROWS = 1_000_000  # requirements (about as many allocations) per merge bucket, sorted at once
# The reader of a partitioned run checks imports.csv and exports.csv this many rows at a time
# (``read_ledger_frames(folder, batch_rows)``); IMMEX_READ_BATCH_ROWS overrides.
READ_BATCH_ROWS = int(os.environ.get("IMMEX_READ_BATCH_ROWS", "500000"))
STREAM_FROM_BYTES = 200 * 2**20  # imports.csv + exports.csv from which ``auto`` reads in batches
KEYS = ["_export", "_partition", "_part"]
BALANCE_ORDER = ["import_pedimento", "import_line", "part"]


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


@dataclass(frozen=True)
class WasteAsked:
    """What the waste pass needs from each partition: the BOM's waste ratios and the parts
    summed by export date (those with disposals to check)."""

    ratios: WasteRatios
    dated: frozenset[str]


def read_batch_rows(folder: Path, engine: str) -> int | None:
    """Rows per batch for the reader: the partitioned and Dask engines (and ``auto`` on big
    files, which it will partition) read the line files in batches; None: whole."""
    if engine in ("partitioned", "dask"):
        return READ_BATCH_ROWS
    if engine != "auto":
        return None
    sizes = sum(path.stat().st_size for path in folder.glob("*") if path.name.lower() in _LINE_FILES)
    return READ_BATCH_ROWS if sizes >= STREAM_FROM_BYTES else None


_LINE_FILES = ("imports.csv", "exports.csv")


def plan_partitions(frames: LedgerFrames, plan: ExportPlan, rows: int | None = None) -> list[list[str]]:
    """Contiguous ranges of part names with at most about ``rows`` requirements + import lines each."""
    rows = rows or PARTITION_ROWS
    names = part_names(frames, plan)
    weight = dict.fromkeys(names, 0)
    for part, count in frames.imports.group_by("part").len().iter_rows():
        weight[part] += count
    key_counts = plan.exports["key"].value_counts()
    for key, count in key_counts.iter_rows():
        for part in plan.needs[key]:
            weight[part] += count
    ranges: list[list[str]] = [[]]
    filled = 0
    for name in names:
        if ranges[-1] and filled + weight[name] > rows:
            ranges.append([])
            filled = 0
        ranges[-1].append(name)
        filled += weight[name]
    return ranges


def bucket_exports(plan: ExportPlan, rows: int | None = None) -> int:
    """Export lines per merge bucket: about ``rows`` requirements (each export line has the
    leaves of its BOM)."""
    rows = rows or BUCKET_ROWS
    counts = plan.exports["key"].value_counts()
    requirements = sum(count * len(plan.needs[key]) for key, count in counts.iter_rows())
    per_export = requirements / max(plan.exports.height, 1)
    return max(1, int(rows / max(per_export, 1)))


def bucket_bounds(n_exports: int, size: int) -> list[int]:
    """Export positions where merge buckets start (and the end)."""
    return [*range(0, n_exports, max(size, 1)), n_exports] if n_exports else [0, 0]


def run_partition(
    frames: LedgerFrames,
    plan: ExportPlan,
    parts: Sequence[str],
    index: int,
    as_of: dt.date,
    spill: Path,
    bounds: Sequence[int],
    method: str = "fifo",
    waste: WasteAsked | None = None,
) -> PartitionSummary:
    """Discharge the parts of one partition and write its rows to ``spill`` (Parquet); sum the
    waste of its allocations while they are in memory (parts are in one partition only)."""
    result = discharge_frames(frames, plan, parts, keys=True, **consumption(method))
    tag = pl.lit(index, dtype=pl.Int64).alias("_partition")
    for name, frame in (("allocations", result.allocations), ("shortfalls", result.shortfalls)):
        frame = frame.with_columns(tag)
        cut = np.searchsorted(
            np.asarray(bounds[1:-1], dtype=np.int64), frame["_export"].to_numpy(), side="right"
        )
        for bucket, rows in (
            frame.with_columns(_bucket=pl.Series(cut, dtype=pl.Int64))
            .partition_by("_bucket", as_dict=True, maintain_order=True)
            .items()
        ):
            rows.drop("_bucket").write_parquet(spill / f"{name}-{int(bucket[0]):06d}-{index:06d}.parquet")
    balances_frame(result, as_of).write_parquet(spill / f"balances-{index:06d}.parquet")
    return PartitionSummary(
        index,
        result.allocations.height,
        result.shortfalls.height,
        result.late,
        plain(result.total_allocated),
        plain(result.total_missing),
        _waste_sums(result, waste),
    )


def _waste_sums(
    result: FramesResult, asked: WasteAsked | None
) -> tuple[tuple[str, Fraction, dt.date, str], ...]:
    """The partition's waste sums as plain values (they travel back from Dask workers)."""
    if asked is None or not asked.ratios.any or result.allocated is None:
        return ()
    generated = generated_in_columns(result.allocated, result.scale, asked.ratios, set(asked.dated))
    sums: list[tuple[str, Fraction, dt.date, str]] = []
    for part, totals in generated.totals.items():
        for ratio, total in totals.items():
            value = asked.ratios.values[ratio]
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
    spill: Path, bounds: Sequence[int], output_dir: Path, summaries: Iterable[PartitionSummary]
) -> dict[str, Any]:
    """Write allocations.csv, shortfalls.csv and balances.csv from the partitions' files, bucket by bucket;
    return the counts and totals for run.json (as :func:`~immex.discharge.fast.write_discharge_frames`)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    heads = {
        "allocations": [
            "export_pedimento",
            "export_line",
            "product",
            "part",
            "import_pedimento",
            "import_line",
            "qty",
            "late",
        ],
        "shortfalls": ["export_pedimento", "export_line", "product", "part", "qty_missing"],
    }
    for name, columns in heads.items():
        with (output_dir / f"{name}.csv").open("wb") as handle:
            handle.write((",".join(columns) + "\n").encode())
            for bucket in range(len(bounds) - 1):
                files = sorted(spill.glob(f"{name}-{bucket:06d}-*.parquet"))
                if files:
                    rows = pl.read_parquet(files).sort(KEYS, maintain_order=True).select(columns)
                    rows.write_csv(handle, include_header=False, line_terminator="\n")
    balances = pl.read_parquet(sorted(spill.glob("balances-*.parquet"))).sort(BALANCE_ORDER)
    balances.write_csv(output_dir / "balances.csv", line_terminator="\n")
    done = list(summaries)
    return {
        "allocations": sum(s.allocations for s in done),
        "shortfalls": sum(s.shortfalls for s in done),
        "balances": balances.height,
        "late_allocations": sum(s.late for s in done),
        "balances_by_status": dict(balances.group_by("status").len().sort("status").iter_rows()),
        "qty_allocated": plain(_exact_sum(Decimal(s.qty_allocated) for s in done)),
        "qty_missing": plain(_exact_sum(Decimal(s.qty_missing) for s in done)),
        "partitions": len(done),
    }


def _exact_sum(values: Iterable[Decimal]) -> Decimal:
    """At 80 digits (``sum`` works in the default context: 28 digits, rounded)."""
    return functools.reduce(EXACT.add, values, Decimal(0))


def _in_process(
    function: Callable[..., PartitionSummary], jobs: list[tuple[Any, ...]]
) -> list[PartitionSummary]:
    return [function(*job) for job in jobs]


def discharge_partitioned(
    frames: LedgerFrames,
    output_dir: Path,
    as_of: dt.date,
    rows: int | None = None,
    bucket: int | None = None,
    method: str = "fifo",
    waste: WasteAsked | None = None,
) -> dict[str, Any]:
    """The whole discharge, one partition after the other in this process; the files of one run.

    With ``waste``, the result also has ``"generated_waste"`` (:func:`merged_waste`)."""
    plan = plan_exports(frames)
    spill = _spill_folder(output_dir)
    try:
        bounds = bucket_bounds(plan.exports.height, bucket or bucket_exports(plan))
        jobs = [
            (frames, plan, parts, i, as_of, spill, bounds, method, waste)
            for i, parts in enumerate(plan_partitions(frames, plan, rows))
        ]
        summaries = _in_process(run_partition, jobs)
        counts = merge(spill, bounds, output_dir, summaries)
        if waste is not None:
            counts["generated_waste"] = merged_waste(summaries, waste)
        return counts
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _spill_folder(output_dir: Path) -> Path:
    """A fresh folder for the partitions' files next to the outputs (shared storage for a cluster)."""
    spill = output_dir / ".immex-partitions"
    shutil.rmtree(spill, ignore_errors=True)
    spill.mkdir(parents=True)
    return spill
