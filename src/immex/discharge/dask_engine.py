"""The partitioned FIFO discharge on a Dask distributed cluster (``immex discharge --engine dask``).

The client (the machine running ``immex``) reads and validates the input
folder once, then writes what the partitions need to a spill folder next to
the outputs, which must be on storage every worker reads and writes (NFS,
SMB, a mounted bucket): the import lines (Parquet), the export lines in
discharge order (Parquet) and the rest of the ledger (parts, BOMs, scales;
pickled). Each task reads only its own parts' import lines, discharges
them (:func:`immex.discharge.partitioned.run_partition`) and writes its rows
back as Parquet; the client merges them into the contract's CSV files. The
bytes are those of the single-process run (tested on a ``LocalCluster``).

Without a scheduler address a ``LocalCluster`` of worker processes on this
machine is started and stopped. See ``docs/discharge_scale.md``.
"""

from __future__ import annotations

import datetime as dt
import pickle
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from immex.discharge.fast import ExportPlan, plan_exports
from immex.discharge.partitioned import (
    PartitionSummary,
    WasteAsked,
    _spill_folder,
    bucket_bounds,
    bucket_exports,
    merge,
    merged_waste,
    plan_partitions,
    run_partition,
)
from immex.discharge.waste import WasteRatios
from immex.ledger.frames import LedgerFrames

LOCAL_WORKERS = 2


def _save(frames: LedgerFrames, plan: ExportPlan, spill: Path) -> None:
    frames.imports.write_parquet(spill / "imports.parquet")
    plan.exports.write_parquet(spill / "exports.parquet")
    rest = replace(frames, imports=frames.imports.clear(), exports=frames.exports.clear())
    (spill / "ledger.pickle").write_bytes(pickle.dumps((rest, plan.needs)))


def _partition_task(
    spill: str,
    parts: list[str],
    index: int,
    as_of: dt.date,
    bounds: list[int],
    method: str = "fifo",
    dated: frozenset[str] | None = None,
) -> PartitionSummary:
    """One partition on a worker: its parts' import lines only, the export lines, the rest of the
    ledger; with ``dated`` (the waste pass asked) also its waste sums."""
    folder = Path(spill)
    rest, needs = pickle.loads((folder / "ledger.pickle").read_bytes())
    imports = pl.scan_parquet(folder / "imports.parquet").filter(pl.col("part").is_in(parts)).collect()
    exports = pl.read_parquet(folder / "exports.parquet")
    frames = replace(rest, imports=imports, exports=exports)
    waste = None if dated is None else WasteAsked(WasteRatios(rest.boms), dated)
    plan = ExportPlan(exports, needs)
    return run_partition(frames, plan, parts, index, as_of, folder, bounds, method, waste)


def discharge_dask(
    frames: LedgerFrames,
    output_dir: Path,
    as_of: dt.date,
    scheduler: str | None = None,
    rows: int | None = None,
    bucket: int | None = None,
    workers: int = LOCAL_WORKERS,
    method: str = "fifo",
    waste: WasteAsked | None = None,
) -> dict[str, Any]:
    """The partitioned discharge with one Dask task per partition; returns the counts for run.json
    (and, with ``waste``, ``"generated_waste"``, each worker summing its partition's)."""
    from dask.distributed import Client, LocalCluster  # imported here: only this engine needs Dask

    plan = plan_exports(frames)
    spill = _spill_folder(output_dir)
    try:
        _save(frames, plan, spill)
        bounds = bucket_bounds(plan.exports.height, bucket or bucket_exports(plan))
        ranges = plan_partitions(frames, plan, rows)
        cluster = (
            None
            if scheduler
            else LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
        )
        try:
            with Client(scheduler or cluster) as client:  # type: ignore[no-untyped-call]
                futures = [
                    client.submit(
                        _partition_task,
                        str(spill.resolve()),
                        parts,
                        i,
                        as_of,
                        bounds,
                        method,
                        None if waste is None else waste.dated,
                        pure=False,
                    )
                    for i, parts in enumerate(ranges)
                ]
                summaries: list[PartitionSummary] = client.gather(futures)
        finally:
            if cluster is not None:
                cluster.close()
        counts = merge(spill, bounds, output_dir, summaries)
        if waste is not None:
            counts["generated_waste"] = merged_waste(summaries, waste)
        return {**counts, "scheduler": scheduler or f"LocalCluster({workers} workers)"}
    finally:
        shutil.rmtree(spill, ignore_errors=True)
