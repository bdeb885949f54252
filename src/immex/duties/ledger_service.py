"""Duty engines over the stored ledger: T-MEC Art. 2.5 per export pedimento from the
stored discharge, and yearly import volumes for landed cost.

Reads the lead's ledger store (``immex.ledger.orm``) through its loading
service (``immex.ledger.service``) and the active allocation rows of the discharge
(``immex.discharge.service.active_allocations``); writes nothing.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from immex.core.fields import likely_typos
from immex.core.numbers import parse_decimal
from immex.core.problems import InputError, Problem
from immex.core.tables import read_csv_table
from immex.discharge.methods import Allocation
from immex.duties import codes
from immex.duties.from_ledger import LedgerCase, MaterialTerms, export_cases
from immex.duties.ieps import ieps_categories
from immex.duties.service import CaseError, tmec25_case_result, tmec25_json
from immex.duties.tariff import (
    NoAdValoremRate,
    TariffIndex,
    hts_lookup,
    igi_rate_on,
    split_fraccion,
)
from immex.duties.tariff_service import read_hts_table, tariff_index
from immex.duties.values import FieldProblem, Tmec25Result
from immex.ledger.model import ExportLine, ImportLine, Ledger
from immex.ledger.orm import ExportLineRow, ImportLineRow, PedimentoRow
from immex.store.uow import UnitOfWork

TRUE = ("true", "yes", "1", "si", "sí")
FALSE = ("false", "no", "0", "")


def _csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the (file row, cells) of a CSV a user edits: its encoding and separator
    detected, cells stripped, a short row padded, a file cut short refused (``read_csv_table``)."""
    try:
        table = read_csv_table(path)
    except OSError as exc:
        raise InputError([Problem(path.name, None, "", f"cannot read: {exc.strerror}")]) from exc
    return list(table.header), list(table.rows)


def _dec(raw: str, file: str, row: int, column: str, problems: list[Problem]) -> Decimal | None:
    if not raw.strip():
        return None
    try:
        return parse_decimal(raw)
    except ValueError as exc:
        problems.append(Problem(file, row, column, str(exc)))
        return None


# the columns read_material_terms reads; a header close to one of them is a likely typo
TERMS_COLUMNS = frozenset(
    {"part", "igi_rate", "originating", "prosec_sector", "prosec_rate", "r8_rate", "ieps_category"}
)


def read_material_terms(path: Path) -> dict[str, MaterialTerms]:
    """CSV ``part,igi_rate,originating[,prosec_sector,prosec_rate,r8_rate,ieps_category]`` (rates
    as fractions: 0.15 = 15 %; ``ieps_category`` a category of ``rules/duties/ieps.yaml``)."""
    header, rows = _csv(path)
    problems: list[Problem] = []
    for needed in ("part", "igi_rate", "originating"):
        if needed not in header:
            problems.append(Problem(path.name, 1, needed, "column missing"))
    for typo in likely_typos(header, TERMS_COLUMNS):  # "prosec_sectr" would drop every PROSEC rate unseen
        problems.append(Problem(path.name, 1, typo.field, typo.message()))
    if problems:
        raise InputError(problems)
    terms: dict[str, MaterialTerms] = {}
    for number, row in rows:
        part = row["part"].strip()
        flag = (row.get("originating") or "").strip().lower()
        if flag not in TRUE + FALSE:
            problems.append(Problem(path.name, number, "originating", "use true or false"))
        rate = _dec(row["igi_rate"], path.name, number, "igi_rate", problems)
        if rate is None and not row["igi_rate"].strip():
            problems.append(Problem(path.name, number, "igi_rate", "required"))
        prosec = _dec(row.get("prosec_rate") or "", path.name, number, "prosec_rate", problems)
        r8 = _dec(row.get("r8_rate") or "", path.name, number, "r8_rate", problems)
        if part in terms:
            problems.append(Problem(path.name, number, "part", f"{part} repeats"))
        ieps = (row.get("ieps_category") or "").strip() or None
        if ieps is not None and ieps not in ieps_categories():
            known = ", ".join(sorted(ieps_categories()))
            problems.append(Problem(path.name, number, "ieps_category", f"{ieps!r} is not one of {known}"))
        sector = (row.get("prosec_sector") or "").strip() or None
        if sector is not None and codes.prosec_sector(sector) is None:
            problems.append(
                Problem(path.name, number, "prosec_sector", codes.unknown_message("prosec_sector", sector))
            )
        terms[part] = MaterialTerms(rate, flag in TRUE, sector, prosec, r8, ieps_category=ieps)
    if problems:
        raise InputError(problems)
    return terms


