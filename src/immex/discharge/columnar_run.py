"""``immex discharge`` without a database: the input folder discharged on columns.

This is the discharge of :mod:`immex.discharge.service` up to its columnar path,
without the store: it imports the columnar engines, the readers and the output
writers, not SQLAlchemy, the ORM models or the stored path (about 0.4 s of a
command's start). :func:`run_discharge` hands every other case (``--db``, the
per-row engine, a folder the columnar reader cannot prove valid) to
:func:`immex.discharge.service.run_discharge`, imported only then.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from immex.core.atomic import atomic_folder, file_digests, output_error
from immex.core.fingerprint import files_fingerprint
from immex.core.problems import InputError, Problem
from immex.core.progress import QUIET, Progress, ProgressLike, as_progress
from immex.discharge.dask_engine import discharge_dask, local_workers
from immex.discharge.fast import discharge_frames, write_discharge_frames
from immex.discharge.fast_directed import consumption
from immex.discharge.fast_methods import VECTORIZED_METHODS
from immex.discharge.methods import DISCHARGE_METHODS, Balance, DischargeResult
from immex.discharge.movements import (
    folder_movement_outputs,
    read_movements_beside_frames,
    write_movement_outputs,
)
from immex.discharge.outputs import DISCHARGE_CSVS, OUTPUT_FILES, write_run_json, write_warnings
from immex.discharge.partitioned import WasteAsked, auto_engine, discharge_partitioned, read_columnar
from immex.discharge.waste import WasteRatios
from immex.ledger.read import find_bom_cycle, non_discharging_warnings, pedimento_warnings

ENGINES = ("auto", "columnar", "partitioned", "dask", "per-row")

input_fingerprint = files_fingerprint


@dataclass
class DischargeOutcome:
    run: dict[str, Any]
    result: DischargeResult
    balances: list[Balance]
    warnings: list[Problem] = field(default_factory=list)


def check_choices(engine: str, method: str) -> None:
    """InputError naming ``--engine`` or ``--method`` when it is not one of the known ones."""
    if engine not in ENGINES:
        raise InputError(
            [Problem("", None, "engine", f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")]
        )
    check_method(method)


def check_method(method: str) -> None:
    """InputError naming ``method`` when it is not one of the discharge's methods (CLI, API, web)."""
    if method not in DISCHARGE_METHODS:
        known = ", ".join(DISCHARGE_METHODS)
        raise InputError([Problem("", None, "method", f"unknown method {method!r}; use one of {known}")])


def run_discharge(
    input_dir: Path,
    output_dir: Path,
    method: str = "fifo",
    as_of: dt.date | None = None,
    db_url: str | None = None,
    progress: ProgressLike = QUIET,
    engine: str = "auto",
    scheduler: str | None = None,
    workers: int | None = None,
) -> DischargeOutcome:
    """:func:`immex.discharge.service.run_discharge`, loading the store's modules only when needed.

    ``workers``: processes for the partitions of a partitioned run (:mod:`.partition_pool`)."""
    check_choices(engine, method)
    if db_url is None and engine != "per-row" and columnar_serves(method, engine):
        done = run_columnar(
            input_dir,
            output_dir,
            as_of or dt.date.today(),
            as_progress(progress),
            engine,
            scheduler,
            method,
            workers,
        )
        if done is not None:
            return done
    from immex.discharge import service  # the per-row and stored paths

    return service.run_discharge(
        input_dir, output_dir, method, as_of, db_url, progress, engine, scheduler, columnar=False
    )


@contextmanager
def output_folder(output_dir: Path, stored: str | None) -> Iterator[Path]:
    """The output folder, written beside ``output_dir`` and put in place whole (or not at all).

    A file-system error (full disk, no permission) becomes one line; ``stored``
    (``run 7``) says the run is already in the database and how to get the files.
    """
    try:
        with atomic_folder(output_dir, OUTPUT_FILES) as folder:
            yield folder
    except OSError as error:
        raise output_error(output_dir, error, stored or "") from error


