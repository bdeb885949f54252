"""The pages: login, panel, tables with downloads, trace both ways, ledger upload, runs.

Every page resolves the company with the API's own rule (``deps.company_for``: 404 when the
user may not see it, 403 when the role may not act) and reads through the same use cases.
Problems become HTML pages here instead of the API's JSON documents.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from immex.api import audit, listing, uploads, users, work
from immex.api.companies import CompanyRef, listed
from immex.api.deps import Caller, company_for, jobs_of, store_of
from immex.api.orm import GrantRow, JobRow, UserRow
from immex.api.problems import ApiProblem
from immex.core.pedimento import canonical_pedimento
from immex.core.problems import InputError, Problem
from immex.discharge.columnar_run import check_method
from immex.discharge.methods import DISCHARGE_METHODS
from immex.reports.annual_service import usd_amount
from immex.web import data, session
from immex.web.i18n import LANG_COOKIE, LANGUAGES, environment, language

# Pages send only same-origin scripts, styles and forms; the API's stricter default stays on JSON.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
TABLES = ("balances", "allocations", "shortfalls")
AUDIT_HEADER = ("id", "at", "actor", "action", "entity", "note")
FILTERS = {
    "balances": ("status", "part", "pedimento"),
    "allocations": ("export_pedimento", "import_pedimento", "part"),
    "shortfalls": ("export_pedimento", "part"),
}


class Redirect(Exception):
    def __init__(self, to: str) -> None:
        self.to = to


class PageRoute(APIRoute):
    """Problems as pages: login for a missing session, the status with its message otherwise."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Redirect as go:
                return RedirectResponse(go.to, status_code=303)
            except ApiProblem as problem:
                return render(
                    request,
                    "error.html",
                    {"status": problem.status_code, "detail": problem.detail},
                    problem.status_code,
                )
            except InputError as error:
                return render(request, "error.html", {"status": 422, "problems": error.problems}, 422)

        return route


router = APIRouter(route_class=PageRoute, include_in_schema=False)


