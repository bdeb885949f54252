"""Reports downloaded from the browser: Anexo 24 of a period, the annual report (exports and the
export commitment), the expiring lots with what can be done with each and its cost, and the
IVA/IEPS credit ledger of a certified company, as ``immex report anexo24|annual|expiring|ivacredit``
write them (the same builders, the same signed XLSX/PDF and raw CSV), for the company of the page.

The forms are GETs (a report changes nothing); a form with a problem comes back with the
problem beside its field (422). Who may: whoever may read the company's ledger.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any, cast

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from starlette.background import BackgroundTask

from immex.api.companies import CompanyRef
from immex.api.deps import store_of
from immex.core.problems import InputError, Problem
from immex.reports import service as reports
from immex.reports.anexo24 import anexo24_report
from immex.reports.annual_service import build_annual, usd_amount
from immex.reports.ivacredit_service import stored_ivacredit
from immex.reports.labels import Lang, Reason
from immex.reports.options import CostSources, cost_sources
from immex.reports.service import Report
from immex.reports.signing import Signature, stored_source
from immex.reports.templates import get_template
from immex.web import data
from immex.web.pages import PageRoute, company, lang_of, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FORMATS = ("xlsx", "pdf", "csv")
REPORTS = ("anexo24", "annual", "expiring", "ivacredit")
PERIODIC = ("anexo24", "ivacredit")  # a period from/to
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


def _date(values: dict[str, str], key: str, errors: dict[str, list[str]]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(values[key])
    except ValueError:
        errors.setdefault(key, []).append(f"{values[key]!r} is not a date YYYY-MM-DD")
        return None


def _defaults() -> dict[str, str]:
    today = dt.date.today()
    last = dt.date(today.year, today.month, 1) - dt.timedelta(days=1)
    return {
        "from": last.replace(day=1).isoformat(),
        "to": last.isoformat(),
        "year": str(today.year - 1),
        "total_sales_usd": "",
        "format": "xlsx",
        "as_of": today.isoformat(),
        "days": "60",
        "exchange_rate": "",
    }


def _built(
    firm: CompanyRef, request: Request, which: str, values: dict[str, str]
) -> tuple[Report, Signature]:
    """The report of the form's values; InputError (with the field it names) otherwise."""
    store = store_of(request)
    ledger, result = data.stored_state(store, firm)
    with store.reading() as session:
        source = stored_source(session, firm.id)
    lang = cast(Lang, lang_of(request))
    if which == "anexo24":
        start, end = dt.date.fromisoformat(values["from"]), dt.date.fromisoformat(values["to"])
        report = anexo24_report(ledger, result, start, end, get_template(None))
        return report, Signature("anexo24", source, period=(start, end))
    if which == "ivacredit":  # lines without Data Stage: computed at the rate given, else in USD
        start, end = dt.date.fromisoformat(values["from"]), dt.date.fromisoformat(values["to"])
        rate = values["exchange_rate"] or None
        with store.reading() as session:
            sources = _from_form(cost_sources(None, rate, None))
            return stored_ivacredit(session, firm.id, start, end, sources, lang)
    if which == "expiring":  # without an exchange rate the costs stay empty, saying what is missing
        day, rate = dt.date.fromisoformat(values["as_of"]), values["exchange_rate"] or None
        sources = _from_form(cost_sources(None, rate, None))
        report = reports.expiring_report(ledger, result, day, int(values["days"]), True, sources, lang)
        return report, Signature("expiring", source, as_of=day)
    year, total = int(values["year"]), usd_amount(values["total_sales_usd"])
    outcome = build_annual(ledger, source, year, total, lang)
    return outcome.report, outcome.signature


def _from_form(sources: CostSources) -> CostSources:
    """A missing exchange rate is given in the form here, not with --exchange-rate."""
    return dataclasses.replace(sources, exchange_rate_hint=Reason("hint_exchange_rate_form"))


def _checked(which: str, values: dict[str, str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if values["format"] not in FORMATS:
        errors["format"] = [f"{values['format']!r} is not one of {', '.join(FORMATS)}"]
    if which in PERIODIC:
        _date(values, "from", errors)
        _date(values, "to", errors)
        return errors
    if which == "expiring":
        _date(values, "as_of", errors)
        if not values["days"].isdigit() or int(values["days"]) > 3660:
            errors["days"] = [f"{values['days']!r} is not a number of days (0 to 3660)"]
        return errors
    if not values["year"].isdigit() or not 1900 < int(values["year"]) < 3000:
        errors["year"] = [f"{values['year']!r} is not a year"]
    try:
        usd_amount(values["total_sales_usd"])
    except InputError as error:  # 1.000,50 (a decimal comma) is refused, not read as 1.0005
        errors["total_sales_usd"] = [p.message for p in error.problems]
    return errors


@router.get("/c/{rfc}/reports", response_class=HTMLResponse)
def reports_page(request: Request, rfc: str) -> Response:
    """The forms; with ``report=anexo24|annual|expiring|ivacredit`` the report itself, as a file."""
    who, firm = company(request, rfc, "ledger.read")
    which = request.query_params.get("report", "")
    values = {**_defaults(), **{k: v.strip() for k, v in request.query_params.items()}}
    context: dict[str, Any] = {"who": who, "firm": firm, "values": values, "which": which, "errors": {}}
    if which not in REPORTS:
        return render(request, "reports.html", context)
    context["errors"] = _checked(which, values)
    if not context["errors"]:
        try:
            report, signature = _built(firm, request, which, values)
        except InputError as error:  # a period backwards, a year without exports, sales < exports
            context["errors"] = _by_field(which, error.problems)
        else:
            return _file(report, signature, values["format"], cast(Lang, lang_of(request)), which)
    return render(request, "reports.html", context, 422)


FIELDS = {
    "anexo24": ("from", "to"),
    "annual": ("year", "total_sales_usd"),
    "expiring": ("as_of", "days", "exchange_rate"),
    "ivacredit": ("from", "to", "exchange_rate"),
}


def _by_field(which: str, problems: list[Problem]) -> dict[str, list[str]]:
    """Each problem beside the field it names; one about no field (the company's certification,
    a store without a ledger) above the forms."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        named = (problem.column or "").lstrip("-").replace("-", "_")  # --exchange-rate: exchange_rate
        field = named if named in FIELDS[which] else ""
        errors.setdefault(field, []).append(problem.message)
    return errors


def _file(report: Report, signature: Signature, fmt: str, lang: Lang, which: str) -> Response:
    folder = Path(tempfile.mkdtemp(prefix="immex-web-report-"))
    path = folder / f"{which}.{fmt}"
    reports.write_report(report, path, signature=signature, lang=lang)
    return FileResponse(
        path,
        media_type=MEDIA[fmt],
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, True),
    )