def run_columnar(
    input_dir: Path,
    output_dir: Path,
    as_of: dt.date,
    progress: Progress,
    engine: str = "auto",
    scheduler: str | None = None,
    method: str = "fifo",
    workers: int | None = None,
) -> DischargeOutcome | None:
    """The batch path for big folders: Polars columns end to end, the same output files.

    FIFO, LIFO and directed run on every engine (only the consumption step differs,
    :func:`immex.discharge.fast_directed.consumption`; parts are independent under all three).

    ``read_ledger_frames`` accepts only a folder it can prove valid with the
    per-row reader's checks; otherwise this returns None and the per-row path
    runs, so error messages are always the per-row reader's.
    """
    started = time.perf_counter()
    progress("reading and validating the input (columnar)")
    frames, spilled = read_columnar(input_dir, output_dir, engine)  # spilled: line files on disk
    if frames is None or find_bom_cycle(frames.boms) is not None:
        return None
    moves = read_movements_beside_frames(input_dir)
    if moves is None:
        return None  # a problem in submaquila.csv or waste.csv: the per-row path reports it
    fingerprint = input_fingerprint((*frames.sources, *moves.sources))
    validated = time.perf_counter()
    lines = (
        (spilled.import_lines, spilled.export_lines)
        if spilled
        else (frames.imports.height, frames.exports.height)
    )
    why = None
    if engine == "auto":
        engine, why = auto_engine(spilled is not None, sum(lines))
    progress(f"discharging (vectorized, {engine})")
    result = discharge_frames(frames, **consumption(method)) if engine == "columnar" else None
    discharged = time.perf_counter()
    progress("writing the output folder")
    warnings = pedimento_warnings(frames.pedimento_rows) + non_discharging_warnings(frames.not_discharging)
    with (
        output_folder(output_dir, None) as folder,
        ThreadPoolExecutor(max_workers=1) as hashing,
        ThreadPoolExecutor(max_workers=1) as side,
    ):
        waste = None
        if result is not None:
            if result.allocated is not None:
                # The waste from the allocation columns in memory (not from the files) while the
                # files are written: its Python part (BOM ratios per product) runs while the main
                # thread waits in Polars' writer, which does not hold the GIL.
                waste = side.submit(
                    folder_movement_outputs, folder, frames, moves.movements, as_of, result, None
                )
            summary = write_discharge_frames(folder, result, as_of)
        else:  # these discharge and write together: discharge_s includes the writing
            asked = WasteAsked(WasteRatios(frames.boms), frozenset(d.part for d in moves.movements.disposals))
            if engine == "dask":
                summary = discharge_dask(
                    spilled or frames,
                    folder,
                    as_of,
                    scheduler,
                    workers=local_workers(workers),
                    method=method,
                    waste=asked,
                )
            else:
                summary = discharge_partitioned(
                    spilled or frames,
                    folder,
                    as_of,
                    method=method,
                    waste=asked,
                    workers=workers,
                    progress=progress,
                )
            discharged = time.perf_counter()
        # the three CSV files are final: hashed (and flushed) while the waste and the rest are done
        digests = hashing.submit(file_digests, folder, DISCHARGE_CSVS)
        counts = {
            "parts": frames.parts.height,
            "import_lines": lines[0],
            "export_lines": lines[1],
            "not_discharging": len(frames.not_discharging),
            "regularizations": 0,  # a folder with regularizations.csv takes the per-row path
            **{
                k: summary[k]
                for k in ("allocations", "shortfalls", "balances", "late_allocations", "balances_by_status")
            },
        }
        # waste (from the columns above, or from the allocations.csv just written); disposing of
        # too much raises before publishing
        counts.update(
            write_movement_outputs(
                folder,
                waste.result()
                if waste is not None
                else folder_movement_outputs(
                    folder, frames, moves.movements, as_of, result, summary.get("generated_waste")
                ),
            )
        )
        totals = {"qty_allocated": summary["qty_allocated"], "qty_missing": summary["qty_missing"]}
        timings = {
            "validate_s": validated - started,
            "discharge_s": discharged - validated,
            "total_s": time.perf_counter() - started,
            **summary.get("timings", {}),  # the partitioned run's phases
        }
        run = run_record(
            f"{fingerprint[:12]}-{method}", method, as_of, fingerprint, engine, counts, totals, timings
        )
        run.update(
            {k: summary[k] for k in ("partitions", "partition_rows", "workers", "scheduler") if k in summary}
        )
        if why:
            run["why"] = why
        run["encodings"] = dict(frames.encodings)
        write_warnings(folder, warnings)
        run = write_run_json(folder, run, digests.result())
    return DischargeOutcome(run, DischargeResult((), ()), [], warnings)


def columnar_serves(method: str, engine: str) -> bool:
    """FIFO, LIFO and directed on every engine (``engine`` kept for methods that may not be)."""
    del engine
    return method in VECTORIZED_METHODS


def run_record(
    run_id: int | str,
    method: str,
    as_of: dt.date,
    fingerprint: str,
    engine: str,
    counts: dict[str, Any],
    totals: dict[str, str],
    timings: dict[str, float],
    reused: bool = False,
) -> dict[str, Any]:
    """The content of run.json, whichever path produced the run."""
    return {
        "run_id": run_id,
        "method": method,
        "as_of": as_of.isoformat(),
        "input_fingerprint": fingerprint,
        "reused_existing_run": reused,
        "engine": engine,
        "counts": counts,
        "totals": totals,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
