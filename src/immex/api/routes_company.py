"""Endpoints of one company: ledger upload, runs, balances, allocations, shortfalls, traces,
adjustments, Data Stage, compulsa and the audit log. Every one resolves the company first
(404 when the caller may not see it), then the caller's role there (403)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from immex.api import audit, listing, uploads, work
from immex.api.companies import CompanyRef
from immex.api.deps import Caller, Id, allowed, caller, jobs_of, store_of
from immex.api.problems import not_found
from immex.core.numbers import parse_decimal
from immex.core.pedimento import canonical_pedimento
from immex.core.problems import InputError, Problem
from immex.discharge.adjust import adjust_stock
from immex.discharge.columnar_run import check_method
from immex.ledger.orm import DischargeRunRow
from immex.reports import service as reports
from immex.reports import stored
from immex.reports.stored import Key

router = APIRouter(prefix="/api/v1/companies/{rfc}", tags=["company"])
Who = Annotated[Caller, Depends(caller)]
Limit = Annotated[int, listing.LimitQuery]
Cursor = Annotated[str | None, listing.CursorQuery]
Format = Annotated[str | None, listing.FormatQuery]
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"description": "job queued; its status is at the Location header"}
}


def _pedimento(text: str, column: str = "pedimento") -> str:
    try:
        return canonical_pedimento(text)
    except ValueError as error:
        raise InputError([Problem("", None, column, str(error))]) from None


def _accepted(response: Response, job_id: int) -> dict[str, int]:
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    return {"job": job_id}


LEDGER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        **{name: {"type": "string", "format": "binary"} for name in uploads.LEDGER_FILES},
                        uploads.WORKBOOK: {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/ledger",
    status_code=201,
    openapi_extra=LEDGER_BODY,
    responses={422: {"description": "every problem of the files; nothing stored"}},
)
async def upload_ledger(
    request: Request, who: Who, company: Annotated[CompanyRef, Depends(allowed("ledger.upload"))]
) -> dict[str, Any]:
    """The discharge contract's CSV files (field name = file name) or one workbook: all or nothing."""
    form = await request.form(max_files=len(uploads.LEDGER_FILES) + 1, max_fields=10)
    folder = Path(tempfile.mkdtemp(prefix="immex-upload-"))
    try:
        source = uploads.ledger_source(list(form.multi_items()), folder)
        counts = await run_in_threadpool(
            work.store_upload, store_of(request), company, source, folder, who.actor
        )
    finally:
        await form.close()
        shutil.rmtree(folder, ignore_errors=True)
    return {"counts": counts}


class RunRequest(BaseModel):
    method: str = "fifo"
    as_of: dt.date | None = None


@router.post(
    "/runs", status_code=202, responses={**ACCEPTED, 409: {"description": "a run is queued or running"}}
)
def start_run(
    request: Request,
    response: Response,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("run.create"))],
    body: RunRequest,
) -> dict[str, int]:
    """Discharge the company's stored ledger in the background; the job's result is run.json."""
    check_method(body.method)
    store, runner = store_of(request), jobs_of(request)

    def run(context: Any) -> dict[str, Any]:
        return work.discharge_stored(
            store, company, body.method, body.as_of, context.folder, context.progress, who.actor
        )

    params = {"method": body.method, "as_of": body.as_of.isoformat() if body.as_of else None}
    job_id = runner.submit(who.user_id, "run", company.rfc, params, run, exclusive=True)
    return _accepted(response, job_id)


RUNS_HEADER = reports.RUNS_HEADER


@router.get("/runs")
def list_runs(
    request: Request,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("run.read"))],
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Any:
    """The company's discharge runs, newest first."""
    store = store_of(request)
    with store.reading() as session:
        ids = set(session.scalars(select(DischargeRunRow.id).where(DischargeRunRow.company_id == company.id)))
    rows = [
        tuple(_with_offset(v) if i in (3, 7) else v for i, v in enumerate(r))
        for r in reports.runs_report(store.url).rows
        if r[0] in ids
    ]
    rows.reverse()
    return listing.answer("runs", RUNS_HEADER, rows, limit, cursor, format)


def _with_offset(moment: Any) -> Any:
    """The runs report writes stored UTC times; SQLite returns them without their offset."""
    if isinstance(moment, str) and "T" in moment and "+" not in moment[10:] and not moment.endswith("Z"):
        return moment + "+00:00"
    return moment


class Reversal(BaseModel):
    reason: str


@router.post("/runs/{run_id}/reverse")
def reverse_run(
    request: Request,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("run.reverse"))],
    run_id: Id,
    body: Reversal,
) -> dict[str, Any]:
    """Reverse the latest active run of the company (422 for any other run)."""
    store = store_of(request)
    with store.reading() as session:
        run = session.get(DischargeRunRow, run_id)
    if run is None or run.company_id != company.id:
        raise not_found(f"run {run_id}")
    work.reverse(store, company, run_id, body.reason, who.actor)
    return {"run_id": run_id, "reversed": True}