def lang_of(request: Request) -> str:
    return language(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = lang_of(request)
    who = context.get("who") or session.current(request)
    companies: list[dict[str, Any]] = []
    if who is not None:
        with store_of(request).reading() as db:
            companies = listed(db, None if who.access.role == "admin" else set(who.access.grants))
    values = {
        "request": request,
        "csrf": session.csrf_token(request),
        "companies": companies,
        "path": request.url.path,
        "query": request.url.query,
        "languages": LANGUAGES,
        "firm": None,
        **context,
        "who": who,
    }
    html = environment(lang).get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    response.headers["content-security-policy"] = PAGE_CSP
    if request.query_params.get("lang") in LANGUAGES:
        session.set_cookie(request, response, LANG_COOKIE, lang, 365 * 24 * 3600)
    return response


def logged_in(request: Request) -> Caller:
    who = session.current(request)
    if who is None:
        raise Redirect("/login")
    return who


def company(request: Request, rfc: str, action: str) -> tuple[Caller, CompanyRef]:
    who = logged_in(request)
    return who, company_for(request, who, rfc, action)


async def checked_form(request: Request) -> Any:
    form = await request.form()
    if not session.csrf_ok(request, form.get("csrf")):
        await form.close()
        raise ApiProblem(
            403, "the form expired or did not come from this site; reload the page and try again"
        )
    return form


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    who = logged_in(request)
    with store_of(request).reading() as db:
        visible = listed(db, None if who.access.role == "admin" else set(who.access.grants))
    if len(visible) == 1:
        return RedirectResponse(f"/c/{visible[0]['rfc']}", status_code=303)
    return render(request, "home.html", {"who": who})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    token = request.cookies.get(session.LOGIN_COOKIE) or session.new_login_token()
    response = render(request, "login.html", {"who": None, "csrf": token})  # the form echoes the cookie
    session.set_cookie(request, response, session.LOGIN_COOKIE, token, 3600)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await checked_form(request)
    email = users.normal_email(str(form.get("email") or ""))
    client = request.client.host if request.client else ""
    limiter = request.app.state.login_limiter
    if limiter.retry_after(email, client):
        return render(request, "login.html", {"who": None, "failed": "wait", "email": email}, 429)
    with store_of(request).writing() as db:
        user = users.authenticate(db, email, str(form.get("password") or ""))
        token = None if user is None else users.issue_token(db, user)
    if token is None:
        limiter.failed(email, client)
        return render(request, "login.html", {"who": None, "failed": "wrong", "email": email}, 401)
    response = RedirectResponse("/", status_code=303)
    session.set_cookie(request, response, session.SESSION_COOKIE, token, users.TOKEN_SECONDS)
    response.delete_cookie(session.LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    session.log_out(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(session.SESSION_COOKIE, path="/")
    return response


def _as_of(request: Request) -> dt.date:
    given = request.query_params.get("as_of")
    try:
        return dt.date.fromisoformat(given) if given else dt.date.today()
    except ValueError:
        raise InputError([Problem("", None, "as_of", f"{given!r} is not a YYYY-MM-DD date")]) from None


@router.get("/c/{rfc}", response_class=HTMLResponse)
def panel(request: Request, rfc: str) -> Response:
    who, firm = company(request, rfc, "ledger.read")
    as_of = _as_of(request)
    given = request.query_params.get("total_sales_usd", "").strip()
    errors: dict[str, list[str]] = {}
    total = _amount(given) if given else None
    if given and total is None:
        errors["total_sales_usd"] = [f"{given!r} is not an amount in USD (digits and one point)"]
    try:
        summary = data.panel(store_of(request), firm, as_of, total)
    except InputError as error:  # total sales below the exports of the year
        errors["total_sales_usd"] = [p.message for p in error.problems]
        summary = data.panel(store_of(request), firm, as_of, None)
    context = {"who": who, "firm": firm, "panel": summary, "as_of": as_of, "total_sales_usd": given}
    return render(request, "panel.html", {**context, "errors": errors}, 422 if errors else 200)


def _amount(text: str) -> Decimal | None:
    """A plain decimal amount (thousands commas allowed, as people write them), else None.

    ``1.000,50`` (a decimal comma) is None, not 1.0005: the reports' reader (``usd_amount``)."""
    try:
        return usd_amount(text)
    except InputError:
        return None


def _filters(request: Request, table: str) -> dict[str, str]:
    given = {k: request.query_params.get(k, "").strip() for k in FILTERS[table]}
    for key in ("pedimento", "export_pedimento", "import_pedimento"):
        if given.get(key):
            try:
                given[key] = canonical_pedimento(given[key])
            except ValueError as error:
                raise InputError([Problem("", None, key, str(error))]) from None
    return given


def _table_as_of(request: Request, table: str) -> dt.date:
    return _as_of(request) if table == "balances" else dt.date.today()  # only balances age


@router.get("/c/{rfc}/t/{table}", response_class=HTMLResponse)
def table_page(request: Request, rfc: str, table: str) -> Response:
    """One page of a table, filtered and paged in SQL (``after``: the cursor of the next page)."""
    if table not in TABLES:
        raise ApiProblem(404, f"no page {table}")
    who, firm = company(request, rfc, "ledger.read")
    start = request.query_params.get("start", "1")
    filters, as_of = _filters(request, table), request.query_params.get("as_of", "")
    page = data.table_page(
        store_of(request),
        firm,
        table,
        filters,
        _table_as_of(request, table),
        request.query_params.get("after", ""),
        int(start) if start.isdigit() else 1,
    )
    context = {
        "who": who,
        "firm": firm,
        "table": table,
        "page": page,
        "filters": filters,
        "as_of": as_of,
        "filter_query": urlencode([(k, v) for k, v in (*filters.items(), ("as_of", as_of)) if v]),
    }
    name = "table_rows.html" if request.headers.get("hx-request") else "table.html"
    return render(request, name, context)


@router.get("/c/{rfc}/t/{table}/download/{fmt}")
def table_download(request: Request, rfc: str, table: str, fmt: str) -> Response:
    if table not in TABLES or fmt not in ("csv", "xlsx"):
        raise ApiProblem(404, "no such download")
    _who, firm = company(request, rfc, "ledger.read")
    filters = _filters(request, table)
    found = data.table_rows(store_of(request), firm, table, filters, _table_as_of(request, table))
    response: Response = listing.download(table, found.header, found.rows, fmt)
    return response


def _line(pedimento: str, line: int) -> str:
    try:
        number = canonical_pedimento(pedimento)
    except ValueError as error:
        raise InputError([Problem("", None, "pedimento", str(error))]) from None
    if not 1 <= line <= 2_147_483_647:
        raise ApiProblem(404, f"line {line}")
    return number


@router.get("/c/{rfc}/exports/{pedimento}/{line}", response_class=HTMLResponse)
def export_trace(request: Request, rfc: str, pedimento: str, line: int) -> Response:
    who, firm = company(request, rfc, "ledger.read")
    number = _line(pedimento, line)
    found = data.trace_export(store_of(request), firm, number, line)
    if found is None:
        raise ApiProblem(404, f"export pedimento {number} line {line}")
    context = {"who": who, "firm": firm, "kind": "export", "pedimento": number, "line": line, "trace": found}
    return render(request, "trace.html", context)


@router.get("/c/{rfc}/imports/{pedimento}/{line}", response_class=HTMLResponse)
def import_trace(request: Request, rfc: str, pedimento: str, line: int) -> Response:
    who, firm = company(request, rfc, "ledger.read")
    number = _line(pedimento, line)
    found = data.trace_import(store_of(request), firm, number, line)
    if found is None:
        raise ApiProblem(404, f"import pedimento {number} line {line}")
    context = {"who": who, "firm": firm, "kind": "import", "pedimento": number, "line": line, "trace": found}
    return render(request, "trace.html", context)


@router.get("/c/{rfc}/ledger", response_class=HTMLResponse)
def ledger_form(request: Request, rfc: str) -> Response:
    who, firm = company(request, rfc, "ledger.upload")
    return render(request, "ledger.html", {"who": who, "firm": firm, "files": uploads.LEDGER_FILES})


@router.post("/c/{rfc}/ledger", response_class=HTMLResponse)
async def ledger_upload(request: Request, rfc: str) -> Response:
    who, firm = company(request, rfc, "ledger.upload")
    form = await checked_form(request)
    folder = Path(tempfile.mkdtemp(prefix="immex-web-upload-"))
    context: dict[str, Any] = {"who": who, "firm": firm, "files": uploads.LEDGER_FILES}
    try:
        # Browsers send every file input, the empty ones with no name: those were not chosen.
        chosen = [
            (k, v) for k, v in form.multi_items() if k != "csrf" and isinstance(v, UploadFile) and v.filename
        ]
        source = uploads.ledger_source(chosen, folder)
        context["counts"] = await run_in_threadpool(
            work.store_upload, store_of(request), firm, source, folder, who.actor
        )
    except InputError as error:
        context["problems"] = error.problems
        return render(request, "ledger.html", context, 422)
    finally:
        await form.close()
        shutil.rmtree(folder, ignore_errors=True)
    return render(request, "ledger.html", context, 201)


@router.get("/c/{rfc}/runs", response_class=HTMLResponse)
def runs_page(request: Request, rfc: str) -> Response:
    who, firm = company(request, rfc, "run.read")
    job = request.query_params.get("job", "")
    context = {
        "who": who,
        "firm": firm,
        "runs": data.runs(store_of(request), firm),
        "methods": DISCHARGE_METHODS,
        "job": int(job) if job.isdigit() else None,
        "may_run": who.may("run.create", who.access.role_on(firm.rfc)),
        "today": dt.date.today(),
    }
    return render(request, "runs.html", context)


@router.post("/c/{rfc}/runs")
async def start_run(request: Request, rfc: str) -> Response:
    who, firm = company(request, rfc, "run.create")
    form = await checked_form(request)
    method = str(form.get("method") or "fifo")
    check_method(method)
    given = str(form.get("as_of") or "")
    try:
        as_of = dt.date.fromisoformat(given) if given else None
    except ValueError:
        raise InputError([Problem("", None, "as_of", f"{given!r} is not a YYYY-MM-DD date")]) from None
    store, runner = store_of(request), jobs_of(request)

    def run(context: Any) -> dict[str, Any]:
        return work.discharge_stored(store, firm, method, as_of, context.folder, context.progress, who.actor)

    params = {"method": method, "as_of": as_of.isoformat() if as_of else None}
    job_id = runner.submit(who.user_id, "run", firm.rfc, params, run, exclusive=True)
    return RedirectResponse(f"/c/{firm.rfc}/runs?job={job_id}", status_code=303)


@router.post("/c/{rfc}/runs/{run_id}/reverse")
async def reverse_run(request: Request, rfc: str, run_id: int) -> Response:
    who, firm = company(request, rfc, "run.reverse")
    form = await checked_form(request)
    if run_id not in {r[0] for r in data.runs(store_of(request), firm).rows}:
        raise ApiProblem(404, f"run {run_id}")
    work.reverse(store_of(request), firm, run_id, str(form.get("reason") or ""), who.actor)
    return RedirectResponse(f"/c/{firm.rfc}/runs", status_code=303)


@router.get("/c/{rfc}/datastage", response_class=HTMLResponse)
def datastage_page(request: Request, rfc: str) -> Response:
    """Data Stage import and compulsa: each starts a job whose progress the page follows."""
    who = logged_in(request)
    role = who.access.role_on(rfc.strip().upper())
    may_import, may_compare = who.may("datastage.import", role), who.may("compulsa.run", role)
    _who, firm = company(request, rfc, "compulsa.run" if may_compare else "datastage.import")
    job = request.query_params.get("job", "")
    context = {
        "who": who,
        "firm": firm,
        "may_import": may_import,
        "may_compare": may_compare,
        "job": int(job) if job.isdigit() else None,
    }
    return render(request, "datastage.html", context)


async def _zip_job(request: Request, rfc: str, kind: str) -> Response:
    action = "datastage.import" if kind == "datastage" else "compulsa.run"
    who, firm = company(request, rfc, action)
    form = await checked_form(request)
    store, runner = store_of(request), jobs_of(request)
    scratch = runner.files / "uploads"
    scratch.mkdir(parents=True, exist_ok=True)
    upload_dir = Path(tempfile.mkdtemp(prefix=f"immex-web-{kind}-", dir=scratch))
    try:
        sent = form.get("file")
        if isinstance(sent, UploadFile) and sent.filename:
            zip_path = uploads.save(sent, upload_dir / uploads.safe_name(sent.filename, "datastage.zip"))
        elif kind == "compulsa" and (runner.files / "companies" / firm.rfc / "datastage.zip").is_file():
            zip_path = runner.files / "companies" / firm.rfc / "datastage.zip"  # the last one imported
        else:
            raise InputError([Problem("", None, "file", "choose the Data Stage ZIP")])
    except InputError:
        shutil.rmtree(upload_dir, ignore_errors=True)
        raise
    finally:
        await form.close()

    def run(context: Any) -> dict[str, Any]:
        try:
            if kind == "datastage":
                return work.import_datastage(store, firm, zip_path, runner.files, context.progress, who.actor)
            return work.compulsa(store, firm, zip_path, context.folder, context.progress, who.actor)
        finally:
            shutil.rmtree(upload_dir, ignore_errors=True)

    job_id = runner.submit(who.user_id, kind, firm.rfc, {"zip_name": zip_path.name}, run)
    return RedirectResponse(f"/c/{firm.rfc}/datastage?job={job_id}", status_code=303)


@router.post("/c/{rfc}/datastage")
async def datastage_import(request: Request, rfc: str) -> Response:
    return await _zip_job(request, rfc, "datastage")


@router.post("/c/{rfc}/compulsa")
async def compulsa_start(request: Request, rfc: str) -> Response:
    return await _zip_job(request, rfc, "compulsa")


@router.get("/c/{rfc}/audit", response_class=HTMLResponse)
def audit_page(request: Request, rfc: str) -> Response:
    """The company's audit log, newest first (admin and auditor, as the API's /audit)."""
    who, firm = company(request, rfc, "audit.read")
    with store_of(request).reading() as db:
        records = audit.company_log(db, firm.rfc)
    rows = [(r.id, listing.json_value(r.at), r.actor, r.action, r.entity, r.note or "") for r in records]
    try:
        number = int(request.query_params.get("page", "1"))
    except ValueError:
        number = 1
    page = data.page_of(data.Table(AUDIT_HEADER, rows), number)
    return render(request, "audit.html", {"who": who, "firm": firm, "page": page})


@router.get("/origin", response_class=HTMLResponse)
def origin_form(request: Request) -> Response:
    who = logged_in(request)
    if not who.may("case.compute"):
        raise ApiProblem(403, "your role may not qualify cases")
    return render(request, "origin.html", {"who": who, "case": ""})


@router.post("/origin", response_class=HTMLResponse)
async def origin_qualify(request: Request) -> Response:
    """USMCA origin of one case (the origin contract's JSON), as ``POST /api/v1/origin/qualify``."""
    from immex.origin import service

    who = logged_in(request)
    if not who.may("case.compute"):
        raise ApiProblem(403, "your role may not qualify cases")
    form = await checked_form(request)
    case = str(form.get("case") or "")
    context: dict[str, Any] = {"who": who, "case": case}
    with tempfile.TemporaryDirectory(prefix="immex-web-case-") as folder:
        path = Path(folder) / "case.json"
        path.write_text(case, encoding="utf-8")
        try:
            found = await run_in_threadpool(service.qualify_file, path)
        except InputError as error:
            context["problems"] = [
                Problem("case.json", p.row, p.column, p.message.replace(folder + "/", ""))
                for p in error.problems
            ]
            return render(request, "origin.html", context, 422)
    context["result"] = service.determination_json(found)
    return render(request, "origin.html", context)


def admin(request: Request) -> Caller:
    who = logged_in(request)
    if not who.may("user.manage"):
        raise ApiProblem(403, "only an administrator manages users")
    return who


def _people(request: Request) -> list[dict[str, Any]]:
    with store_of(request).reading() as db:
        rows = db.scalars(select(UserRow).order_by(UserRow.email)).all()
        grants = db.scalars(select(GrantRow)).all()
    return [
        {
            "email": u.email,
            "role": u.role,
            "active": u.active,
            "grants": sorted((g.company_rfc, g.role or u.role) for g in grants if g.user_id == u.id),
        }
        for u in rows
    ]


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request) -> Response:
    """Users and their grants (admin): the same changes as ``immex user`` and the API's /users."""
    who = admin(request)
    return render(request, "users.html", {"who": who, "people": _people(request), "roles": users.ROLES})


@router.post("/users", response_class=HTMLResponse)
async def users_change(request: Request) -> Response:
    who = admin(request)
    form = await checked_form(request)
    action, email = str(form.get("action") or ""), str(form.get("email") or "")
    company_rfc, role = str(form.get("company") or ""), str(form.get("role") or "") or None
    try:
        with store_of(request).writing() as db:
            if action == "add":
                given = [c for c in str(form.get("companies") or "").replace(",", " ").split() if c]
                password = str(form.get("password") or "")
                users.add_user(db, email, role or "", password, given, who.actor)
            elif action == "grant":
                users.grant(db, email, company_rfc, role, who.actor)
            elif action == "revoke":
                users.revoke(db, email, company_rfc, who.actor)
            elif action == "disable":
                users.disable(db, email, who.actor)
            else:
                raise ApiProblem(404, f"no user action {action!r}")
    except InputError as error:
        context = {"who": who, "people": _people(request), "roles": users.ROLES, "problems": error.problems}
        return render(request, "users.html", context, 422)
    return RedirectResponse("/users", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_status(request: Request, job_id: int) -> Response:
    """The job's progress as a fragment htmx swaps in every half second until it ends."""
    who = logged_in(request)
    with store_of(request).reading() as db:
        job = db.scalar(select(JobRow).where(JobRow.id == job_id))
    if job is None or (job.user_id != who.user_id and who.access.role != "admin"):
        raise ApiProblem(404, f"job {job_id}")
    state = jobs_of(request).state_of(job)
    return render(request, "job.html", {"who": who, "job": state, "fixes": _fixes(state)})


def _fixes(state: dict[str, Any]) -> list[tuple[dict[str, Any], str, str]]:
    """A finished compulsa's differences with their explanation and suggested fix (first 200)."""
    if state["kind"] != "compulsa" or state["status"] != "done" or not state["result"]:
        return []
    from immex.compulsa.model import Difference
    from immex.compulsa.text import explain

    rows = state["result"].get("differences", [])[:200]
    return [(row, *explain(Difference(**row))) for row in rows]


@router.get("/jobs/{job_id}/files/{name}")
def job_file(request: Request, job_id: int, name: str) -> Response:
    """A file a finished job wrote (differences.csv of a compulsa), for who started it or an admin."""
    who = logged_in(request)
    with store_of(request).reading() as db:
        job = db.scalar(select(JobRow).where(JobRow.id == job_id))
    if job is None or (job.user_id != who.user_id and who.access.role != "admin"):
        raise ApiProblem(404, f"job {job_id}")
    path = jobs_of(request).folder(job.id) / name
    if job.status != "done" or Path(name).name != name or not path.is_file():
        raise ApiProblem(404, f"file {name} of job {job_id}")
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=name)
