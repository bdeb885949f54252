"""The reports the authority asks for: ``immex report anexo24|annual|ivacredit`` and ``report template``.

Attached to the ``report`` group of :mod:`immex.cli.ledger` when it registers. Each command
parses its options, calls one use case of :mod:`immex.reports` and writes or shows the result.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import typer

from immex.cli.common import DbOption, parse_date, plural, problems_exit, progress_bars, stdout
from immex.cli.ledger import InputOption, LangOption, RowsOption, Sign, _emit, _note_no_run, report_app
from immex.reports import service as reports
from immex.reports.anexo24 import anexo24_report, check_period
from immex.reports.annual_service import annual_report, usd_amount
from immex.reports.ivacredit_service import ivacredit_report
from immex.reports.options import cost_sources
from immex.reports.signing import Signature
from immex.reports.templates import (
    ANEXO24_COLUMNS,
    delete_template,
    get_template,
    list_templates,
    parse_columns,
    save_template,
    templates_file,
)

template_app = typer.Typer(
    help="Saved column templates of `immex report anexo24` (kept in the user's config folder).",
    no_args_is_help=True,
)
report_app.add_typer(template_app, name="template")

FromOption = typer.Option(..., "--from", help="First day of the period (YYYY-MM-DD)")
ToOption = typer.Option(..., "--to", help="Last day of the period (YYYY-MM-DD)")
PdfOutputOption = typer.Option(
    None, "--output", help="Write the report to FILE.csv, FILE.xlsx or FILE.pdf (default: a table on screen)"
)


def _period(start: str, end: str) -> tuple[dt.date, dt.date]:
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    assert first is not None and last is not None
    check_period(first, last)
    return first, last


@report_app.command("anexo24")
def report_anexo24(
    start: str = FromOption,
    end: str = ToOption,
    template: str | None = typer.Option(
        None, "--template", help="A saved column template (default: the built-in Anexo 24 columns)"
    ),
    db: str | None = DbOption,
    input_dir: Path | None = InputOption,
    output: Path | None = PdfOutputOption,
    rows: int = RowsOption,
    lang: str = LangOption,
) -> None:
    """Imports, returns, discharges and closing balances of a period (RGCE Anexo 24)."""
    with problems_exit(), progress_bars() as progress:
        sign = Sign("anexo24", lang, period=_period(start, end))
        language = sign.language()
        reports.check_output(output)
        chosen = get_template(template)
        assert sign.period is not None
        state = reports.load_sourced(db, input_dir, progress=progress)
        _note_no_run(state.source)
        progress.phase("building the report")
        report = anexo24_report(state.ledger, state.result, *sign.period, chosen)
        signature = Signature("anexo24", state.source, period=sign.period)
        written = (
            None
            if output is None
            else reports.write_report(report, output, progress, signature=signature, lang=language)
        )
    _emit(report, output, rows, written)


@report_app.command("annual")
def report_annual(
    year: int = typer.Option(..., "--year", min=1900, max=2999, help="The calendar year"),
    total_sales_usd: str = typer.Option(..., "--total-sales-usd", help="Total sales of the year in USD"),
    db: str | None = DbOption,
    output_format: str = typer.Option("text", "--format", help="text (default) or json"),
    output: Path | None = typer.Option(
        None, "--output", help="Also write the report to FILE.xlsx, .csv or .pdf"
    ),
    lang: str = LangOption,
) -> None:
    """The year's exports by class of clave and the Decreto IMMEX export commitment (Art. 24 fr. VI)."""
    if output_format not in ("text", "json"):
        raise typer.BadParameter(f"{output_format!r}: use text or json", param_hint="--format")
    with problems_exit():
        language = Sign("annual", lang).language()
        reports.check_output(output)
        outcome = annual_report(db, year, usd_amount(total_sales_usd), language)
        if output is not None:
            reports.write_report(outcome.report, output, signature=outcome.signature, lang=language)
    if output_format == "json":
        sys.stdout.write(json.dumps(outcome.json, ensure_ascii=False, indent=2) + "\n")
        return
    for line in outcome.text_lines():
        stdout.print(line, markup=False, highlight=False)
    if output is not None:
        stdout.print(f"annual report → {output}", markup=False, highlight=False)


@report_app.command("ivacredit")
def report_ivacredit(
    start: str = FromOption,
    end: str = ToOption,
    db: str | None = DbOption,
    output: Path | None = PdfOutputOption,
    rows: int = RowsOption,
    lang: str = LangOption,
    exchange_rates: Path | None = typer.Option(
        None,
        "--exchange-rates",
        help="CSV date|pedimento,exchange_rate (MXN per USD) for lines without Data Stage",
    ),
    exchange_rate: str | None = typer.Option(None, "--exchange-rate", help="One MXN-per-USD rate for all"),
    terms: Path | None = typer.Option(
        None, "--terms", help="Material terms CSV (IGI rate, PROSEC, Regla 8a, ieps_category)"
    ),
) -> None:
    """IVA/IEPS credit of each temporary import, cancelled as its lots leave; month-end balances."""
    with problems_exit():
        sign = Sign("ivacredit", lang, period=_period(start, end))
        language = sign.language()
        reports.check_output(output)
        assert sign.period is not None
        given = exchange_rates is not None or exchange_rate is not None or terms is not None
        sources = cost_sources(exchange_rates, exchange_rate, terms) if given else None
        report, signature = ivacredit_report(db, *sign.period, sources, language)
        _note_no_run(signature.source)
        written = (
            None
            if output is None
            else reports.write_report(report, output, signature=signature, lang=language)
        )
    _emit(report, output, rows, written)


@template_app.command("save")
def template_save(
    name: str = typer.Argument(..., help="Template name (letters, digits, '.', '_', '-')"),
    columns: list[str] = typer.Option(
        ..., "--columns", help=f"Columns in order, comma separated: {', '.join(ANEXO24_COLUMNS)}"
    ),
) -> None:
    """Save a column layout for `immex report anexo24 --template NAME` (replaces one of that name)."""
    with problems_exit():
        saved = save_template(name, parse_columns(columns))
    stdout.print(
        f"template {saved.name} saved ({plural(len(saved.columns), 'column')}) in {templates_file()}"
    )


@template_app.command("list")
def template_list() -> None:
    """The built-in template and the saved ones."""
    with problems_exit():
        for template in list_templates():
            origin = "built-in" if template.builtin else f"saved {template.saved_at}"
            typer.echo(f"{template.name}\t{origin}\t{','.join(template.columns)}")


@template_app.command("show")
def template_show(name: str = typer.Argument(..., help="Template name")) -> None:
    """The columns of one template, in order."""
    with problems_exit():
        template = get_template(name)
    for column in template.columns:
        typer.echo(column)


@template_app.command("delete")
def template_delete(name: str = typer.Argument(..., help="Template name")) -> None:
    """Delete a saved template."""
    with problems_exit():
        delete_template(name)
    stdout.print(f"template {name} deleted")