def _reader(request: Request, fetch: Callable[[Session, Key | None, int], stored.Page]) -> Any:
    """``fetch`` on a session of its own per page (a download reads page after page)."""

    def read(after: Key | None, limit: int) -> stored.Page:
        with store_of(request).looking_up() as session:
            return fetch(session, after, limit)

    return read


@router.get("/balances")
def list_balances(
    request: Request,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("ledger.read"))],
    status: str | None = None,
    part: str | None = None,
    pedimento: str | None = None,
    expiring_within_days: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    as_of: dt.date | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Any:
    """Rows of balances.csv (imported, discharged, remaining, deadline, status) per import line."""
    wanted = stored.BalanceFilter(
        status, part, None if pedimento is None else _pedimento(pedimento), expiring_within_days
    )
    day = as_of or dt.date.today()
    fetch = _reader(request, lambda s, after, n: stored.balances_page(s, company.id, day, wanted, after, n))
    return listing.keyset_answer("balances", "balances", stored.BALANCE_HEADER, fetch, limit, cursor, format)


@router.get("/allocations")
def list_allocations(
    request: Request,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("ledger.read"))],
    export_pedimento: str | None = None,
    import_pedimento: str | None = None,
    part: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Any:
    """Rows of allocations.csv of the active discharge."""
    exp = None if export_pedimento is None else _pedimento(export_pedimento, "export_pedimento")
    imp = None if import_pedimento is None else _pedimento(import_pedimento, "import_pedimento")
    fetch = _reader(
        request, lambda s, after, n: stored.allocations_page(s, company.id, exp, imp, part, after, n)
    )
    header = stored.ALLOCATION_HEADER
    return listing.keyset_answer("allocations", "allocations", header, fetch, limit, cursor, format)


@router.get("/shortfalls")
def list_shortfalls(
    request: Request,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("ledger.read"))],
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Any:
    """Rows of shortfalls.csv: requirements no import lot could cover."""
    fetch = _reader(request, lambda s, after, n: stored.shortfalls_page(s, company.id, after, n))
    header = stored.SHORTFALL_HEADER
    return listing.keyset_answer("shortfalls", "shortfalls", header, fetch, limit, cursor, format)


@router.get("/exports/{pedimento}/{line}/trace")
def trace_export(
    request: Request,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("ledger.read"))],
    pedimento: str,
    line: Id,
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Any:
    """The import lots each part of this export line consumed (and its shortfalls)."""
    number = _pedimento(pedimento)

    def fetch(session: Session, after: Key | None, n: int) -> stored.Page:
        return stored.trace_export_page(session, company.id, number, line, after, n)

    title, header = f"trace-export-{number}-{line}", stored.TRACE_EXPORT_HEADER
    with store_of(request).looking_up() as session:  # one session for the check and the page
        if not stored.export_line_exists(session, company.id, number, line):
            raise not_found(f"export pedimento {number} line {line}")
        if format is None:
            page = partial(fetch, session)
            return listing.keyset_answer("trace-export", title, header, page, limit, cursor, format)
    whole = _reader(request, fetch)  # a download reads page after page, a session each
    return listing.keyset_answer("trace-export", title, header, whole, limit, cursor, format)


@router.get("/imports/{pedimento}/{line}/trace")
def trace_import(
    request: Request,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("ledger.read"))],
    pedimento: str,
    line: Id,
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Any:
    """The export lines that consumed this import line."""
    number = _pedimento(pedimento)

    def fetch(session: Session, after: Key | None, n: int) -> stored.Page:
        return stored.trace_import_page(session, company.id, number, line, after, n)

    title, header = f"trace-import-{number}-{line}", stored.TRACE_IMPORT_HEADER
    with store_of(request).looking_up() as session:  # one session for the check and the page
        if not stored.import_line_exists(session, company.id, number, line):
            raise not_found(f"import pedimento {number} line {line}")
        if format is None:
            page = partial(fetch, session)
            return listing.keyset_answer("trace-import", title, header, page, limit, cursor, format)
    whole = _reader(request, fetch)  # a download reads page after page, a session each
    return listing.keyset_answer("trace-import", title, header, whole, limit, cursor, format)


class Adjustment(BaseModel):
    pedimento: str
    line: int = Field(ge=1, le=2_147_483_647)
    part: str
    qty: str
    reason: str


