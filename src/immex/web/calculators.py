"""The duty calculators of the web pages: which form fields each case has, the engine's use
case it calls (the same functions as ``immex duties ...``) and the tables its answer gives.

Each answer is the CLI's ``--format json`` object; the page, the CSV/XLSX tables and the
JSON download are all made from it, so they cannot disagree with the command line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from immex.core.problems import InputError
from immex.duties import landed_chart, landed_service, service, tariff_service
from immex.duties.tariff import dotted
from immex.web.forms import BOOLEAN, INTEGER, TEXT, WORDS

Tables = dict[str, tuple[Sequence[str], list[tuple[Any, ...]]]]

PEDIMENTO_FIELDS = {
    **dict.fromkeys(("clave", "date", "currency", "exchange_rate", "incoterm", "iva_rate"), TEXT),
    **{f"incrementables.{k}": TEXT for k in ("freight", "insurance", "packing", "other")},
    "company.immex": BOOLEAN,
    "company.certification": TEXT,
    "company.iva_guarantee": BOOLEAN,
    **{
        f"lines.{k}": TEXT
        for k in (
            "fraccion",
            "value",
            "igi_rate",
            "cc_rate",
            "iva_rate",
            "preference.program",
            "preference.certificate",
            "preference.sector",
            "preference.rate",
        )
    },
}
TMEC25_FIELDS = {
    **{f"export.{k}": TEXT for k in ("pedimento", "date", "clave", "destination")},
    "export.same_condition": BOOLEAN,
    **{f"foreign_duty.{k}": TEXT for k in ("amount", "currency", "exchange_rate")},
    **{
        f"materials.{k}": TEXT
        for k in ("id", "fraccion", "customs_value_mxn", "igi_rate", "preference.program")
    },
    "materials.preference.sector": TEXT,
    "materials.preference.rate": TEXT,
    "materials.originating": BOOLEAN,
}
LANDED_FIELDS = {
    **dict.fromkeys(("date", "exchange_rate", "iva_rate", "cost_of_money", "guarantee_fee"), TEXT),
    "iva_recovery_days": INTEGER,
    "company.immex": BOOLEAN,
    "company.certification": TEXT,
    "company.iva_guarantee": BOOLEAN,
    "company.prosec_sectors": WORDS,
    **{
        f"items.{k}": TEXT
        for k in (
            "part",
            "fraccion",
            "supplier_country",
            "unit_value",
            "freight_per_unit",
            "annual_quantity",
            "igi_rate",
            "exported_share",
            "us_duty_per_unit",
        )
    },
    "items.shipments_per_year": INTEGER,
    "items.originating": BOOLEAN,
}


class CalculatorError(Exception):
    """The case has problems: (path, message) each, as the CLI prints them."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Answer:
    """The CLI's JSON of a case, its tables, and how to write it as a file (CSV or XLSX)."""

    json: dict[str, Any]
    tables: Tables
    write: Callable[[str, Path], None] | None = None  # a writer the CLI has for this answer


def _case_problems(error: service.CaseError) -> CalculatorError:
    return CalculatorError([(p.path, p.message) for p in error.problems])


def pedimento(case: dict[str, Any], _extra: Mapping[str, str]) -> Answer:
    """``immex duties pedimento`` of the form's case (lines numbered as the form's rows)."""
    try:
        answer = service.pedimento_json(service.pedimento_from_data(case))
    except service.CaseError as error:
        raise _case_problems(error) from None
    return Answer(answer, pedimento_tables(answer))


def pedimento_tables(answer: Mapping[str, Any]) -> Tables:
    header = ("line", "fraccion", "customs_value", "code", "abbr", "base", "rate", "amount", "forma_pago")
    rows: list[tuple[Any, ...]] = []
    for line in answer["lines"]:
        for c in line["contributions"]:
            rows.append((line["line"], line["fraccion"], line["customs_value"], *_contribution(c)))
    for c in answer["pedimento_contributions"]:
        rows.append(("", "", "", *_contribution(c)))
    totals = answer["totals"]
    summary = [("customs_value", totals["customs_value"])]
    summary += [(f"code_{code}", amount) for code, amount in totals["by_code"].items()]
    summary.append(("cash", totals["cash"]))
    return {"contributions": (header, rows), "totals": (("concept", "amount"), summary)}


