"""Ledger commands: ``discharge``, ``run reverse``, ``template``, ``report ...``, ``demo``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from immex.cli.common import (
    DbOption,
    lazy_module,
    parse_date,
    plural,
    problems_exit,
    progress_bars,
    stdout,
)
from immex.cli.discharge import discharge
from immex.core.problems import InputError, Problem
from immex.core.table_files import csv_text
from immex.discharge import service as discharge_service
from immex.discharge.adjust import record_adjustment
from immex.discharge.methods import DischargeResult
from immex.ledger.company import MODALITIES, CompanyProfile, store_company
from immex.ledger.model import Ledger
from immex.ledger.templates import write_templates
from immex.reports.labels import Lang, parse_lang
from immex.reports.signing import Signature, Source, no_run_note
from immex.store.db import database_url

if TYPE_CHECKING:
    from immex.reports import service as reports
else:  # loaded by the first report command: ``immex discharge`` does not need it (0.1 s)
    reports = lazy_module("immex.reports.service")

run_app = typer.Typer(help="Discharge runs stored in the database.", no_args_is_help=True)


@run_app.command("reverse")
def reverse(
    run_id: int = typer.Argument(..., help="The run to reverse (the latest active one)"),
    reason: str = typer.Option(..., "--reason", help="Why; kept in the audit trail"),
    db: str | None = DbOption,
) -> None:
    """Reverse a stored discharge run: its allocations stop counting; earlier ones count again."""
    with problems_exit():
        discharge_service.reverse_run(database_url(db), run_id, reason)
    stdout.print(f"run {run_id} reversed")


def template(
    output_dir: Path = typer.Option(
        Path("immex-template"), "--output", help="Folder for the empty templates"
    ),
) -> None:
    """Write empty input templates: one CSV per file, an XLSX workbook and COLUMNS.md."""
    for path in write_templates(output_dir):
        stdout.print(f"wrote {path}")


report_app = typer.Typer(
    help="Reports on the stored ledger (--db) or on an input folder (--input).", no_args_is_help=True
)
InputOption = typer.Option(
    None, "--input", help="Discharge this input folder in memory instead of reading the store"
)
OutputOption = typer.Option(
    None, "--output", help="Write the report to FILE.csv or FILE.xlsx (default: a table on screen)"
)
AsOfOption = typer.Option(None, "--as-of", help="Date for balances and deadlines (default today)")
RowsOption = typer.Option(40, "--rows", min=0, help="Rows to show on screen")
LangOption = typer.Option(
    "es", "--lang", help="Language of the headings of an XLSX or PDF: es (default) or en; CSV keeps its keys"
)


Build = Callable[[Ledger, DischargeResult], "reports.Report"]


@dataclass(frozen=True, slots=True)
class Sign:
    """What the header block of a report file says besides its source: its name and date(s)."""

    name: str
    lang: str
    as_of: dt.date | None = None
    period: tuple[dt.date, dt.date] | None = None

    def language(self) -> Lang:
        try:
            return parse_lang(self.lang)
        except ValueError as error:
            raise InputError([Problem("", None, "lang", str(error))]) from None


def _report(
    build: Build,
    db: str | None,
    input_dir: Path | None,
    output: Path | None,
    rows: int,
    *,
    sign: Sign = Sign("", "es"),
) -> None:
    """Load (or discharge) the ledger, build one report and write it, with bars on stderr; then show it.

    A file gets the header block of ``sign``: company, RFC, as-of date, run, input fingerprint.
    """
    with problems_exit(), progress_bars() as progress:
        lang = sign.language()
        reports.check_output(output)  # before the work: a wrong name costs no discharge
        state = reports.load_sourced(db, input_dir, progress=progress)
        _note_no_run(state.source)
        progress.phase("building the report")
        report = build(state.ledger, state.result)
        signature = Signature(sign.name, state.source, as_of=sign.as_of, period=sign.period)
        written = (
            None
            if output is None
            else reports.write_report(report, output, progress, signature=signature, lang=lang)
        )
    _emit(report, output, rows, written)


def _note_no_run(source: Source) -> None:
    """Say on stderr when a stored report counts no discharge (the file's header block says it too)."""
    if (note := no_run_note(source)) is not None:
        typer.echo(note, err=True)


def _emit(report: reports.Report, output: Path | None, rows: int, written: int | None = None) -> None:
    """Say where the report went (``written`` rows already in ``output``), or show it as a table."""
    if output is not None:
        count = reports.write_report(report, output) if written is None else written
        stdout.print(f"{report.title}: {plural(count, 'row')} → {output}")
        return
    shown = [[csv_text(v) for v in row] for row in report.rows[:rows]]
    if not stdout.is_terminal:  # a file or a pipe: every value whole, as CSV
        stdout.print(f"# {report.title} ({plural(len(report.rows), 'row')})", markup=False)
        stdout.out(csv_lines(report.header, shown), end="")
    else:
        table = Table(title=f"{report.title} ({plural(len(report.rows), 'row')})")
        for name in report.header:
            # codes (pedimentos, parts) are never cut: wrapped whole, never shortened with "…"
            table.add_column(name, overflow="fold", no_wrap=name in _WHOLE_COLUMNS)
        for row in shown:
            table.add_row(*row)
        stdout.print(table)
    if len(report.rows) > rows:
        stdout.print(f"… {plural(len(report.rows) - rows, 'more row')}: use --output FILE.csv or FILE.xlsx")


_WHOLE_COLUMNS = frozenset({"pedimento", "import_pedimento", "export_pedimento", "line", "part", "product"})


def csv_lines(header: tuple[str, ...] | list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _as_of(value: str | None) -> dt.date:
    return parse_date(value, "--as-of") or dt.date.today()


@report_app.command("balances")
def report_balances(
    db: str | None = DbOption,
    input_dir: Path | None = InputOption,
    as_of: str | None = AsOfOption,
    output: Path | None = OutputOption,
    rows: int = RowsOption,
    lang: str = LangOption,
) -> None:
    """Imported, discharged and remaining per pedimento and partida, with deadline and status."""
    day = _as_of(as_of)
    _report(
        lambda ledger, result: reports.balances_report(ledger, result, day),
        db,
        input_dir,
        output,
        rows,
        sign=Sign("balances", lang, day),
    )


@report_app.command("aging")
def report_aging(
    db: str | None = DbOption,
    input_dir: Path | None = InputOption,
    as_of: str | None = AsOfOption,
    output: Path | None = OutputOption,
    rows: int = RowsOption,
    lang: str = LangOption,
) -> None:
    """Open lots by age, with value, Art. 108 deadline and status, soonest deadline first."""
    day = _as_of(as_of)
    _report(
        lambda ledger, result: reports.aging_report(ledger, result, day),
        db,
        input_dir,
        output,
        rows,
        sign=Sign("aging", lang, day),
    )


@report_app.command("expiring")
def report_expiring(
    days: int = typer.Option(60, "--days", min=0, help="Deadline within this many days"),
    include_overdue: bool = typer.Option(
        True, "--overdue/--no-overdue", help="Also list lots already overdue"
    ),
    db: str | None = DbOption,
    input_dir: Path | None = InputOption,
    as_of: str | None = AsOfOption,
    output: Path | None = OutputOption,
    rows: int = RowsOption,
    lang: str = LangOption,
    exchange_rates: Path | None = typer.Option(
        None, "--exchange-rates", help="CSV date|pedimento,exchange_rate (MXN per USD) to cost each choice"
    ),
    exchange_rate: str | None = typer.Option(None, "--exchange-rate", help="One MXN-per-USD rate for all"),
    terms: Path | None = typer.Option(
        None, "--terms", help="CSV part,igi_rate,originating[,prosec_sector,prosec_rate,r8_rate]"
    ),
) -> None:
    """Lots whose Art. 108 deadline falls within N days (and overdue ones): what can be done with
    each (return, virtual transfer, change of regime F4/F5, regularization A3) and what it costs."""
    from immex.reports.options import cost_sources

    day = _as_of(as_of)
    sign = Sign("expiring", lang, day)
    _report(
        lambda ledger, result: reports.expiring_report(
            ledger,
            result,
            day,
            days,
            include_overdue,
            cost_sources(exchange_rates, exchange_rate, terms),
            sign.language(),  # what_to_do is written in it, in CSV and on screen too
        ),
        db,
        input_dir,
        output,
        rows,
        sign=sign,
    )


@report_app.command("trace-export")
def report_trace_export(
    pedimento: str = typer.Argument(..., help="Export pedimento (15 digits)"),
    line: int | None = typer.Option(None, "--line", min=1, help="Only this partida (numbered from 1)"),
    db: str | None = DbOption,
    input_dir: Path | None = InputOption,
    output: Path | None = OutputOption,
    rows: int = RowsOption,
    lang: str = LangOption,
) -> None:
    """An export to the import lots it discharged (and its shortfalls)."""
    _report(
        lambda ledger, result: reports.trace_export_report(ledger, result, pedimento, line),
        db,
        input_dir,
        output,
        rows,
        sign=Sign("trace-export", lang),
    )


@report_app.command("trace-import")
def report_trace_import(
    pedimento: str = typer.Argument(..., help="Import pedimento (15 digits)"),
    line: int | None = typer.Option(None, "--line", min=1, help="Only this partida (numbered from 1)"),
    db: str | None = DbOption,
    input_dir: Path | None = InputOption,
    output: Path | None = OutputOption,
    rows: int = RowsOption,
    lang: str = LangOption,
) -> None:
    """An import lot to the exports that consumed it."""
    _report(
        lambda ledger, result: reports.trace_import_report(ledger, result, pedimento, line),
        db,
        input_dir,
        output,
        rows,
        sign=Sign("trace-import", lang),
    )


@report_app.command("shortfalls")
def report_shortfalls(
    db: str | None = DbOption,
    input_dir: Path | None = InputOption,
    output: Path | None = OutputOption,
    rows: int = RowsOption,
    lang: str = LangOption,
) -> None:
    """Requirements no import lot could cover."""
    _report(
        lambda _ledger, result: reports.shortfalls_report(result),
        db,
        input_dir,
        output,
        rows,
        sign=Sign("shortfalls", lang),
    )


@report_app.command("runs")
def report_runs(
    db: str | None = DbOption,
    output: Path | None = OutputOption,
    rows: int = RowsOption,
    lang: str = LangOption,
) -> None:
    """Every stored discharge run: who, when, method, input fingerprint, reversal."""
    with problems_exit():
        language = Sign("runs", lang).language()
        reports.check_output(output)
        report = reports.runs_report(db)
        written = None
        if output is not None:
            signature = Signature("runs", reports.store_source(db))
            written = reports.write_report(report, output, signature=signature, lang=language)
        _emit(report, output, rows, written)


def demo(
    workdir: Path = typer.Option(Path("immex-demo"), "--dir", help="Folder for the demo store and reports"),
    as_of: str | None = AsOfOption,
) -> None:
    """Create a realistic IMMEX company in the embedded store, discharge it and write its reports."""
    from immex.demo import DEMO_COMPANY, operations_summary, run_demo  # 0.1 s: only for this command

    day = _as_of(as_of)
    started = time.perf_counter()
    with problems_exit(), progress_bars() as progress:
        outcome, written = run_demo(workdir, day, progress)
    run, counts = outcome.run, outcome.run["counts"]
    table = Table(title=f"immex demo — {DEMO_COMPANY.name} (RFC {DEMO_COMPANY.rfc}), as of {day}")
    table.add_column("what")
    table.add_column("how many", justify="right")
    for label, value in (
        ("parts", counts["parts"]),
        ("import lines (temporary imports)", counts["import_lines"]),
        ("export lines (returns, virtual transfers, changes of regime)", counts["export_lines"]),
        ("allocations (discharge, FIFO)", counts["allocations"]),
        ("late allocations (after the Art. 108 deadline)", counts["late_allocations"]),
        ("shortfalls", counts["shortfalls"]),
        *((f"import lines {k}", v) for k, v in counts["balances_by_status"].items()),
        *operations_summary(workdir),
    ):
        table.add_row(label, str(value))
    stdout.print(table)
    stdout.print(f"store: {workdir / 'demo.db'} (run {run['run_id']})")
    stdout.print(
        f"contract output: {workdir / 'discharge'} (allocations.csv, shortfalls.csv, balances.csv, "
        "submaquila.csv, waste.csv)"
    )
    for name, path in written.items():
        stdout.print(f"report {name}: {path}")
    stdout.print(
        f"next: immex report expiring --days 60 --db sqlite:///{workdir / 'demo.db'} --as-of {day} "
        f"--exchange-rates {workdir / 'input' / 'exchange_rates.csv'} "
        f"--terms {workdir / 'input' / 'material_terms.csv'}   ({time.perf_counter() - started:.1f} s)"
    )


def adjust(
    pedimento: str = typer.Option(..., "--pedimento", help="Import pedimento (15 digits)"),
    line: int = typer.Option(..., "--line", help="Partida"),
    part: str = typer.Option(..., "--part", help="Part of the import line"),
    qty: str = typer.Option(..., "--qty", help="Base-unit quantity withdrawn (negative gives back)"),
    reason: str = typer.Option(..., "--reason", help="Why: destruction, donation, regularization, count"),
    db: str | None = DbOption,
) -> None:
    """Record a manual adjustment of an import line's balance, with reason, user and time."""
    with problems_exit():
        outcome = record_adjustment(database_url(db), pedimento, line, part, qty, reason)
    stdout.print(f"adjustment {outcome.adjustment_id} stored")
    if outcome.rerun_id is not None:
        lines = plural(outcome.export_lines_moved, "export line")
        stdout.print(
            f"it withdrew stock already discharged: run {outcome.rerun_id} moved {lines} to other lots "
            "(or to shortfalls); no balance is negative"
        )


company_app = typer.Typer(help="The IMMEX company whose ledger the store keeps.", no_args_is_help=True)


@company_app.command("set")
def company_set(
    name: str = typer.Option(..., "--name", help="Razón social"),
    rfc: str = typer.Option(..., "--rfc", help="RFC (12 characters for a company), check digit verified"),
    program: str = typer.Option("", "--program", help="IMMEX program number"),
    modality: str = typer.Option("industrial", "--modality", help=", ".join(MODALITIES)),
    valid_from: str | None = typer.Option(None, "--valid-from", help="Program valid from (YYYY-MM-DD)"),
    valid_to: str | None = typer.Option(None, "--valid-to", help="Program valid to (YYYY-MM-DD)"),
    certification: str = typer.Option("", "--certification", help="IVA/IEPS certification: A, AA or AAA"),
    db: str | None = DbOption,
) -> None:
    """Store the company's profile (RFC, program, modality, validity, certification)."""
    profile = CompanyProfile(
        " ".join(name.split()),  # pasted from a PDF: no stray spaces or line breaks in the header block
        rfc.strip().upper(),
        program.strip(),
        modality.strip().lower(),
        parse_date(valid_from, "--valid-from"),
        parse_date(valid_to, "--valid-to"),
        certification.strip().upper(),
    )
    with problems_exit():
        if not profile.name:  # every signed report shows it: an empty razón social is a mistake
            message = "give the razón social (--name) as it is in the RFC"
            raise InputError([Problem("", None, "name", message)])
        reports.check_db_url(db)
        store_company(db, profile)
    stdout.print(f"company {profile.name} (RFC {profile.rfc}) stored")


def register(app: typer.Typer, *, with_reports: bool = True) -> None:
    """Attach the ledger commands to the main app; ``immex report ...`` unless ``with_reports`` is off."""
    app.command("discharge")(discharge)
    app.command("template")(template)
    app.command("demo")(demo)
    app.command("adjust")(adjust)
    app.add_typer(run_app, name="run")
    app.add_typer(company_app, name="company")
    if with_reports:
        from immex.cli import ledger_reports  # noqa: F401  (attaches anexo24, annual, ivacredit, template)

        app.add_typer(report_app, name="report")
