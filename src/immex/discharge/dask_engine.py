"""The partitioned FIFO discharge on a Dask distributed cluster (``immex discharge --engine dask``).

The client (the machine running ``immex``) reads and validates the input
folder once, in batches, into a spill folder beside the outputs, which must
be on storage every worker reads and writes (NFS, SMB, a mounted bucket):
the import lines by part bucket and the export lines in discharge order
(Parquet; :mod:`immex.discharge.partitioned`). Each task reads only its own
parts' import lines and the export lines that need them, discharges them
(:func:`immex.discharge.partitioned.run_partition`) and writes its rows
back as Parquet; the client merges them into the contract's CSV files. The
bytes are those of the single-process run (tested on a ``LocalCluster``).

Without a scheduler address a ``LocalCluster`` of worker processes on this
machine is started and stopped. See ``docs/discharge_scale.md``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from immex.discharge.partition_pool import WORKERS_ENV, worker_count
from immex.discharge.partitioned import (
    PARTITION_ROWS,
    OrderedExports,
    PartitionSummary,
    PartitionWaste,
    WasteAsked,
    _spill_folder,
    bucket_bounds,
    bucket_exports,
    merge,
    merged_waste,
    order_exports,
    partition_waste,
    plan_partitions,
    remove_chunks,
    run_partition,
)
from immex.ledger.frames import LedgerFrames
from immex.ledger.spilled import SpilledLedger, spilled_from_frames

LOCAL_WORKERS = 2  # worker processes of the local cluster unless --workers or IMMEX_WORKERS says


def local_workers(requested: int | None) -> int:
    """Worker processes of the ``LocalCluster`` started without ``--scheduler``: ``--workers``,
    else ``IMMEX_WORKERS`` (as for the partitioned engine's pool), else :data:`LOCAL_WORKERS`."""
    if requested is None and not os.environ.get(WORKERS_ENV, "").strip():
        return LOCAL_WORKERS
    return worker_count(requested, 0)


def _partition_task(
    ledger: SpilledLedger,
    ordered: OrderedExports,
    parts: list[str],
    index: int,
    as_of: dt.date,
    spill: str,
    bounds: list[int],
    method: str = "fifo",
    waste: PartitionWaste | None = None,
) -> PartitionSummary:
    """One partition on a worker; with ``waste`` (the run's waste table) also its waste sums."""
    return run_partition(ledger, ordered, parts, index, as_of, Path(spill), bounds, method, waste)


def discharge_dask(
    frames: LedgerFrames | SpilledLedger,
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

    spill = _spill_folder(output_dir).resolve()
    try:
        ledger = frames if isinstance(frames, SpilledLedger) else spilled_from_frames(frames, spill)
        ledger = replace(ledger, folder=ledger.folder.resolve())
        ordered = order_exports(ledger, spill)
        bounds = bucket_bounds(ordered.lines, bucket or bucket_exports(ordered))
        ranges = plan_partitions(ledger, ordered, rows)
        cluster = (
            None
            if scheduler
            else LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
        )
        try:
            with Client(scheduler or cluster) as client:  # type: ignore[no-untyped-call]
                # the waste table is built once here and sent once to each worker, as the ledger is
                shared = client.scatter([ledger, ordered, partition_waste(waste, ordered)], broadcast=True)
                futures = [
                    client.submit(
                        _partition_task,
                        shared[0],
                        shared[1],
                        parts,
                        i,
                        as_of,
                        str(spill),
                        bounds,
                        method,
                        shared[2],
                        pure=False,
                    )
                    for i, parts in enumerate(ranges)
                ]
                summaries: list[PartitionSummary] = client.gather(futures)
        finally:
            if cluster is not None:
                cluster.close()
        remove_chunks(ordered)
        counts = merge(spill, bounds, output_dir, summaries)
        counts["partition_rows"] = rows or PARTITION_ROWS
        if waste is not None:
            counts["generated_waste"] = merged_waste(summaries, waste)
        return {**counts, "scheduler": scheduler or f"LocalCluster({workers} workers)"}
    finally:
        shutil.rmtree(spill, ignore_errors=True)