@dataclass(frozen=True, slots=True)
class ExchangeRates:
    """Rates by pedimento number, else by date (the latest published on or before)."""

    by_pedimento: dict[str, Decimal]
    dates: list[dt.date]
    rates: list[Decimal]

    def on(self, pedimento: str, day: dt.date) -> Decimal | None:
        if pedimento in self.by_pedimento:
            return self.by_pedimento[pedimento]
        index = bisect.bisect_right(self.dates, day)
        return self.rates[index - 1] if index else None


def read_exchange_rates(path: Path) -> ExchangeRates:
    """CSV with ``exchange_rate`` and ``date`` (DOF rate by date) or ``pedimento``."""
    header, rows = _csv(path)
    if "exchange_rate" not in header or not ({"date", "pedimento"} & set(header)):
        raise InputError([Problem(path.name, 1, "", "columns: date or pedimento, and exchange_rate")])
    problems: list[Problem] = []
    by_ped: dict[str, Decimal] = {}
    dated: dict[dt.date, Decimal] = {}
    for number, row in rows:
        rate = _dec(row["exchange_rate"], path.name, number, "exchange_rate", problems)
        if rate is None or rate <= 0:
            if rate is not None:
                problems.append(Problem(path.name, number, "exchange_rate", "must be > 0"))
            continue
        if (row.get("pedimento") or "").strip():
            by_ped[row["pedimento"].replace(" ", "")] = rate
        elif (row.get("date") or "").strip():
            try:
                dated[dt.date.fromisoformat(row["date"].strip())] = rate
            except ValueError:
                problems.append(Problem(path.name, number, "date", "not YYYY-MM-DD"))
        else:
            problems.append(Problem(path.name, number, "date", "give a date or a pedimento"))
    if problems:
        raise InputError(problems)
    days = sorted(dated)
    return ExchangeRates(by_ped, days, [dated[d] for d in days])


def read_us_rates(path: Path, hts_table: Path | None) -> dict[str, Decimal]:
    """CSV ``product,us_rate`` or ``product,hts`` (looked up in the company HTS table)."""
    header, rows = _csv(path)
    if "product" not in header or not ({"us_rate", "hts"} & set(header)):
        raise InputError([Problem(path.name, 1, "", "columns: product and us_rate or hts")])
    table = read_hts_table(hts_table) if hts_table is not None else None
    problems: list[Problem] = []
    out: dict[str, Decimal] = {}
    for number, row in rows:
        product = row["product"].strip()
        rate = _dec(row.get("us_rate") or "", path.name, number, "us_rate", problems)
        if rate is None and (row.get("hts") or "").strip():
            if table is None:
                problems.append(Problem(path.name, number, "hts", "give --hts with the table"))
                continue
            try:
                found = hts_lookup(table, row["hts"])
            except ValueError as exc:
                problems.append(Problem(path.name, number, "hts", str(exc)))
                continue
            if found is None or found.general_rate is None:
                problems.append(
                    Problem(path.name, number, "hts", f"{row['hts']} has no ad valorem rate in the table")
                )
                continue
            rate = found.general_rate
        if rate is None:
            problems.append(Problem(path.name, number, "us_rate", "give us_rate or hts"))
            continue
        out[product] = rate
    if problems:
        raise InputError(problems)
    return out


def _allocations(session: Session, company: int, run: int | None) -> list[Allocation]:
    from immex.discharge.service import active_allocations

    exports = {
        r.id: (n, r.line, r.product)
        for r, n in session.execute(
            select(ExportLineRow, PedimentoRow.number)
            .join(PedimentoRow)
            .where(ExportLineRow.company_id == company)
        )
    }
    imports = {
        r.id: (n, r.line)
        for r, n in session.execute(
            select(ImportLineRow, PedimentoRow.number)
            .join(PedimentoRow)
            .where(ImportLineRow.company_id == company)
        )
    }
    out = []
    for row in active_allocations(session, company):
        if row.import_line_id is None or (run is not None and row.run_id != run):
            continue
        ped, line, product = exports[row.export_line_id]
        imp, imp_line = imports[row.import_line_id]
        out.append(Allocation(ped, line, product, row.part, imp, imp_line, row.qty, row.late))
    return out


def _terms_with_tariff(
    ledger: Ledger, terms: dict[str, MaterialTerms], directory: Path | None
) -> dict[str, MaterialTerms]:
    """Parts without terms take the tariff rate of their fracción + NICO (non-originating).

    A part whose fracción has a duty that is not ad valorem gets no rate but the reason,
    which ``export_cases`` reports only where an Art. 2.5 export needs the rate."""
    out = dict(terms)
    reasons: dict[str, str] = {}
    rows: TariffIndex | None = None
    for line in ledger.imports:
        if line.part in out or not line.hs:
            continue
        try:
            fraccion, nico = split_fraccion(line.hs)
        except ValueError:
            continue
        if nico is None:
            continue
        rows = rows if rows is not None else tariff_index(directory)
        try:
            rate = igi_rate_on(rows, fraccion, nico, line.cleared_on)
        except NoAdValoremRate as exc:
            reasons.setdefault(line.part, str(exc))
            continue
        if rate is not None:
            out[line.part] = MaterialTerms(rate, False)
    for part, reason in reasons.items():
        out.setdefault(part, MaterialTerms(None, False, no_rate_reason=reason))
    return out


