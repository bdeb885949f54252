"""`immex datastage ...` commands: import a Data Stage ZIP into the store, summarize it."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from immex.cli.common import DbOption, problems_exit, progress_bars, stderr, stdout
from immex.core.problems import Problem
from immex.datastage import service
from immex.datastage.summary import DataStageSummary

app = typer.Typer(
    help="SAT/ANAM Data Stage: import into the store, summary (compulsa: see below).", no_args_is_help=True
)


class Format(StrEnum):
    table = "table"
    json = "json"


def _warn(warnings: tuple[Problem, ...]) -> None:
    for w in warnings:
        row = "" if w.row is None else f" row {w.row}"
        sys.stderr.write(f"warning: {w.file}{row} {w.column}: {w.message}\n")


@app.command("import")
def import_command(
    zip_path: Path = typer.Argument(..., metavar="ZIP", help="The Data Stage ZIP (<folio>_<tipo>.asc)."),
    db: str | None = DbOption,
) -> None:
    """Validate the whole ZIP, then store it in one transaction (exit 2 and nothing stored on bad input).

    Every pedimento that occurs in the ZIP replaces what the store had for it; the
    ZIP's Resumen replaces a stored Resumen of the same folio. Re-importing is a no-op.
    """
    with problems_exit(), progress_bars() as progress:
        result = service.import_datastage(zip_path, db, progress=progress)
    _warn(result.warnings)
    total = sum(result.counts.values())
    stdout.print(
        f"{result.zip_name}: stored {result.pedimentos} pedimentos (501 lines; "
        f"{result.replaced} already stored, replaced), {result.counts.get('551', 0)} partidas, "
        f"{total} lines in {len(result.counts)} record types"
    )
    if result.selection_only:
        stdout.print(
            f"{result.selection_only} more pedimento numbers occur only in the selection records "
            "(Sel/Inci): pedimentos this Data Stage does not declare in 501 (for example remesas "
            "of a consolidated pedimento paid later); their selection lines were stored too"
        )


@app.command("summary")
def summary_command(
    zip_path: Path | None = typer.Argument(None, metavar="[ZIP]", help="A Data Stage ZIP; omit to use --db."),
    db: str | None = typer.Option(None, "--db", help="Summarize what the store holds (database URL)."),
    output_format: Format = typer.Option(Format.table, "--format", help="table (people) or json."),
) -> None:
    """Period, pedimentos by clave and month, partidas, USD value, contributions by code, rectifications."""
    if (zip_path is None) == (db is None):
        raise typer.BadParameter("give either a ZIP or --db URL", param_hint="ZIP / --db")
    with problems_exit(), progress_bars() as progress:
        summary = (
            service.summarize_zip(zip_path, progress=progress)
            if zip_path is not None
            else service.summarize_store(db, progress=progress)
        )
    if output_format is Format.json:
        sys.stdout.write(json.dumps(summary.as_json(), indent=2, ensure_ascii=False) + "\n")
        return
    _print_summary(summary)


def _print_summary(s: DataStageSummary) -> None:
    period = (
        "—"
        if s.period is None
        else (f"{s.period[0].isoformat()} to {s.period[1].isoformat()} (from {s.period_from})")
    )
    head = Table(title=f"Data Stage {s.source}", show_header=False)
    head.add_column("what")
    head.add_column("value", justify="right")
    for label, value in (
        ("period", period),
        ("pedimentos", str(s.pedimentos)),
        ("imports / exports", f"{s.imports} / {s.exports}"),
        ("rectifications", str(s.rectifications)),
        ("partidas", str(s.partidas)),
        ("value USD (551)", f"{s.value_usd:,.2f}"),
        ("Anexo 24 movements", str(s.anexo24_movements)),
        ("not Anexo 24 (by clave)", ", ".join(f"{c} {n}" for c, n in s.not_anexo24) or "none"),
    ):
        head.add_row(label, value)
    stdout.print(head)
    claves = Table(title="pedimentos by clave")
    claves.add_column("clave")
    claves.add_column("pedimentos", justify="right")
    for clave, n in s.by_clave:
        claves.add_row(clave, str(n))
    months = Table(title="pedimentos by month (fecha de pago)")
    months.add_column("month")
    months.add_column("pedimentos", justify="right")
    for month, n in s.by_month:
        months.add_row(month, str(n))
    stdout.print(claves)
    stdout.print(months)
    contributions = Table(
        title="contributions by code (ImportePago, MXN)",
        caption="510 pedimento level, 557 partida level, 702 rectification differences; "
        "paid: under a forma de pago that pays (Apéndice 13), see the next table",
    )
    rows = [
        [
            c.code,
            c.name,
            str(c.lines),
            *(f"{a:,}" for _, a in c.amounts),
            f"{c.total:,}",
            f"{c.paid:,}",
            f"{c.not_paid:,}",
        ]
        for c in s.contributions
    ]
    headers = ("code", "name", "lines", "510", "557", "702", "total", "paid", "not paid")
    for index, name in enumerate(headers):
        if index < 2:
            contributions.add_column(name)
        else:  # amounts are never cut: the name column wraps instead
            width = max([len(r[index]) for r in rows] + [len(name)])
            contributions.add_column(name, justify="right", no_wrap=True, min_width=width)
    for row in rows:
        contributions.add_row(*row)
    stdout.print(contributions)
    formas = Table(title="ImportePago by forma de pago (Apéndice 13)")
    for name, justify in (
        ("forma", "left"),
        ("name", "left"),
        ("what it is", "left"),
        ("lines", "right"),
        ("amount", "right"),
    ):
        formas.add_column(name, justify=justify)  # type: ignore[arg-type]
    for f in s.formas:
        formas.add_row(f.forma, f.name, f.settlement.replace("_", " "), str(f.lines), f"{f.amount:,}")
    stdout.print(formas)
    if s.unreadable_amounts:
        stderr.print(f"{s.unreadable_amounts} contribution lines with unreadable ImportePago were left out")


from immex.cli import datastage_compulsa  # noqa: E402

datastage_compulsa.register(app)
