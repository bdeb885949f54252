"""Duty pages: a pedimento's contributions, T-MEC Art. 2.5, landed cost and the tariff.

The forms post their fields by the case's own paths; the page nests them into the case
JSON of ``immex duties ...``, calls the same use case, and shows the answer, or each
problem next to its field (422). The same form posted with ``do=csv|xlsx|json`` answers
the computation as a download instead, so a download is always of what is on the screen.
Who may compute: the API's ``case.compute`` (analyst, auditor, admin).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from immex.api.deps import Caller
from immex.api.problems import ApiProblem
from immex.core.table_files import write_csv, write_xlsx
from immex.duties.rules_data import iva_rates
from immex.web import calculators, forms
from immex.web.pages import PageRoute, checked_form, logged_in, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
DOWNLOADS = ("csv", "xlsx", "json")
CASE_FILE_LIMIT = 1_000_000  # bytes
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Calculator:
    name: str  # the page's path under /duties/ and the download's file name
    fields: Mapping[str, str]
    rows: str  # the case's list the form shows as rows
    least: int  # rows shown on an empty form
    compute: Callable[[dict[str, Any], Mapping[str, str]], calculators.Answer]
    number: Callable[[forms.Nested], None] = lambda nested: None


def _number_lines(nested: forms.Nested) -> None:
    """A partida's number is its row on the form (unique, and what the analyst sees)."""
    for line, row in zip(nested.case.get("lines", []), nested.rows.get("lines", []), strict=True):
        line["line"] = row + 1


CALCULATORS = {
    "pedimento": Calculator(
        "pedimento", calculators.PEDIMENTO_FIELDS, "lines", 3, calculators.pedimento, _number_lines
    ),
    "tmec25": Calculator("tmec25", calculators.TMEC25_FIELDS, "materials", 3, calculators.tmec25),
    "landed": Calculator("landed", calculators.LANDED_FIELDS, "items", 2, calculators.landed),
}


def calculator_user(request: Request) -> Caller:
    who = logged_in(request)
    if not who.may("case.compute"):
        raise ApiProblem(403, "your role may not compute duties")
    return who


def _defaults(name: str) -> dict[str, str]:
    """A new form: today's date and the IVA rate in force today (from the rules data)."""
    today = dt.date.today()
    if name == "pedimento":
        rate = format(iva_rates().on(today), "f")
        return {"clave": "A1", "date": today.isoformat(), "currency": "USD", "iva_rate": rate}
    if name == "tmec25":
        return {"export.date": today.isoformat(), "export.destination": "US"}
    return {"date": today.isoformat(), "iva_recovery_days": "45", "company.immex": "true"}


def _page(request: Request, calc: Calculator, context: dict[str, Any], status: int = 200) -> Response:
    values = context.setdefault("values", _defaults(calc.name))
    wanted = int(context.pop("wanted", 0))
    context["rows"] = forms.row_count(values, calc.rows, wanted, calc.least)
    context.setdefault("errors", {})
    return render(request, f"duties_{calc.name}.html", {"calc": calc.name, **context}, status)


@router.get("/duties", response_class=HTMLResponse)
def duties_home(request: Request) -> Response:
    calculator_user(request)
    return RedirectResponse("/duties/pedimento", status_code=303)


@router.get("/duties/tariff", response_class=HTMLResponse)
def tariff_page(request: Request) -> Response:
    """The tariff lookup is a GET form (it changes nothing, and its address can be shared)."""
    who = calculator_user(request)
    given = {k: request.query_params.get(k, "").strip() for k in ("fraccion", "date")}
    given["date"] = given["date"] or dt.date.today().isoformat()
    context: dict[str, Any] = {"who": who, "calc": "tariff", "values": given, "errors": {}}
    if not given["fraccion"]:
        return render(request, "duties_tariff.html", context)
    try:
        day = dt.date.fromisoformat(given["date"])
    except ValueError:
        context["errors"] = {"date": [f"{given['date']!r} is not a date YYYY-MM-DD"]}
        return render(request, "duties_tariff.html", context, 422)
    try:
        answer, tables = calculators.tariff(given["fraccion"], day)
    except calculators.CalculatorError as error:
        context["errors"] = forms.problems_by_field(error.problems, {})
        return render(request, "duties_tariff.html", context, 422)
    fmt = request.query_params.get("download", "")
    if fmt in ("csv", "xlsx") and answer.rows:
        return _file(f"tariff-{answer.fraccion}", tables, fmt, None)
    context.update({"answer": answer, "tables": tables})
    return render(request, "duties_tariff.html", context, 200 if answer.rows else 404)