@router.post("/adjustments", status_code=201)
def create_adjustment(
    request: Request,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("adjustment.create"))],
    body: Adjustment,
) -> dict[str, Any]:
    """Withdraw ``qty`` (negative gives back) from an import line, with the reason."""
    number = _pedimento(body.pedimento)
    try:
        qty: Decimal = parse_decimal(body.qty)
    except ValueError as error:
        raise InputError([Problem("", None, "qty", str(error))]) from None
    with store_of(request).company_writer(company.code) as session:
        outcome = adjust_stock(
            session, company.code, number, body.line, body.part, qty, body.reason, who.actor
        )
        adjustment_id = outcome.adjustment_id
        after = {
            "pedimento": number,
            "line": body.line,
            "part": body.part,
            "qty": listing.json_value(qty),
            "reason": body.reason.strip(),
        }
        audit.record(
            session, who.actor, "adjustment.create", company.rfc, f"adjustment {adjustment_id}", None, after
        )
    return {"id": adjustment_id, **after}


@router.post("/datastage", status_code=202, responses=ACCEPTED)
def import_datastage(
    request: Request,
    response: Response,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("datastage.import"))],
    file: UploadFile,
) -> dict[str, int]:
    """The Data Stage ZIP, imported in the background (per the Data Stage contract)."""
    store, runner = store_of(request), jobs_of(request)
    upload_dir = Path(tempfile.mkdtemp(prefix="immex-ds-", dir=_scratch(request)))
    zip_path = uploads.save(file, upload_dir / uploads.safe_name(file.filename, "datastage.zip"))

    def run(context: Any) -> dict[str, Any]:
        try:
            return work.import_datastage(store, company, zip_path, runner.files, context.progress, who.actor)
        finally:
            shutil.rmtree(upload_dir, ignore_errors=True)

    job_id = runner.submit(who.user_id, "datastage", company.rfc, {"zip_name": zip_path.name}, run)
    return _accepted(response, job_id)


def _scratch(request: Request) -> Path:
    folder: Path = jobs_of(request).files / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@router.post("/compulsa", status_code=202, responses=ACCEPTED)
def start_compulsa(
    request: Request,
    response: Response,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("compulsa.run"))],
    file: UploadFile | None = None,
) -> dict[str, int]:
    """Reconcile the company's ledger with a Data Stage ZIP (``file``, else the last one imported);
    the result lists differences.csv, downloadable at ``/jobs/{id}/files/differences.csv``."""
    store, runner = store_of(request), jobs_of(request)
    upload_dir = Path(tempfile.mkdtemp(prefix="immex-cmp-", dir=_scratch(request)))
    if file is not None:
        zip_path = uploads.save(file, upload_dir / uploads.safe_name(file.filename, "datastage.zip"))
    else:
        kept = runner.files / "companies" / company.rfc / "datastage.zip"
        if not kept.is_file():
            shutil.rmtree(upload_dir, ignore_errors=True)
            raise InputError(
                [
                    Problem(
                        "",
                        None,
                        "file",
                        "no Data Stage ZIP: send one as 'file' or import one first (POST .../datastage)",
                    )
                ]
            )
        zip_path = kept

    def run(context: Any) -> dict[str, Any]:
        try:
            return work.compulsa(store, company, zip_path, context.folder, context.progress, who.actor)
        finally:
            shutil.rmtree(upload_dir, ignore_errors=True)

    job_id = runner.submit(who.user_id, "compulsa", company.rfc, {"zip_name": zip_path.name}, run)
    return _accepted(response, job_id)


class OriginBatch(BaseModel):
    from_: dt.date = Field(alias="from")
    to: dt.date
    method: str = "fifo"


@router.post("/origin/batch", status_code=202, responses=ACCEPTED)
def start_origin_batch(
    request: Request,
    response: Response,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("origin.batch"))],
    body: OriginBatch,
) -> dict[str, int]:
    """Qualify every finished good of the company over ``from``..``to`` (``immex origin batch``);
    the result lists the verdicts, downloadable at ``/jobs/{id}/files/origin.csv``."""
    store, runner = store_of(request), jobs_of(request)

    def run(context: Any) -> dict[str, Any]:
        return work.origin_batch(
            store, company, body.from_, body.to, body.method, context.folder, context.progress
        )

    params = {"from": body.from_.isoformat(), "to": body.to.isoformat(), "method": body.method}
    return _accepted(response, runner.submit(who.user_id, "origin-batch", company.rfc, params, run))


AUDIT_HEADER = ("id", "at", "actor", "action", "company", "entity", "before", "after", "note")


@router.get("/audit")
def list_audit(
    request: Request,
    who: Who,
    company: Annotated[CompanyRef, Depends(allowed("audit.read"))],
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Any:
    """The company's audit log, newest first."""
    with store_of(request).reading() as session:
        records = audit.company_log(session, company.rfc)
    as_text = format in ("csv", "xlsx")
    rows = [
        (
            r.id,
            listing.json_value(r.at),
            r.actor,
            r.action,
            r.company_rfc,
            r.entity,
            json.dumps(r.before) if as_text and r.before is not None else r.before,
            json.dumps(r.after) if as_text and r.after is not None else r.after,
            r.note,
        )
        for r in records
    ]
    return listing.answer("audit", AUDIT_HEADER, rows, limit, cursor, format)