def _contribution(c: Mapping[str, Any]) -> tuple[Any, ...]:
    return (c["code"], c["abbr"], c["base"], c["rate"], c["amount"], c["forma_pago"])


def tmec25(case: dict[str, Any], _extra: Mapping[str, str]) -> Answer:
    """``immex duties tmec25 --input`` of the form's case (no materials: an empty list)."""
    case.setdefault("materials", [])
    try:
        answer = service.tmec25_json(service.tmec25_from_data(case))
    except service.CaseError as error:
        raise _case_problems(error) from None
    return Answer(answer, tmec25_tables(answer))


def tmec25_tables(answer: Mapping[str, Any]) -> Tables:
    fields = ("applies", "mexican_igi", "foreign_duty_mxn", "exemption", "payable", "due_date")
    summary: list[tuple[Any, ...]] = [(k, _plain(answer[k])) for k in fields]
    summary += [
        ("complemento", answer["identificador"]["complemento"]),
        ("contribution_code", answer["contribution"]["code"]),
        ("dta_complementario", answer["dta_complementario"]),
    ]
    header = ("id", "included", "rate", "rate_source", "igi")
    materials = [tuple(_plain(m[k]) for k in header) for m in answer["materials"]]
    return {"summary": (("field", "value"), summary), "materials": (header, materials)}


def _plain(value: Any) -> Any:
    """JSON literals as a spreadsheet reads them (true → yes, null → empty)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else value


def landed(case: dict[str, Any], extra: Mapping[str, str]) -> Answer:
    """``immex duties landed`` of the form's scenario, with its what-if edits (one a line)."""
    edits = [line.strip() for line in extra.get("what_if", "").splitlines() if line.strip()]
    try:
        result = landed_service.run_landed(case, edits)
    except service.CaseError as error:
        raise _case_problems(error) from None

    def write(fmt: str, path: Path) -> None:  # the files of --csv and --xlsx
        if fmt == "xlsx":
            landed_chart.write_xlsx(result.tables(), result.savings(), path)
        else:
            landed_chart.write_csv(result.tables(), path)

    rows = [tuple(r) for name, costs in result.tables() for r in landed_chart.rows(costs, name)]
    return Answer(landed_service.landed_json(result), {"landed": (landed_chart.COLUMNS, rows)}, write)


def savings_bars(answer: Mapping[str, Any]) -> list[tuple[str, str, Decimal]]:
    """(scenario, regime, yearly savings) for the chart, definitive import left out (it is 0)."""
    return [
        (s["name"], regime, Decimal(value))
        for s in answer["scenarios"]
        for regime, value in s["savings_by_regime"].items()
        if regime != "definitive"
    ]


TARIFF_HEADER = (
    "fraccion",
    "nico",
    "description",
    "unit",
    "igi_rate",
    "igi_text",
    "since",
    "until",
    "source",
)
PROSEC_HEADER = ("sector", "rate", "since", "until", "source")


def tariff(fraccion: str, day: dt.date) -> tuple[tariff_service.TariffAnswer, Tables]:
    """``immex duties tariff show FRACCION --date D`` on the shipped (or updated) LIGIE."""
    try:
        answer = tariff_service.tariff_show(fraccion, day)
    except InputError as error:
        raise CalculatorError([("fraccion", p.message) for p in error.problems]) from None
    rows = [
        (
            dotted(r.fraccion),
            r.nico,
            r.description,
            r.unit,
            r.igi_rate,
            r.igi_text,
            r.since,
            r.until,
            r.source,
        )
        for r in answer.rows
    ]
    prosec = [(p.sector, p.rate, p.since, p.until, p.source) for p in answer.prosec]
    return answer, {"tariff": (TARIFF_HEADER, rows), "prosec": (PROSEC_HEADER, prosec)}
