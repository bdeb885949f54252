"""Ledger commands: ``discharge``, ``run reverse``, ``template``, ``report ...``, ``demo``."""

from __future__ import annotations

from pathlib import Path

import typer

from immex.cli.common import DbOption, parse_date, problems_exit, status, stderr, stdout
from immex.intake.problems import problems_csv
from immex.service import discharge as discharge_service
from immex.store.db import database_url

run_app = typer.Typer(help="Discharge runs stored in the database.", no_args_is_help=True)


def discharge(
    input_dir: Path = typer.Option(..., "--input", help="Folder with parts.csv, imports.csv, exports.csv, "
                                                        "bom.csv [, uom_conversions.csv], or an .xlsx"),
    output_dir: Path = typer.Option(..., "--output", help="Folder for allocations.csv, shortfalls.csv, "
                                                          "balances.csv and run.json"),
    method: str = typer.Option("fifo", "--method", help="fifo (PEPS, default), lifo or directed"),
    as_of: str | None = typer.Option(None, "--as-of", help="Date for balances and deadlines (default today)"),
    db: str | None = typer.Option(None, "--db", help="Persist intake and run in this database "
                                                     "(without it nothing is stored)"),
) -> None:
    """Discharge the temporary imports by the exports (shared/contracts/discharge.md)."""
    errors_csv = output_dir / "errors.csv"
    with problems_exit(errors_csv), status("discharging") as progress:
        outcome = discharge_service.run_discharge(input_dir, output_dir, method, parse_date(as_of, "--as-of"),
                                                  db, progress)
    errors_csv.unlink(missing_ok=True)
    warnings_csv = output_dir / "warnings.csv"
    warnings_csv.unlink(missing_ok=True)
    if outcome.warnings:
        warnings_csv.write_text(problems_csv(outcome.warnings), encoding="utf-8")
        stderr.print(f"{len(outcome.warnings)} Anexo 22 warning(s) (the run went ahead): {warnings_csv}")
    run = outcome.run
    counts = run["counts"]
    stdout.print(f"run {run['run_id']} ({run['method']}): {counts['allocations']} allocations, "
                 f"{counts['shortfalls']} shortfalls, {counts['balances']} import lines "
                 f"{counts['balances_by_status']} → {output_dir}")


@run_app.command("reverse")
def reverse(run_id: int = typer.Argument(..., help="The run to reverse (the latest active one)"),
            reason: str = typer.Option(..., "--reason", help="Why; kept in the audit trail"),
            db: str | None = DbOption) -> None:
    """Reverse a stored discharge run: its allocations stop counting; earlier ones count again."""
    with problems_exit():
        discharge_service.reverse_run(database_url(db), run_id, reason)
    stdout.print(f"run {run_id} reversed")


def register(app: typer.Typer) -> None:
    """Attach the ledger commands to the main app."""
    app.command("discharge")(discharge)
    app.add_typer(run_app, name="run")
