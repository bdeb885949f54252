"""`immex origin ...` commands: parse arguments, call immex.origin.service, print.

``qualify`` has one branch per input form of the contract: ``--input CASE.json``
(here) and ``--bom PRODUCT --date --db`` (the stored ledger; added by the
origin_records area). Exit 0 whatever the verdict; exit 2 on an invalid case.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from immex.core.problems import InputError
from immex.origin import service

app = typer.Typer(help="USMCA / T-MEC (and NAFTA) rules of origin.", no_args_is_help=True)


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


def _fail(error: InputError) -> None:
    for p in error.problems:
        where = f"{p.file}: {p.column}: " if p.column else f"{p.file}: "
        sys.stderr.write(f"error: {where}{p.message}\n")
    raise typer.Exit(2)


def _usage(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(2)


@app.command("qualify")
def qualify(
    input: Path | None = typer.Option(None, "--input", help="Case file (JSON) of one good."),
    format: OutputFormat = typer.Option(OutputFormat.json, "--format", help="json or text."),
    bom: str | None = typer.Option(None, "--bom", help="Finished good to qualify from the stored ledger."),
    date: str | None = typer.Option(None, "--date", help="With --bom: the date, YYYY-MM-DD."),
    db: str | None = typer.Option(None, "--db", envvar="IMMEX_DB", help="With --bom: database URL."),
    method: str = typer.Option("fifo", "--method", help="With --bom: lots valued by fifo or lifo."),
) -> None:
    """Decide whether a good is originating (criterion A-D) with a line-by-line explanation."""
    if bom is not None and input is None:
        try:
            sys.stdout.write(origin_records.qualify_bom(bom, date, db, method, format.value) + "\n")
        except InputError as error:
            _fail(error)
        return
    if input is None:
        _usage("give --input CASE.json")
        return
    try:
        result = service.qualify_file(input)
    except InputError as error:
        _fail(error)
        return
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(service.determination_json(result), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(service.determination_text(result) + "\n")


@app.command("sensitivity")
def sensitivity(
    input: Path = typer.Option(..., "--input", help="Case file (JSON) of one good."),
    format: OutputFormat = typer.Option(OutputFormat.json, "--format", help="json or text."),
) -> None:
    """Which materials block a good and by how much, or its margin over the threshold."""
    try:
        result = service.sensitivity_file(input)
    except InputError as error:
        _fail(error)
        return
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(service.sensitivity_json(result), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(service.sensitivity_text(result) + "\n")


@app.command("rule")
def rule(
    hs: str = typer.Option(..., "--hs", help="HS code of the good (6 to 10 digits)."),
    date: str | None = typer.Option(None, "--date", help="Date YYYY-MM-DD (default: today)."),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Show the USMCA product-specific rule for an HS code: citation, text, notes, parsed alternatives."""
    try:
        product = service.find_table_rule(hs, date)
    except InputError as error:
        _fail(error)
        return
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(service.rule_json(product), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(service.rule_text_report(product) + "\n")


from immex.cli import origin_records  # noqa: E402

origin_records.register(app)
