"""The discharge use case: validate the input folder, (optionally) store it, discharge, write outputs.

Without a database the whole run stays in memory (the fast batch path). With
one, the input is merged into the stored ledger in the same transaction as
the run, the discharge runs over the whole stored ledger, and only the export
lines whose discharge changed get new allocation rows (their old rows are
reversed, never updated): re-running the same input adds nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Integer, cast, select
from sqlalchemy.orm import Session

from immex.core.fingerprint import lines_fingerprint
from immex.core.numbers import EXACT, plain
from immex.core.problems import InputError, Problem
from immex.core.progress import QUIET, Progress, ProgressLike, as_progress, counted
from immex.discharge.columnar_run import DischargeOutcome as DischargeOutcome  # callers import it from here
from immex.discharge.columnar_run import check_choices, input_fingerprint
from immex.discharge.columnar_run import columnar_serves as _columnar_serves
from immex.discharge.columnar_run import output_folder as _output_folder
from immex.discharge.columnar_run import run_columnar as _run_columnar
from immex.discharge.columnar_run import run_record as _run_record
from immex.discharge.fast import FramesResult, discharge_frames, fifo_columns, write_discharge_frames
from immex.discharge.fast_lifo import lifo_columns
from immex.discharge.fast_methods import VECTORIZED_METHODS, discharge_fast_method
from immex.discharge.methods import (
    Allocation,
    Balance,
    DischargeResult,
    Shortfall,
    balances,
    discharge,
)
from immex.discharge.movements import (
    MovementOutputs,
    folder_movement_outputs,
    movement_outputs,
    overdisposal_problems,
    read_movements,
    stored_movement_outputs,
    write_movement_outputs,
)
from immex.discharge.outputs import write_discharge_outputs, write_run_json, write_warnings
from immex.discharge.regularize import (
    EXACT_PATH_NOTE,
    discharge_regularized,
    overdraw_problems,
    stored_ledger,
)
from immex.discharge.stored_frames import (
    CURRENT_SCHEMA,
    changed_export_lines,
    compact_rows,
    export_line_blocks,
    ledger_fingerprint,
    wanted_rows,
)
from immex.ledger.frames import LedgerFrames, read_ledger_frames
from immex.ledger.frames import _table as text_table
from immex.ledger.invariants import (
    active_rows_query,
    check_new_runs,
    no_new_overdraws,
    note_new_run,
    overdrawn_ids,
)
from immex.ledger.model import Ledger
from immex.ledger.movements import MOVEMENT_TABLES, Movements
from immex.ledger.movements_orm import load_movements
from immex.ledger.orm import (
    AdjustmentRow,
    AllocationReversalRow,
    AllocationRow,
    Company,
    DischargeRunRow,
    ExportLineRow,
    ImportLineRow,
    PedimentoRow,
    RunReversalRow,
)
from immex.ledger.read import (
    UnitConverter,
    find_bom_cycle,
    named_as_read,
    non_discharging_warnings,
    pedimento_warnings,
    read_ledger,
    source_files,
)
from immex.ledger.schema import EXPORTS, IMPORTS
from immex.ledger.service import (
    company_id,
    current_user,
    ledger_fingerprint_rows,
    load_ledger,
    load_reference_data,
    store_ledger,
    store_reference_data,
)
from immex.ledger.store_frames import (
    StoredConflict,
    StoredLedger,
    clave_kinds,
    line_frame,
    load_ledger_frames,
    store_line_frame,
)
from immex.store.copy import bulk_insert, indexes_built_after, insert_frame, read_frame_blocks
from immex.store.uow import UnitOfWork


def _ledger_fingerprint(ledger: Ledger) -> str:
    return lines_fingerprint(ledger_fingerprint_rows(ledger))


def compute(ledger: Ledger, method: str, progress: Progress = QUIET) -> DischargeResult:
    """The fast engine where it exists for the method, else the exact domain version."""
    if method in VECTORIZED_METHODS:
        # whole columns at once: the export lines are counted done when the engine returns
        progress.phase("discharging", total=len(ledger.exports), unit="export lines")
        result = discharge_regularized(ledger, method, discharge_fast_method)  # A3 parts: exact path
        progress.advance(len(ledger.exports))
        return result
    return _discharge_by_row(ledger, method, progress)


def _discharge_by_row(ledger: Ledger, method: str, progress: Progress) -> DischargeResult:
    progress.phase("discharging", total=len(ledger.exports), unit="export lines")
    return discharge(ledger, method, progress)


def run_discharge(
    input_dir: Path,
    output_dir: Path,
    method: str = "fifo",
    as_of: dt.date | None = None,
    db_url: str | None = None,
    progress: ProgressLike = QUIET,
    engine: str = "auto",
    scheduler: str | None = None,
    columnar: bool = True,
) -> DischargeOutcome:
    """Validate, discharge and write the contract's output folder. Raises InputError on bad input.

    ``engine``: ``auto`` (columnar; partitioned for big folders), ``columnar``,
    ``partitioned`` or ``dask`` (``scheduler``: a Dask scheduler address, else a
    local cluster). The per-row reader runs when these cannot (``--db``, LIFO,
    directed, a folder the columnar reader cannot prove valid; the discharge
    itself is then still vectorized, except for a method without a fast
    engine): run.json says why. ``columnar=False``: the caller
    (:func:`immex.discharge.columnar_run.run_discharge`) has tried the columnar path already.
    """
    progress = as_progress(progress)
    check_choices(engine, method)
    as_of = as_of or dt.date.today()
    why = (
        "--db: the stored path"
        if db_url is not None
        else "--engine per-row: the per-row reader validated the folder"
        if engine == "per-row"
        else (
            f"the columnar path serves FIFO, LIFO and directed: the per-row reader"
            f" validated the folder, then the {method} discharge ran"
            if not _columnar_serves(method, engine)
            else "the columnar reader could not prove the folder valid (the per-row reader checks it)"
        )
    )
    if columnar and db_url is None and engine != "per-row" and _columnar_serves(method, engine):
        fast = _run_columnar(input_dir, output_dir, as_of, progress, engine, scheduler, method)
        if fast is not None:
            return fast
    if db_url is not None and method in STORED_COLUMNAR_METHODS:
        stored = _run_stored_columnar(input_dir, output_dir, db_url, method, as_of, progress)
        if isinstance(stored, DischargeOutcome):
            return stored
        why = f"--db: the stored path on domain values ({stored})"
    timings: dict[str, float] = {}
    started = time.perf_counter()
    staged = read_ledger(input_dir, progress=progress)
    moves = read_movements(input_dir, staged.ledger)  # submaquila.csv, waste.csv (issue 13)
    labels = {**staged.labels, **moves.labels}  # a sheet is named as the workbook has it
    if staged.problems or moves.problems or staged.ledger is None:
        # the stored ledger (read only) only when an A3 or a disposal is to be checked with it
        partial = staged.partial
        asked = partial is not None and bool(partial.regularizations or moves.movements.disposals)
        in_store = stored_ledger(db_url) if db_url is not None and asked else None
        overdrawn = overdraw_problems(staged, method, in_store)  # one errors.csv
        overdrawn += overdisposal_problems(input_dir, staged, method, in_store)  # waste disposed of
        raise InputError(named_as_read([*staged.problems, *moves.problems, *overdrawn], labels))
    fingerprint = input_fingerprint((*staged.fingerprint_sources, *moves.sources))
    timings["validate_s"] = time.perf_counter() - started
    try:  # an A3 or a disposal asking too much, a stored row that differs: named as read
        if db_url is None:
            ledger = staged.ledger
            result = compute(ledger, method, progress)
            moved = movement_outputs(ledger, result.allocations, moves.movements, as_of)
            run_id: int | str = f"{fingerprint[:12]}-{method}"
            reused = False
        else:
            ledger, result, run_id, reused, moved = _run_in_store(
                db_url, staged.ledger, method, as_of, fingerprint, progress, moves.movements
            )
    except InputError as error:
        raise InputError(named_as_read(error.problems, labels)) from None
    timings["discharge_s"] = time.perf_counter() - started - timings["validate_s"]
    progress.phase("computing balances")
    rows = balances(ledger, result.allocations, as_of)
    with _output_folder(output_dir, None if db_url is None else f"run {run_id}") as folder:
        counts = _write_outputs(folder, result, rows, progress)
        counts.update(write_movement_outputs(folder, moved))
        timings["total_s"] = time.perf_counter() - started
        run = _run_summary(
            run_id,
            method,
            as_of,
            fingerprint,
            ledger,
            result,
            rows,
            counts,
            timings,
            reused,
            "per-row" if db_url is None else "stored",
        )
        run["encodings"] = staged.encodings
        run["why"] = why
        if staged.ledger.regularizations and method in VECTORIZED_METHODS:
            first = why if db_url is not None else "regularizations.csv is read by the per-row reader"
            run["why"] = f"{first}; {EXACT_PATH_NOTE}"
        write_warnings(folder, staged.warnings)
        run = write_run_json(folder, run)
    return DischargeOutcome(run, result, rows, staged.warnings)


def _write_outputs(
    output_dir: Path, result: DischargeResult, rows: list[Balance], progress: Progress
) -> dict[str, int]:
    """The three CSV files, counted row by row as they are written."""
    total = len(result.allocations) + len(result.shortfalls) + len(rows)
    progress.phase("writing the output folder", total=total, unit="rows")
    return write_discharge_outputs(
        output_dir,
        counted(result.allocations, progress),
        counted(result.shortfalls, progress),
        counted(rows, progress),
    )


def _run_summary(
    run_id: int | str,
    method: str,
    as_of: dt.date,
    fingerprint: str,
    ledger: Ledger,
    result: DischargeResult,
    rows: Sequence[Balance],
    counts: dict[str, int],
    timings: dict[str, float],
    reused: bool,
    engine: str,
) -> dict[str, Any]:
    by_status: dict[str, int] = defaultdict(int)
    for row in rows:
        by_status[row.status] += 1
    all_counts = {
        "parts": len(ledger.parts),
        "import_lines": len(ledger.imports),
        "export_lines": len(ledger.exports),
        **counts,
        **_operation_counts(ledger),
        "late_allocations": sum(1 for a in result.allocations if a.late),
        "balances_by_status": dict(sorted(by_status.items())),
    }
    with localcontext(EXACT):  # exact sums: the default context rounds to 28 digits
        totals = {
            "qty_allocated": plain(sum((a.qty for a in result.allocations), start=Decimal(0))),
            "qty_missing": plain(sum((s.qty_missing for s in result.shortfalls), start=Decimal(0))),
        }
    return _run_record(run_id, method, as_of, fingerprint, engine, all_counts, totals, timings, reused)


def _operation_counts(ledger: Ledger) -> dict[str, int]:
    """Lines of the operations contract: not-discharging export lines and regularizations."""
    return {"not_discharging": len(ledger.not_discharging), "regularizations": len(ledger.regularizations)}


# ---- the stored path ---------------------------------------------------------------------------

AllocationKey = tuple[str, str | None, int | None, Any, bool]  # part, import ped., line, qty, late


def _run_in_store(
    db_url: str,
    staged: Ledger,
    method: str,
    as_of: dt.date,
    fingerprint: str,
    progress: Progress,
    movements: Movements | None = None,
) -> tuple[Ledger, DischargeResult, int, bool, MovementOutputs]:
    # The company's writer lock is taken first: everything below reads what the previous
    # writer committed, so two runs at once never allocate the same stock twice.
    with UnitOfWork(db_url, write=True, checks=[check_new_runs]) as uow:
        session = uow.session
        company = company_id(session, uow.company)
        _counts, problems = store_ledger(session, staged, company, progress)
        if problems:
            raise InputError(problems)  # rolls the transaction back: nothing stored
        progress.phase("loading the stored ledger")
        ledger = _as_staged(load_ledger(session, company), staged)
        result = compute(ledger, method, progress)  # an A3 asking too much raises: rolled back
        # sub-maquila and waste stored in the same transaction; disposing of too much rolls back
        moved = stored_movement_outputs(session, company, movements or Movements(), ledger, result, as_of)
        run_id, reused = _record_run(session, company, ledger, result, method, as_of, fingerprint, progress)
    return ledger, result, run_id, reused, moved


STORED_COLUMNAR_METHODS = ("fifo", "lifo")


class _PerRow(Exception):
    """The columnar stored path cannot serve this run (the reason): the transaction rolls back."""


def _run_stored_columnar(
    input_dir: Path, output_dir: Path, db_url: str, method: str, as_of: dt.date, progress: Progress
) -> DischargeOutcome | str:
    """``--db`` on columns: COPY the new lines in, discharge the stored ledger vectorized, COPY the rows.

    Returns why not when the per-row stored path must run instead (a folder the
    columnar reader cannot prove valid: its errors are the per-row reader's; an
    input line stored with other values; sub-maquila or waste; A3 lines,
    adjustments or a program end date in the store). Nothing is stored then.
    """
    started = time.perf_counter()
    progress("reading and validating the input (columnar)")
    read = _read_for_store(input_dir)
    if isinstance(read, str):
        return read
    frames, small, imports, exports = read
    fingerprint = input_fingerprint(frames.sources)
    warnings = pedimento_warnings(frames.pedimento_rows) + non_discharging_warnings(frames.not_discharging)
    encodings, small = dict(frames.encodings), dataclasses.replace(small, boms=frames.boms)
    del frames, read  # the folder's columns: the stored ledger is discharged, not these
    validated = time.perf_counter()
    phases: dict[str, float] = {}
    mark = _phase_clock(phases)
    try:
        # the rules checked where the run's rows reach (the ledger passed them at its last commit)
        with UnitOfWork(db_url, write=True, checks=[check_new_runs]) as uow:
            session = uow.session
            company = company_id(session, uow.company)
            _columnar_store_serves(session, company)
            if store_reference_data(session, small, company):
                raise _PerRow("a part, conversion or BOM is stored with other values")
            progress.phase("storing the input", total=imports.height + exports.height, unit="lines")
            held = clave_kinds(exports) == "not_discharging"
            added = _store_lines(session, company, "import", [imports], progress)
            added += _store_lines(
                session, company, "export", [exports.filter(~held), exports.filter(held)], progress
            )
            del imports, exports, held  # stored: their text is not held through the run
            mark("store_s")
            stored, result = _discharge_stored_frames(session, company, method, mark=mark, progress=progress)
            run_id, reused = _record_run_frames(
                session, company, stored, result, method, as_of, fingerprint, progress
            )
            if reused and not added:
                # No line, allocation or withdrawal written: the ledger is the one its last
                # writer's checks passed (a whole-ledger pass over tens of millions of rows).
                uow.checks.clear()
            mark("record_s")
            progress("checking the stored ledger and committing")
        mark("check_and_commit_s")
    except (_PerRow, StoredConflict) as reason:
        return str(reason)
    discharged = time.perf_counter()
    stored = _for_writing(stored)
    progress.phase("writing the output folder")
    with _output_folder(output_dir, f"run {run_id}") as folder:
        counts, totals = _write_stored_frames(folder, stored, result, as_of)
        timings = {
            "validate_s": validated - started,
            "discharge_s": discharged - validated,
            "total_s": time.perf_counter() - started,
        }
        run = _run_record(run_id, method, as_of, fingerprint, "stored", counts, totals, timings, reused)
        run["encodings"] = encodings
        run["why"] = COLUMNAR_STORED_WHY
        run["stored_phases"] = {k: round(v, 3) for k, v in phases.items()}  # parts of discharge_s
        write_warnings(folder, warnings)
        run = write_run_json(folder, run)
    return DischargeOutcome(run, DischargeResult((), ()), [], warnings)


def _store_lines(
    session: Session, company: int, operation: str, frames: list[pl.DataFrame], progress: Progress
) -> int:
    """Store the lines of ``frames`` (of one operation), in order; how many were new.

    A table that is empty (a store's first run) gets its secondary indexes built after
    the COPY, as the allocation table does (:func:`indexes_built_after`: other readers of
    the table wait for this transaction; a table in use or holding rows keeps them).
    """
    added = 0
    with indexes_built_after(session, ImportLineRow if operation == "import" else ExportLineRow):
        for frame in frames:
            added += store_line_frame(session, company, operation, frame)
            progress.advance(frame.height)
    return added


def _for_writing(stored: StoredLedger) -> StoredLedger:
    """``stored`` without the line ids and texts the run was recorded with: not held while writing."""
    return dataclasses.replace(
        stored,
        import_ids=stored.import_ids.clear(),
        export_ids=stored.export_ids.clear(),
        imports_text=stored.imports_text.clear(),
        exports_text=stored.exports_text.clear(),
    )


def _phase_clock(phases: dict[str, float]) -> Callable[[str], None]:
    """Records into ``phases`` the seconds since the previous call (or since it was made)."""
    last = [time.perf_counter()]

    def mark(name: str) -> None:
        now = time.perf_counter()
        phases[name] = now - last[0]
        last[0] = now

    return mark


def _read_for_store(
    input_dir: Path,
) -> tuple[LedgerFrames, Ledger, pl.DataFrame, pl.DataFrame] | str:
    """The folder as columns for the stored path, or why the per-row path must read it."""
    frames = read_ledger_frames(input_dir)
    if frames is None or find_bom_cycle(frames.boms) is not None:
        return "the columnar reader could not prove the folder valid (the per-row reader checks it)"
    present, problems = source_files(input_dir, MOVEMENT_TABLES)
    if present or problems:
        return "submaquila.csv or waste.csv are stored by the per-row path"
    small = read_ledger(input_dir, required=(), files=("parts.csv", "uom_conversions.csv"))
    if small.problems or small.ledger is None:
        return "the per-row reader refused parts.csv or uom_conversions.csv"
    units = UnitConverter(small.ledger.parts, small.ledger.conversions)
    paths, _ = source_files(input_dir, ("imports.csv", "exports.csv"))
    imports = line_frame(text_table(paths["imports.csv"], IMPORTS)[0], "import", units)
    exports = line_frame(text_table(paths["exports.csv"], EXPORTS)[0], "export", units)
    return frames, small.ledger, imports, exports


def _columnar_store_serves(session: Session, company: int, adjustments: bool = False) -> None:
    """Raise _PerRow when the store holds what only the per-row stored path handles.

    ``adjustments``: the caller writes no balances.csv (whose ``qty_adjusted`` the
    columnar writer does not have), so adjusted lines may be discharged net on columns.
    """
    has_adjustments = session.scalar(
        select(AdjustmentRow.id).where(AdjustmentRow.company_id == company).limit(1)
    )
    if has_adjustments and not adjustments:
        raise _PerRow("the store holds adjustments")
    row = session.get(Company, company)
    if row is not None and row.program_valid_to is not None:
        raise _PerRow("the company's program end date sets the deadline of fixed assets")
    if load_movements(session, company) != Movements():
        raise _PerRow("the store holds sub-maquila or waste movements")


def _discharge_stored_frames(
    session: Session,
    company: int,
    method: str,
    adjustments: bool = False,
    mark: Callable[[str], None] = lambda _phase: None,
    progress: Progress = QUIET,
) -> tuple[StoredLedger, FramesResult]:
    """The company's stored ledger as columns, discharged vectorized (reads only).

    Raises _PerRow or StoredConflict (the reason) when only the per-row stored path
    serves: a method without a columnar stored engine, or what ``_columnar_store_serves``
    refuses, or A3 lines in the store. Nothing is written before it raises.
    """
    if method not in STORED_COLUMNAR_METHODS:
        raise _PerRow(f"the columnar stored path serves {' and '.join(STORED_COLUMNAR_METHODS)}")
    _columnar_store_serves(session, company, adjustments)
    progress.phase("loading the stored ledger")  # the per-row stored path's step names
    parts, boms = load_reference_data(session, company)
    stored = load_ledger_frames(session, company, parts, boms, net_adjustments=adjustments)
    mark("load_s")
    progress.phase("discharging")
    consume = lifo_columns if method == "lifo" else fifo_columns
    result = discharge_frames(stored.frames, consume=consume)
    mark("compute_s")
    return stored, result


def _write_stored_frames(
    folder: Path, stored: StoredLedger, result: FramesResult, as_of: dt.date
) -> tuple[dict[str, Any], dict[str, str]]:
    """The output files of a columnar stored run: (run.json counts, totals).

    The waste comes from the result's allocation columns, on a thread while the files are
    written (as the in-memory run); read back from allocations.csv, it held a second copy
    of the run's rows beside the result, the stored run's peak.
    """
    with ThreadPoolExecutor(max_workers=1) as side:
        waste = side.submit(folder_movement_outputs, folder, stored.frames, Movements(), as_of, result)
        summary = write_discharge_frames(folder, result, as_of)
        moved = waste.result()
    counts = {
        "parts": len(stored.parts),
        "import_lines": stored.frames.imports.height,
        "export_lines": stored.frames.exports.height,
        "not_discharging": stored.held.height,
        "regularizations": 0,
        **{
            k: summary[k]
            for k in ("allocations", "shortfalls", "balances", "late_allocations", "balances_by_status")
        },
    }
    counts.update(write_movement_outputs(folder, moved))
    return counts, {"qty_allocated": summary["qty_allocated"], "qty_missing": summary["qty_missing"]}


COLUMNAR_STORED_WHY = (
    "--db: the stored path on columns (the new lines and the run's rows streamed with COPY on"
    " PostgreSQL, the stored ledger discharged vectorized)"
)


def _new_run(
    session: Session, company: int, what: tuple[str, dt.date, str, str], created_by: str, changed: int
) -> DischargeRunRow:
    """A new stored run (``what``: method, as-of date, input and ledger fingerprints), flushed for its id."""
    method, as_of, input_fingerprint, ledger_fp = what
    run = DischargeRunRow(
        company_id=company,
        method=method,
        as_of=as_of,
        input_fingerprint=input_fingerprint,
        ledger_fingerprint=ledger_fp,
        created_by=created_by,
        summary={"export_lines_changed": changed},
    )
    session.add(run)
    session.flush()
    note_new_run(session, run.id)  # its rows' references are checked at commit (no foreign keys)
    return run


def _record_run_frames(
    session: Session,
    company: int,
    stored: StoredLedger,
    result: FramesResult,
    method: str,
    as_of: dt.date,
    fingerprint: str,
    progress: Progress = QUIET,
    created_by: str | None = None,
) -> tuple[int, bool]:
    """``_record_run`` on columns: the same rows appended, the same reuse when nothing changed."""
    progress("comparing with the stored allocations")
    query = active_rows_query(company).with_only_columns(
        AllocationRow.id,
        AllocationRow.export_line_id,
        AllocationRow.part,
        AllocationRow.import_line_id,
        AllocationRow.qty,
        cast(AllocationRow.late, Integer),
    )
    current = read_frame_blocks(session, query, CURRENT_SCHEMA, compact_rows)  # never all the text
    wanted = wanted_rows(stored, result)  # shares the result's columns: no text copied
    blocks = export_line_blocks(wanted)
    changed = _changed_lines(wanted, current, blocks)
    if changed is not None and changed.is_empty() and (latest := latest_active_run(session, company)):
        return latest.id, True
    run = _new_run(
        session,
        company,
        (method, as_of, fingerprint, ledger_fingerprint(stored, stored.frames.boms)),
        created_by or current_user(),
        wanted["export_line_id"].n_unique() if changed is None else changed.len(),
    )
    gone = current if changed is None else current.filter(pl.col("export_line_id").is_in(changed.implode()))
    withdrawn = gone.select(allocation_id="id", run_id=pl.lit(run.id, dtype=pl.Int64))
    del current  # the keys of every active row (21.9 M at 1 M x 1 M): not held while writing
    fresh = wanted if changed is None else wanted.filter(pl.col("export_line_id").is_in(changed.implode()))
    del wanted
    progress.phase("recording the run", total=withdrawn.height + fresh.height, unit="rows")
    insert_frame(session, AllocationReversalRow, withdrawn)
    progress.advance(withdrawn.height)
    with indexes_built_after(session, AllocationRow):  # a store's first run: indexed once filled
        for block in blocks:  # a block of the rows sorted, COPYed and freed: one held, not a copy of all
            rows = fresh.filter(block).sort("export_line_id", "seq", maintain_order=True)
            insert_frame(session, AllocationRow, rows.with_columns(run_id=pl.lit(run.id, dtype=pl.Int64)))
            progress.advance(rows.height)
    return run.id, False


def _changed_lines(wanted: pl.DataFrame, current: pl.DataFrame, blocks: list[pl.Expr]) -> pl.Series | None:
    """The export lines whose rows change, compared block by block; None for all (nothing active)."""
    if current.is_empty() and not wanted.is_empty():
        return None  # nothing active: every line with a row is new (no grouping of its millions of rows)
    changed = [
        changed_export_lines(compact_rows(wanted.filter(block)), current.filter(block)) for block in blocks
    ]
    return pl.concat(changed).sort()


def _as_staged(ledger: Ledger, staged: Ledger) -> Ledger:
    """The stored ledger with the input's row numbers on its regularizations (for errors.csv)."""
    rows = {line.key: line.row for line in staged.regularizations}
    regularizations = tuple(
        dataclasses.replace(line, row=rows.get(line.key, 0)) for line in ledger.regularizations
    )
    return dataclasses.replace(ledger, regularizations=regularizations)


def discharge_stored(
    session: Session, company: int, method: str, as_of: dt.date, output_dir: Path, progress: Progress = QUIET
) -> dict[str, Any]:
    """Discharge what a company has stored, record the run and write the output files; the run.json.

    Runs inside the caller's unit of work, which holds the company's writer lock (the
    API's run job). Nothing is read from files: the ledger is the stored one. On
    columns as ``immex discharge --db`` (same rows, same files); on domain values
    when the store holds what only that path handles (run.json ``why`` says so).
    """
    started = time.perf_counter()
    progress.phase("loading the stored ledger")
    try:
        stored, result = _discharge_stored_frames(session, company, method, progress=progress)
        loaded = time.perf_counter()
        fingerprint = ledger_fingerprint(stored, stored.frames.boms)
        run_id, reused = _record_run_frames(
            session, company, stored, result, method, as_of, fingerprint, progress
        )
    except (_PerRow, StoredConflict) as reason:  # raised before anything was written
        return _discharge_stored_by_row(session, company, method, as_of, output_dir, progress, str(reason))
    discharged = time.perf_counter()
    progress("writing the output folder")
    counts, totals = _write_stored_frames(output_dir, stored, result, as_of)
    timings = {
        "validate_s": loaded - started,
        "discharge_s": discharged - loaded,
        "total_s": time.perf_counter() - started,
    }
    run = _run_record(run_id, method, as_of, fingerprint, "stored", counts, totals, timings, reused)
    run["why"] = "the stored ledger discharged on columns"
    return write_run_json(output_dir, run)


def _discharge_stored_by_row(
    session: Session,
    company: int,
    method: str,
    as_of: dt.date,
    output_dir: Path,
    progress: Progress,
    why: str,
) -> dict[str, Any]:
    """``discharge_stored`` on domain values (adjustments, A3 lines, movements, a program end)."""
    started = time.perf_counter()
    ledger = load_ledger(session, company)
    loaded = time.perf_counter()
    result = compute(ledger, method, progress)
    moved = stored_movement_outputs(session, company, Movements(), ledger, result, as_of)
    fingerprint = _ledger_fingerprint(ledger)
    run_id, reused = _record_run(session, company, ledger, result, method, as_of, fingerprint, progress)
    discharged = time.perf_counter()
    progress.phase("computing balances")
    rows = balances(ledger, result.allocations, as_of)
    counts = _write_outputs(output_dir, result, rows, progress)
    counts.update(write_movement_outputs(output_dir, moved))
    timings = {
        "validate_s": loaded - started,
        "discharge_s": discharged - loaded,
        "total_s": time.perf_counter() - started,
    }
    run = _run_summary(
        run_id, method, as_of, fingerprint, ledger, result, rows, counts, timings, reused, "stored"
    )
    run["why"] = f"the stored ledger discharged on domain values ({why})"
    return write_run_json(output_dir, run)


def record_stored_discharge(
    session: Session, company: int, method: str, as_of: dt.date, created_by: str
) -> tuple[int, int]:
    """Discharge the stored ledger again and record what changed: (run id, export lines changed).

    Inside the caller's writing unit of work (an adjustment's repair); no files are written.
    On columns, the adjusted lines netted as the per-row path nets them; on domain
    values when the store holds what only that path handles.
    """
    try:
        stored, frames_result = _discharge_stored_frames(session, company, method, adjustments=True)
        fingerprint = ledger_fingerprint(stored, stored.frames.boms)
        run_id, reused = _record_run_frames(
            session, company, stored, frames_result, method, as_of, fingerprint, created_by=created_by
        )
    except (_PerRow, StoredConflict):  # raised before anything was written
        ledger = load_ledger(session, company)
        result = compute(ledger, method)
        # the stored waste disposals still fit the waste the new discharge generates (else: refused)
        stored_movement_outputs(session, company, Movements(), ledger, result, as_of)
        run_id, reused = _record_run(
            session,
            company,
            ledger,
            result,
            method,
            as_of,
            _ledger_fingerprint(ledger),
            created_by=created_by,
        )
    run = session.get(DischargeRunRow, run_id)
    changed = 0 if reused or run is None else int(str(run.summary.get("export_lines_changed", 0)))
    return run_id, changed


def latest_active_run(session: Session, company: int) -> DischargeRunRow | None:
    """The company's newest run that is not reversed (the one whose allocations count)."""
    return session.scalar(
        select(DischargeRunRow)
        .where(
            DischargeRunRow.company_id == company,
            DischargeRunRow.id.not_in(select(RunReversalRow.run_id)),
        )
        .order_by(DischargeRunRow.id.desc())
        .limit(1)
    )


def active_allocations(session: Session, company: int) -> list[AllocationRow]:
    """Rows of runs not reversed and not withdrawn by a later run that is not reversed."""
    query = active_rows_query(company).order_by(AllocationRow.export_line_id, AllocationRow.seq)
    return list(session.scalars(query))


def _line_ids(
    session: Session, company: int
) -> tuple[dict[tuple[str, int, str], int], dict[tuple[str, int, str], int]]:
    exports = {(n, r.line, r.product): r.id for r, n in _numbered(session, ExportLineRow, company)}
    imports = {(n, r.line, r.part): r.id for r, n in _numbered(session, ImportLineRow, company)}
    return exports, imports


def _numbered(session: Session, model: Any, company: int) -> Iterable[Any]:
    """(line row, pedimento number) pairs of a company's import or export lines."""
    return session.execute(
        select(model, PedimentoRow.number).join(PedimentoRow).where(model.company_id == company)
    )


def _new_rows(
    result: DischargeResult,
    export_ids: dict[tuple[str, int, str], int],
    import_ids: dict[tuple[str, int, str], int],
) -> dict[int, list[dict[str, Any]]]:
    """Allocation and shortfall rows of ``result`` grouped by export line id, in output order."""
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in result.allocations:
        export_id = export_ids[(a.export_pedimento, a.export_line, a.product)]
        grouped[export_id].append(
            {
                "export_line_id": export_id,
                "part": a.part,
                "qty": a.qty,
                "late": a.late,
                "import_line_id": import_ids[(a.import_pedimento, a.import_line, a.part)],
            }
        )
    for s in result.shortfalls:
        export_id = export_ids[(s.export_pedimento, s.export_line, s.product)]
        grouped[export_id].append(
            {
                "export_line_id": export_id,
                "part": s.part,
                "qty": s.qty_missing,
                "late": False,
                "import_line_id": None,
            }
        )
    return grouped


def _signature(rows: Iterable[Any]) -> list[tuple[Any, ...]]:
    def get(row: Any, name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    return sorted(
        (get(r, "part"), get(r, "import_line_id") or 0, get(r, "qty"), get(r, "late")) for r in rows
    )


def _record_run(
    session: Session,
    company: int,
    ledger: Ledger,
    result: DischargeResult,
    method: str,
    as_of: dt.date,
    fingerprint: str,
    progress: Progress = QUIET,
    created_by: str | None = None,
) -> tuple[int, bool]:
    """Append the run's changes; reuse the latest run when nothing changed.

    ``created_by``: who started the run (the API's user); the OS user by default.
    """
    progress.phase("comparing with the stored allocations")
    export_ids, import_ids = _line_ids(session, company)
    wanted = _new_rows(result, export_ids, import_ids)
    current: dict[int, list[AllocationRow]] = defaultdict(list)
    for row in active_allocations(session, company):
        current[row.export_line_id].append(row)
    changed = sorted(
        e
        for e in set(wanted) | set(current)
        if _signature(wanted.get(e, ())) != _signature(current.get(e, ()))
    )
    if not changed and (latest := latest_active_run(session, company)) is not None:
        return latest.id, True
    run = _new_run(
        session,
        company,
        (method, as_of, fingerprint, _ledger_fingerprint(ledger)),
        created_by or current_user(),
        len(changed),
    )
    withdrawn = [{"allocation_id": row.id, "run_id": run.id} for e in changed for row in current.get(e, ())]
    fresh = [
        {**row, "run_id": run.id, "seq": seq} for e in changed for seq, row in enumerate(wanted.get(e, ()))
    ]
    progress.phase("recording the run", total=len(withdrawn) + len(fresh), unit="rows")
    for table, rows in ((AllocationReversalRow, withdrawn), (AllocationRow, fresh)):
        bulk_insert(session, table, rows, progress)  # COPY on PostgreSQL, executemany on SQLite
    return run.id, False


def reverse_run(db_url: str, run_id: int, reason: str) -> None:
    """Void the latest active run: its rows and its withdrawals of earlier rows stop counting."""
    # Under the writer lock, so a run being recorded cannot slip in after the check.
    with UnitOfWork(db_url, write=True) as uow:
        session = uow.session
        uow.checks.append(no_new_overdraws(overdrawn_ids(session, uow.company)))
        run = session.get(DischargeRunRow, run_id)
        if run is None:
            raise InputError([Problem("", None, "run", f"run {run_id} does not exist")])
        reversed_ids = set(session.scalars(select(RunReversalRow.run_id)))
        if run_id in reversed_ids:
            raise InputError([Problem("", None, "run", f"run {run_id} is already reversed")])
        later = session.scalar(
            select(DischargeRunRow.id)
            .where(
                DischargeRunRow.company_id == run.company_id,
                DischargeRunRow.id > run_id,
                DischargeRunRow.id.not_in(reversed_ids),
            )
            .limit(1)
        )
        if later is not None:
            raise InputError(
                [Problem("", None, "run", f"run {later} is later and still active: reverse it first")]
            )
        session.add(RunReversalRow(run_id=run_id, reversed_by=current_user(), reason=reason))


def stored_result(session: Session, company: int) -> DischargeResult:
    """The active allocations and shortfalls of the store as domain values, in output order."""
    exports = {  # an A3 (it names an import line) comes before the export lines of its date
        r.id: (n, r.line, r.product, (r.cleared_on, r.import_line is None))
        for r, n in _numbered(session, ExportLineRow, company)
    }
    imports = {r.id: (n, r.line) for r, n in _numbered(session, ImportLineRow, company)}
    rows = active_allocations(session, company)
    rows.sort(key=lambda r: (exports[r.export_line_id][3], exports[r.export_line_id][:3], r.seq))
    allocations, shortfalls = [], []
    for r in rows:
        ped, line, product, _ = exports[r.export_line_id]
        if r.import_line_id is None:
            shortfalls.append(Shortfall(ped, line, product, r.part, r.qty))
        else:
            imp, imp_line = imports[r.import_line_id]
            allocations.append(Allocation(ped, line, product, r.part, imp, imp_line, r.qty, r.late))
    return DischargeResult(tuple(allocations), tuple(shortfalls))
