"""Reports on the ledger and its discharge: balances, aging, expiring lots, trace both ways.

Each report is a header plus rows of plain values, computed from a ledger and a
discharge result — the stored ones (``--db``) or those of an input folder
discharged in memory (``--input``) — so the same code serves both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from immex.core.atomic import output_error
from immex.core.pedimento import canonical_pedimento
from immex.core.problems import InputError, Problem
from immex.core.progress import QUIET, Progress, counted
from immex.core.table_files import Cell, write_csv, write_xlsx
from immex.discharge.methods import DischargeResult, balances
from immex.discharge.outputs import (
    BALANCE_HEADER,
    SHORTFALL_HEADER,
    balance_rows,
    shortfall_rows,
)
from immex.discharge.regularize import overdraw_problems
from immex.discharge.service import compute, stored_result
from immex.ledger.model import ImportLine, Ledger
from immex.ledger.orm import DischargeRunRow, RunReversalRow
from immex.ledger.read import named_as_read, read_ledger
from immex.ledger.service import company_id, load_ledger
from immex.reports import options
from immex.reports.labels import Lang
from immex.reports.signing import (
    Signature,
    Source,
    folder_source,
    headings,
    kinds,
    person_rows,
    preamble,
    stored_source,
)

# The trace headers are declared once, with the SQL pages that answer the same rows (re-exported).
from immex.reports.stored import TRACE_EXPORT_HEADER as TRACE_EXPORT_HEADER
from immex.reports.stored import TRACE_IMPORT_HEADER as TRACE_IMPORT_HEADER
from immex.store.db import check_database_url, database_url
from immex.store.uow import UnitOfWork

# Age buckets of the aging report, in days since the fecha de pago (presentation, not law).
AGE_BUCKETS = ((90, "0-90"), (180, "91-180"), (365, "181-365"), (545, "366-545"))


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    notes: tuple[str, ...] = ()
    """Lines a person must read with the table (under it in a PDF, in the header block of an XLSX)."""


@dataclass(frozen=True, slots=True)
class State:
    """What a report is built from, and whose it is (for the header block)."""

    ledger: Ledger
    result: DischargeResult
    source: Source


# The stores immex keeps its ledger in (SQLAlchemy backend names of a --db URL).
OUTPUT_SUFFIXES = (".csv", ".xlsx", ".pdf")


def check_db_url(db_url: str | None) -> None:
    """InputError naming ``--db`` when the URL (or IMMEX_DB) is not one of a store immex keeps."""
    check_database_url(database_url(db_url))


def open_store(db_url: str | None) -> UnitOfWork:
    """A unit of work on an existing store, after :func:`check_db_url`."""
    check_db_url(db_url)
    return UnitOfWork(db_url)


def check_output(path: Path | None) -> None:
    """InputError naming ``--output`` unless it ends in .csv, .xlsx or .pdf (checked before any work).

    Any other name used to get a CSV under it (``report.docx``), which the program the
    name promises cannot open.
    """
    if path is None or path.suffix.lower() in OUTPUT_SUFFIXES:
        return
    what = f"ends in {path.suffix!r}" if path.suffix else "has no extension"
    message = f"{str(path)!r} {what}: name a FILE.csv, FILE.xlsx or FILE.pdf"
    raise InputError([Problem("", None, "output", message)])


def load_state(
    db_url: str | None, input_dir: Path | None, method: str = "fifo", progress: Progress = QUIET
) -> tuple[Ledger, DischargeResult]:
    """The ledger and discharge to report on: stored, or an input folder discharged in memory."""
    state = load_sourced(db_url, input_dir, method, progress)
    return state.ledger, state.result


def load_sourced(
    db_url: str | None, input_dir: Path | None, method: str = "fifo", progress: Progress = QUIET
) -> State:
    """:func:`load_state` with the company, run and input fingerprint the header block shows."""
    if input_dir is not None:
        staged = read_ledger(input_dir, progress=progress)
        if staged.problems or staged.ledger is None:  # an A3 beyond its lot listed with the rest
            overdrawn = overdraw_problems(staged, method)
            raise InputError(named_as_read([*staged.problems, *overdrawn], staged.labels))
        try:
            result = compute(staged.ledger, method, progress)
        except InputError as error:  # a workbook's sheet named as the workbook has it
            raise InputError(named_as_read(error.problems, staged.labels)) from None
        return State(staged.ledger, result, folder_source(staged.fingerprint_sources))
    progress.phase("loading the stored ledger and allocations")
    with open_store(db_url) as uow:  # an existing store only: a mistyped --db is an error
        try:
            company = company_id(uow.session, uow.company, create=False)
        except LookupError:
            raise InputError(
                [
                    Problem(
                        "",
                        None,
                        "db",
                        "the store holds no ledger yet: run `immex discharge --db ...` or `immex demo` first",
                    )
                ]
            ) from None
        return State(
            load_ledger(uow.session, company),
            stored_result(uow.session, company),
            stored_source(uow.session, company),
        )


def balances_report(ledger: Ledger, result: DischargeResult, as_of: dt.date) -> Report:
    return Report("balances", BALANCE_HEADER, list(balance_rows(balances(ledger, result.allocations, as_of))))


def age_bucket(days: int) -> str:
    """The aging label of a lot cleared ``days`` before the as-of day (shared with the panel)."""
    if days < 0:  # --as-of is not a cut-off (discharge contract): a lot cleared after it is not "0-90"
        return "cleared after as-of"
    for limit, label in AGE_BUCKETS:
        if days <= limit:
            return label
    return f">{AGE_BUCKETS[-1][0]}"


def value_left(lot: ImportLine, remaining: Decimal) -> Decimal | None:
    """USD value of what remains: unit_value_usd is per unit as written, so prorate the line."""
    imported = lot.qty + lot.adjusted
    if lot.unit_value_usd is None or imported == 0:
        return None
    given = imported if lot.qty_given is None else lot.qty_given
    return (lot.unit_value_usd * given * remaining / imported).quantize(Decimal("0.01"))


AGING_HEADER = (
    "import_pedimento",
    "import_line",
    "part",
    "kind",
    "cleared_on",
    "age_days",
    "age_bucket",
    "qty_remaining",
    "value_remaining_usd",
    "deadline",
    "days_left",
    "status",
    "qty_adjusted",
)


def aging_report(ledger: Ledger, result: DischargeResult, as_of: dt.date) -> Report:
    lots = {lot.key: lot for lot in ledger.imports}
    rows: list[tuple[Cell, ...]] = []
    for row in balances(ledger, result.allocations, as_of):
        if row.qty_remaining <= 0:
            continue
        lot = lots[(row.import_pedimento, row.import_line, row.part)]
        age = (as_of - lot.cleared_on).days
        kind = ledger.parts[row.part].kind if row.part in ledger.parts else ""
        rows.append(
            (
                row.import_pedimento,
                row.import_line,
                row.part,
                kind,
                lot.cleared_on,
                age,
                age_bucket(age),
                row.qty_remaining,
                value_left(lot, row.qty_remaining),
                row.deadline,
                row.days_left,
                row.status,
                row.qty_adjusted,
            )
        )
    rows.sort(key=lambda r: (r[9] is None, r[9] or dt.date.max, r[0], r[1], r[2]))
    return Report("aging", AGING_HEADER, rows)


EXPIRING_HEADER = (
    "import_pedimento",
    "import_line",
    "part",
    "cleared_on",
    "deadline",
    "days_left",
    "status",
    "qty_remaining",
    "value_remaining_usd",
    "what_to_do",
    *options.OPTION_COLUMNS,
)


def expiring_report(
    ledger: Ledger,
    result: DischargeResult,
    as_of: dt.date,
    days: int,
    include_overdue: bool = True,
    sources: options.CostSources | None = None,
    lang: Lang = "es",
) -> Report:
    """Lots that expire within ``days`` (and overdue ones), what can be done with each and its cost
    (:mod:`immex.reports.options`; ``sources`` default: shipped rules and tariff, no exchange rate);
    ``what_to_do`` in ``lang``."""
    sources = sources or options.default_sources()
    lots = {lot.key: lot for lot in ledger.imports}
    rows: list[tuple[Cell, ...]] = []
    for row in balances(ledger, result.allocations, as_of):
        if row.qty_remaining <= 0 or row.days_left is None:
            continue
        if row.days_left > days or (row.days_left < 0 and not include_overdue):
            continue
        lot = lots[(row.import_pedimento, row.import_line, row.part)]
        part = ledger.parts.get(row.part)
        hs = lot.hs or (part.hs if part is not None else "")
        choice = options.lot_options(lot, row, part.kind if part else "", hs, as_of, sources)
        rows.append(
            (
                row.import_pedimento,
                row.import_line,
                row.part,
                lot.cleared_on,
                row.deadline,
                row.days_left,
                row.status,
                row.qty_remaining,
                value_left(lot, row.qty_remaining),
                options.advice(row, choice, sources.rules, lang),
                *options.option_cells(choice, lang),
            )
        )
    rows.sort(key=lambda r: (r[5], r[0], r[1], r[2]))
    notes = options.report_notes(sources.rules, lang)
    return Report(f"expiring within {days} days", EXPIRING_HEADER, rows, notes)


def trace_export_report(
    ledger: Ledger, result: DischargeResult, pedimento: str, line: int | None = None
) -> Report:
    """An export line (or a whole export pedimento) to the import lots it consumed, and its shortfalls."""
    number = _pedimento_argument(pedimento)
    exports = {e.key: e for e in (*ledger.exports, *ledger.regularizations)}  # an A3 discharges too
    lots = {lot.key: lot for lot in ledger.imports}
    rows: list[tuple[Cell, ...]] = []
    for a in result.allocations:
        if a.export_pedimento == number and (line is None or a.export_line == line):
            lot = lots[(a.import_pedimento, a.import_line, a.part)]
            rows.append(
                (
                    a.export_pedimento,
                    a.export_line,
                    a.product,
                    exports[(a.export_pedimento, a.export_line, a.product)].cleared_on,
                    a.part,
                    a.import_pedimento,
                    a.import_line,
                    lot.cleared_on,
                    a.qty,
                    a.late,
                    lot.country_of_origin,
                    lot.unit_value_usd,
                )
            )
    for s in result.shortfalls:
        if s.export_pedimento == number and (line is None or s.export_line == line):
            rows.append(
                (
                    s.export_pedimento,
                    s.export_line,
                    s.product,
                    exports[(s.export_pedimento, s.export_line, s.product)].cleared_on,
                    s.part,
                    "SHORTFALL",
                    None,
                    None,
                    s.qty_missing,
                    None,
                    None,
                    None,
                )
            )
    _require(rows, f"export pedimento {number}" + ("" if line is None else f" line {line}"))
    return Report(f"trace of export {number}", TRACE_EXPORT_HEADER, rows)


def trace_import_report(
    ledger: Ledger, result: DischargeResult, pedimento: str, line: int | None = None
) -> Report:
    """An import lot (or pedimento) to the export lines that consumed it."""
    number = _pedimento_argument(pedimento)
    exports = {e.key: e for e in (*ledger.exports, *ledger.regularizations)}  # an A3 discharges too
    lots = {lot.key: lot for lot in ledger.imports}
    rows: list[tuple[Cell, ...]] = []
    for a in result.allocations:
        if a.import_pedimento == number and (line is None or a.import_line == line):
            export = exports[(a.export_pedimento, a.export_line, a.product)]
            rows.append(
                (
                    a.import_pedimento,
                    a.import_line,
                    a.part,
                    lots[(a.import_pedimento, a.import_line, a.part)].cleared_on,
                    a.export_pedimento,
                    a.export_line,
                    a.product,
                    export.cleared_on,
                    a.qty,
                    a.late,
                    export.destination_country,
                )
            )
    if not any(lot.pedimento == number and (line is None or lot.line == line) for lot in ledger.imports):
        _require([], f"import pedimento {number}" + ("" if line is None else f" line {line}"))
    return Report(f"trace of import {number}", TRACE_IMPORT_HEADER, rows)


def _pedimento_argument(text: str) -> str:
    """The 15-digit number of a pedimento given on the command line, or an input error."""
    try:
        return canonical_pedimento(text)
    except ValueError as error:
        raise InputError([Problem("", None, "pedimento", str(error))]) from None


def _require(rows: Sequence[object], what: str) -> None:
    if not rows:
        raise InputError([Problem("", None, "pedimento", f"{what} is not in the ledger's discharge")])


def shortfalls_report(result: DischargeResult) -> Report:
    return Report("shortfalls", SHORTFALL_HEADER, list(shortfall_rows(result.shortfalls)))


RUNS_HEADER = (
    "run_id",
    "method",
    "as_of",
    "created_at",
    "created_by",
    "input_fingerprint",
    "export_lines_changed",
    "reversed_at",
    "reversed_by",
    "reversal_reason",
)


def store_source(db_url: str | None) -> Source:
    """The stored company profile and latest active run (an empty source for a store without a ledger)."""
    with open_store(db_url) as uow:
        try:
            company = company_id(uow.session, uow.company, create=False)
        except LookupError:
            return Source()
        return stored_source(uow.session, company)


def runs_report(db_url: str | None) -> Report:
    with open_store(db_url) as uow:
        session = uow.session
        reversals = {r.run_id: r for r in session.scalars(select(RunReversalRow))}
        rows: list[tuple[Cell, ...]] = []
        for run in session.scalars(select(DischargeRunRow).order_by(DischargeRunRow.id)):
            rev = reversals.get(run.id)
            rows.append(
                (
                    run.id,
                    run.method,
                    run.as_of,
                    run.created_at.isoformat(timespec="seconds"),
                    run.created_by,
                    run.input_fingerprint,
                    int(run.summary.get("export_lines_changed", 0)),  # type: ignore[call-overload]
                    rev.reversed_at.isoformat(timespec="seconds") if rev else None,
                    rev.reversed_by if rev else None,
                    rev.reason if rev else None,
                )
            )
    return Report("discharge runs", RUNS_HEADER, rows)


def write_report(
    report: Report,
    path: Path,
    progress: Progress = QUIET,
    *,
    signature: Signature | None = None,
    lang: Lang = "es",
) -> int:
    """CSV, XLSX or PDF by the file's suffix; returns the number of rows.

    CSV is raw (column keys, plain decimals). XLSX and PDF are for people: the header block
    of ``signature`` (when given), headings in ``lang``, formatted numbers, spaced pedimentos.
    The file is replaced whole or not at all; a file-system error (full disk, no
    permission) becomes an OutputError with one line saying what to do.
    """
    check_output(path)
    progress.phase(f"writing {path.name}", total=len(report.rows), unit="rows")
    rows = counted(report.rows, progress)
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            lines = [] if signature is None else preamble(signature, lang, report.title)
            lines += [("", note) for note in report.notes]
            sheet = report.title[:31]
            write_xlsx(
                path,
                {sheet: (headings(report.header, lang), person_rows(report.header, rows, lang))},
                preamble=lines,
                formats={sheet: kinds(report.header)},
            )
            return len(report.rows)
        if suffix == ".pdf":
            from immex.reports.pdf import write_pdf  # here: fpdf is imported only to write a PDF

            signed = signature or Signature("", Source())
            write_pdf(path, signed, report.header, list(rows), lang, report.notes)
            return len(report.rows)
        return write_csv(path, report.header, rows)
    except OSError as error:
        raise output_error(path, error) from error