@router.get("/duties/{name}", response_class=HTMLResponse)
def calculator_form(request: Request, name: str) -> Response:
    calc = CALCULATORS.get(name)
    if calc is None:
        raise ApiProblem(404, f"no calculator {name}")
    return _page(request, calc, {"who": calculator_user(request)})


@router.post("/duties/{name}", response_class=HTMLResponse)
async def calculator_compute(request: Request, name: str) -> Response:
    calc = CALCULATORS.get(name)
    if calc is None:
        raise ApiProblem(404, f"no calculator {name}")
    who = calculator_user(request)
    form = await checked_form(request)
    pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    extra = {"what_if": str(form.get("what_if") or "")}
    do = str(form.get("do") or "compute")
    shown = str(form.get("rows") or "0")
    context: dict[str, Any] = {"who": who, "values": forms.values_of(pairs), **extra}
    context["wanted"] = int(shown) if shown.isdigit() else 0
    if do == "load":  # a case file of the CLI fills the form; nothing computed yet
        context["values"], context["errors"] = await _loaded(form.get("case_file"), calc)
        return _page(request, calc, context, 422 if context["errors"] else 200)
    if do == "add":  # one more row, nothing computed yet
        values = context["values"]
        context["wanted"] = forms.row_count(values, calc.rows, context["wanted"], calc.least) + 1
        return _page(request, calc, context)
    nested = forms.nest(pairs, calc.fields)
    calc.number(nested)
    try:
        answer = await run_in_threadpool(calc.compute, nested.case, extra)
    except calculators.CalculatorError as error:
        renamed = [("what_if" if p == "--set" else p, m) for p, m in error.problems]
        context["errors"] = forms.problems_by_field(renamed, nested.rows)
        return _page(request, calc, context, 422)
    if do in DOWNLOADS:
        return _file(calc.name, answer.tables, do, answer)
    context.update({"answer": answer.json, "tables": answer.tables})
    if calc.name == "landed":
        context["bars"] = _savings_chart(answer.json)
    return _page(request, calc, context)


async def _loaded(sent: object, calc: Calculator) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The form's values from a case file (``--input CASE.json``), or the problem with it."""
    if not isinstance(sent, UploadFile) or not sent.filename:
        return _defaults(calc.name), {"case_file": ["choose the case file (JSON)"]}
    raw = await sent.read(CASE_FILE_LIMIT + 1)
    try:
        if len(raw) > CASE_FILE_LIMIT:
            raise ValueError(f"larger than {CASE_FILE_LIMIT // 1000} kB; a case file is much smaller")
        case = json.loads(raw.decode("utf-8-sig"), parse_float=str)
        if not isinstance(case, dict):
            raise ValueError("a case file holds one JSON object")
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
        return _defaults(calc.name), {"case_file": [f"{sent.filename}: {error}"]}
    # A partida's number is its row on the form, so the file's numbers are not carried over.
    pairs = [(k, v) for k, v in forms.flatten(case) if not re.fullmatch(r"lines\[\d+\]\.line", k)]
    return forms.values_of(pairs), {}


def _savings_chart(answer: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    from immex.web.charts import bars

    found = calculators.savings_bars(answer)
    drawn = bars([(regime, abs(value), "ok" if value >= 0 else "bad") for _, regime, value in found])
    return [(scenario, value, bar) for (scenario, _, value), bar in zip(found, drawn, strict=True)]


def _file(name: str, tables: calculators.Tables, fmt: str, answer: calculators.Answer | None) -> Response:
    """The answer as a file: the CLI's JSON, the CLI's own file writer where it has one, else
    every table as a sheet (XLSX) or the first table (CSV)."""
    folder = Path(tempfile.mkdtemp(prefix="immex-web-duties-"))
    path = folder / f"{name}.{fmt}"
    if fmt == "json" and answer is not None:
        path.write_text(json.dumps(answer.json, ensure_ascii=False) + "\n", encoding="utf-8")
    elif answer is not None and answer.write is not None:
        answer.write(fmt, path)
    elif fmt == "xlsx":
        write_xlsx(path, {title: table for title, table in tables.items()})
    else:
        header, rows = next(iter(tables.values()))
        write_csv(path, header, rows)
    media = {"json": "application/json", "xlsx": XLSX}.get(fmt, "text/csv; charset=utf-8")
    return FileResponse(
        path, media_type=media, filename=path.name, background=BackgroundTask(shutil.rmtree, folder, True)
    )
