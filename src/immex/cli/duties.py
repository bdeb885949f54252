"""`immex duties ...` commands: parse arguments, call immex.service.duties, print."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from immex.service import duties as service

app = typer.Typer(help="Import contributions, T-MEC Art. 2.5, tariff data and landed cost.",
                  no_args_is_help=True)


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


def _fail(error: service.CaseError) -> None:
    for line in error.lines():
        sys.stderr.write(line + "\n")
    raise typer.Exit(2)


@app.command("pedimento")
def pedimento(
    input: Path = typer.Option(..., "--input", help="Case file (JSON) of one import pedimento."),
    format: OutputFormat = typer.Option(OutputFormat.json, "--format", help="json or text."),
) -> None:
    """Contributions (IGI, C.C., DTA, IVA) of one import pedimento, per partida and in total."""
    try:
        result = service.run_pedimento(input)
    except service.CaseError as error:
        _fail(error)
        return
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(service.pedimento_json(result), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(service.pedimento_text(result) + "\n")


@app.command("tmec25")
def tmec25(
    input: Path = typer.Option(..., "--input",
                               help="Case file (JSON) of one export/return to the US or Canada."),
    format: OutputFormat = typer.Option(OutputFormat.json, "--format", help="json or text."),
) -> None:
    """IGI owed under T-MEC Art. 2.5 on the non-originating materials of one export."""
    try:
        result = service.run_tmec25(input)
    except service.CaseError as error:
        _fail(error)
        return
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(service.tmec25_json(result), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(service.tmec25_text(result) + "\n")