@dataclass(frozen=True, slots=True)
class LedgerArt25:
    cases: list[LedgerCase]
    results: list[Tmec25Result]


def art25_from_store(
    db_url: str,
    company_code: str,
    terms_path: Path | None,
    fx_path: Path,
    us_path: Path | None,
    hts_table: Path | None = None,
    run: int | None = None,
    period: tuple[dt.date | None, dt.date | None] = (None, None),
    data_dir: Path | None = None,
) -> LedgerArt25:
    """Art. 2.5 for every export pedimento to the US/Canada of the stored discharge."""
    from immex.ledger.service import company_id, load_ledger

    terms = read_material_terms(terms_path) if terms_path is not None else {}
    rates = read_exchange_rates(fx_path)
    us = read_us_rates(us_path, hts_table) if us_path is not None else {}
    with UnitOfWork(db_url, company=company_code) as uow:
        session = uow.session
        try:
            company = company_id(session, company_code, create=False)
        except LookupError as exc:
            raise CaseError([FieldProblem("--company", str(exc))]) from exc
        ledger = load_ledger(session, company)
        allocations = _allocations(session, company, run)
    terms = _terms_with_tariff(ledger, terms, data_dir)

    def import_rate(line: ImportLine) -> Decimal | None:
        return rates.on(line.pedimento, line.cleared_on)

    def export_rate(line: ExportLine) -> Decimal | None:
        return rates.on(line.pedimento, line.cleared_on)

    cases, problems = export_cases(
        ledger, allocations, terms, import_rate, export_rate, us, period, only_allocated=run is not None
    )
    results: list[Tmec25Result] = []
    for case in cases:
        try:
            results.append(tmec25_case_result(case.case))
        except CaseError as error:
            problems.extend(
                FieldProblem(f"export {case.pedimento} {p.path}", p.message) for p in error.problems
            )
    if problems:
        raise CaseError(problems)
    return LedgerArt25(cases, results)


def ledger_art25_json(
    found: LedgerArt25, run: int | None, period: tuple[dt.date | None, dt.date | None]
) -> dict[str, Any]:
    exports = []
    totals: dict[str, int] = defaultdict(int)
    months: dict[str, dict[str, int]] = {}
    for case, result in zip(found.cases, found.results, strict=True):
        body = tmec25_json(result)
        body.pop("command")
        for material, source in zip(body["materials"], case.sources, strict=True):
            material.update(
                {
                    "import_pedimento": source.import_pedimento,
                    "import_line": source.import_line,
                    "part": source.part,
                    "qty": format(source.qty, "f"),
                    "export_line": source.export_line,
                }
            )
        exports.append(
            {
                "pedimento": case.pedimento,
                "date": case.date.isoformat(),
                "clave": case.clave,
                "destination": case.destination,
                "export_lines": list(case.export_lines),
                **body,
            }
        )
        month = months.setdefault(case.date.strftime("%Y-%m"), defaultdict(int))
        for key in ("mexican_igi", "exemption", "payable", "dta_complementario"):
            totals[key] += body[key]
            month[key] += body[key]
        month["exports"] += 1
    return {
        "command": "tmec25",
        "source": "store",
        "run": run,
        "from": period[0].isoformat() if period[0] else None,
        "to": period[1].isoformat() if period[1] else None,
        "exports": exports,
        "totals": {**dict(totals), "exports": len(exports)},
        "by_month": {key: dict(value) for key, value in sorted(months.items())},
    }


def import_volumes(
    db_url: str, company_code: str, start: dt.date, end: dt.date, parts: Sequence[str] | None = None
) -> dict[str, Decimal]:
    """Quantity imported per part with clearance in [start, end] (the company's actual
    volumes for landed cost)."""
    from immex.ledger.service import company_id

    with UnitOfWork(db_url, company=company_code) as uow:
        session = uow.session
        try:
            company = company_id(session, company_code, create=False)
        except LookupError as exc:
            raise CaseError([FieldProblem("--company", str(exc))]) from exc
        query = select(ImportLineRow.part, ImportLineRow.qty).where(
            ImportLineRow.company_id == company,
            ImportLineRow.cleared_on >= start,
            ImportLineRow.cleared_on <= end,
        )
        volumes: dict[str, Decimal] = defaultdict(Decimal)
        for part, qty in session.execute(query):
            if parts is None or part in parts:
                volumes[part] += qty
    return dict(volumes)
