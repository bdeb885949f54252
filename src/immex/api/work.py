"""The features' use cases as the API calls them, for one company of the store.

Uploads arrive as files in a temporary folder, so the ledger and Data Stage readers run
exactly as for the CLI (same problems, same messages). Where the stored use case of a
feature is written for the CLI's single company (``discharge.service.run_discharge``), its
building blocks are called here for the company the request names.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from immex.api import audit
from immex.api.companies import CompanyRef
from immex.api.store import Store
from immex.core.problems import InputError, Problem
from immex.core.progress import Progress
from immex.discharge import service as discharge_service
from immex.discharge.columnar_run import check_method
from immex.discharge.methods import DischargeResult
from immex.ledger.model import Ledger
from immex.ledger.movements import read_movements
from immex.ledger.movements_orm import store_movements
from immex.ledger.orm import DischargeRunRow, RunReversalRow
from immex.ledger.read import named_as_read, read_ledger
from immex.ledger.service import load_ledger, store_ledger


def _hide_folder(problems: list[Problem], folder: Path) -> list[Problem]:
    """Problems as the user sent the files: no server folder in any message."""
    prefix = str(folder)
    return [
        Problem(
            p.file.replace(prefix + "/", "").replace(prefix, ""),
            p.row,
            p.column,
            p.message.replace(prefix + "/", "").replace(prefix, "upload"),
        )
        for p in problems
    ]


def store_upload(store: Store, company: CompanyRef, source: Path, folder: Path, actor: str) -> dict[str, int]:
    """Validate the uploaded ledger files and merge them into the company's ledger, all or nothing."""
    staged = read_ledger(source)
    moves = read_movements(source, staged.ledger)  # submaquila.csv, waste.csv
    if staged.problems or moves.problems or staged.ledger is None:
        raise InputError(_hide_folder([*staged.problems, *moves.problems], folder))
    labels = {**staged.labels, **moves.labels}  # a stored row that differs names its sheet, as read
    with store.company_writer(company.code) as session:
        counts, problems = store_ledger(session, staged.ledger, company.id)
        # disposals are checked against the waste generated when the company's next run discharges
        problems += store_movements(session, moves.movements, company.id)
        if problems:  # leaving the block rolls back
            raise InputError(_hide_folder(named_as_read(problems, labels), folder))
        stored = asdict(counts)
        if moves.movements.submaquila_given or moves.movements.waste_given:
            stored |= {
                "submaquila": len(moves.movements.submaquila),
                "disposals": len(moves.movements.disposals),
            }
        audit.record(
            session,
            actor,
            "ledger.upload",
            company.rfc,
            f"ledger of {company.rfc}",
            None,
            {"stored": stored, "files": sorted(p.name for p in staged.fingerprint_sources)},
        )
    return stored


def stored_state(session: Session, company: CompanyRef) -> tuple[Ledger, DischargeResult]:
    """The company's ledger and its active discharge, as the reports read them."""
    return load_ledger(session, company.id), discharge_service.stored_result(session, company.id)


def discharge_stored(
    store: Store,
    company: CompanyRef,
    method: str,
    as_of: dt.date | None,
    output: Path,
    progress: Progress,
    actor: str,
) -> dict[str, Any]:
    """Discharge the company's stored ledger and record the run; the run.json of the contract.

    Writes allocations.csv, shortfalls.csv, balances.csv and run.json to ``output`` (the
    job's folder). One transaction: an interrupted run leaves nothing behind.
    """
    check_method(method)
    day = as_of or dt.date.today()
    with store.company_writer(company.code) as session:  # waits for another writer of the company
        run = discharge_service.discharge_stored(session, company.id, method, day, output, progress)
        if not run["reused_existing_run"]:  # the run's author is the API user, not the server's OS user
            author = update(DischargeRunRow).where(DischargeRunRow.id == run["run_id"])
            session.execute(author.values(created_by=actor[:80]))
        audit.record(
            session,
            actor,
            "run.create",
            company.rfc,
            f"run {run['run_id']}",
            None,
            {
                "method": method,
                "as_of": day.isoformat(),
                "reused_existing_run": run["reused_existing_run"],
                "counts": run["counts"],
            },
        )
    return run


def reverse(store: Store, company: CompanyRef, run_id: int, reason: str, actor: str) -> None:
    """Reverse the company's latest active run (the feature checks it is the latest)."""
    if not reason.strip():
        raise InputError(
            [Problem("", None, "reason", "a reversal needs a reason (it is kept for the audit)")]
        )
    discharge_service.reverse_run(store.url, run_id, reason)
    with store.writing() as session:
        who = update(RunReversalRow).where(RunReversalRow.run_id == run_id)
        session.execute(who.values(reversed_by=actor[:80]))  # the API user, not the server's OS user
        audit.record(
            session,
            actor,
            "run.reverse",
            company.rfc,
            f"run {run_id}",
            {"active": True},
            {"active": False},
            note=reason,
        )


def keep_datastage(files: Path, company: CompanyRef, zip_path: Path) -> Path:
    """The company's latest Data Stage ZIP, kept for its compulsa."""
    target = files / "companies" / company.rfc / "datastage.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(zip_path, target)
    return target


def import_datastage(
    store: Store, company: CompanyRef, zip_path: Path, files: Path, progress: Progress, actor: str
) -> dict[str, Any]:
    from immex.datastage.service import import_datastage as run_import

    try:
        result = run_import(zip_path, store.url, progress)
    except InputError as error:
        raise InputError(_hide_folder(error.problems, zip_path.parent)) from None
    keep_datastage(files, company, zip_path)
    body = {
        "zip_name": result.zip_name,
        "counts": result.counts,
        "pedimentos": result.pedimentos,
        "replaced": result.replaced,
        "warnings": [
            {"file": w.file, "row": w.row, "column": w.column, "message": w.message} for w in result.warnings
        ],
    }
    with store.writing() as session:
        audit.record(
            session,
            actor,
            "datastage.import",
            company.rfc,
            f"Data Stage {result.zip_name}",
            None,
            {"counts": result.counts, "pedimentos": result.pedimentos, "replaced": result.replaced},
        )
    return body


def compulsa(
    store: Store, company: CompanyRef, zip_path: Path, output: Path, progress: Progress, actor: str
) -> dict[str, Any]:
    from immex.compulsa import model
    from immex.compulsa.service import run_compulsa

    try:
        result = run_compulsa(
            zip_path, output, db_url=store.url, company=company.code, reports=False, progress=progress
        )
    except InputError as error:
        raise InputError(_hide_folder(error.problems, zip_path.parent)) from None
    kinds: dict[str, int] = {}
    for d in result.differences:
        kinds[d.kind] = kinds.get(d.kind, 0) + 1
    with store.writing() as session:
        audit.record(
            session,
            actor,
            "compulsa.run",
            company.rfc,
            f"compulsa of {company.rfc}",
            None,
            {"differences": len(result.differences), "by_kind": kinds},
        )
    return {
        "stage_pedimentos": result.stage_pedimentos,
        "ledger_pedimentos": result.ledger_pedimentos,
        "differences_by_kind": kinds,
        "differences": [dict(zip(model.HEADER, d.as_row(), strict=True)) for d in result.differences],
        "files": ["differences.csv"],
    }


def origin_batch(
    store: Store,
    company: CompanyRef,
    start: dt.date,
    end: dt.date,
    method: str,
    output: Path,
    progress: Progress,
) -> dict[str, Any]:
    """``immex origin batch`` for the company: every finished good over the period; origin.csv kept."""
    from immex.api.listing import json_value
    from immex.origin.from_ledger import BATCH_HEADER, run_batch

    result = run_batch(
        store.url, start, end, output / "origin.csv", method, company.code, progress, workers=1
    )
    return {
        "goods": result.goods,
        "originating": result.originating,
        "not_originating": result.not_originating,
        "undetermined": result.undetermined,
        "errors": result.errors,
        "rows": [{k: json_value(v) for k, v in zip(BATCH_HEADER, row, strict=True)} for row in result.rows],
        "files": ["origin.csv"],
    }
