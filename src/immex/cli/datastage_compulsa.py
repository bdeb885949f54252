"""`immex datastage compulsa` and `immex datastage to-ledger`: thin entry points over service/compulsa."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from immex.cli.common import problems_exit, progress_bars
from immex.core.problems import InputError, problems_csv, write_problems


@contextmanager
def _exits(output: Path) -> Iterator[None]:
    """Invalid input: the problems on stderr and in OUTPUT/errors.csv (replaced whole), exit 2.

    A disk, permission or store error is one line and exit 1 (``problems_exit``),
    also when errors.csv itself cannot be written (the problems are on stderr).
    """
    from immex.compulsa.service import write_errors

    with problems_exit():
        try:
            yield
        except InputError as error:
            text = problems_csv(error.problems)
            sys.stderr.write(text)
            write_errors(output, text)
            raise typer.Exit(2) from None


def compulsa(
    datastage: Path = typer.Option(..., "--datastage", help="Data Stage ZIP from SAT/ANAM."),
    output: Path = typer.Option(..., "--output", help="Folder for differences.csv and the reports."),
    input_dir: Path | None = typer.Option(
        None, "--input", help="Ledger folder (imports.csv, exports.csv, ...)."
    ),
    db: str | None = typer.Option(
        None, "--db", help="Compare the stored ledger at this database URL instead of a folder."
    ),
    company: str = typer.Option("default", "--company", help="Company of the stored ledger (--db)."),
    reports: bool = typer.Option(
        True, "--reports/--no-reports", help="Also write compulsa.xlsx and compulsa.pdf."
    ),
    scope: str = typer.Option(
        "anexo24",
        "--scope",
        help="anexo24: leave out Data Stage pedimentos that are no Anexo 24 movement (A1, T3, BM ...) "
        "and not in the ledger (counted, not differences); all: compare every pedimento.",
    ),
) -> None:
    """Reconcile the ledger with the Data Stage both ways; write OUTPUT/differences.csv.

    Exit 0 when the run completed (whatever the differences), 2 on invalid input
    (problems on stderr and in OUTPUT/errors.csv, no differences.csv).
    """
    from immex.compulsa.service import SCOPES, run_compulsa

    if (input_dir is None) == (db is None):
        typer.echo("give exactly one of --input DIR or --db URL", err=True)
        raise typer.Exit(2)
    if scope not in SCOPES:
        typer.echo(f"--scope must be one of: {', '.join(SCOPES)}", err=True)
        raise typer.Exit(2)
    with _exits(output), progress_bars() as progress:
        result = run_compulsa(
            datastage,
            output,
            input_dir=input_dir,
            db_url=db,
            company=company,
            reports=reports,
            progress=progress,
            scope=scope,
        )
    if result.warnings:
        write_problems(result.warnings, sys.stderr)
    counts: dict[str, int] = {}
    for d in result.differences:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    detail = ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items())) or "none"
    typer.echo(
        f"compulsa: {result.stage_pedimentos} Data Stage pedimentos, {result.ledger_pedimentos} "
        f"ledger pedimentos; {len(result.differences)} differences ({detail})"
    )
    if result.out_of_scope:
        listed = ", ".join(f"{clave} {count}" for clave, count in result.out_of_scope)
        typer.echo(
            f"out of scope: {result.out_of_scope_total} Data Stage pedimentos are no Anexo 24 movement "
            f"and not in the ledger ({listed}); --scope all compares them"
        )
    for path in result.written:
        typer.echo(f"wrote {path}")


def to_ledger(
    datastage: Path = typer.Option(..., "--datastage", help="Data Stage ZIP from SAT/ANAM."),
    output: Path = typer.Option(..., "--output", help="Folder for the drafted imports.csv / exports.csv."),
    input_dir: Path | None = typer.Option(
        None, "--input", help="Ledger folder: only pedimentos it lacks are drafted."
    ),
    db: str | None = typer.Option(None, "--db", help="Or the stored ledger at this database URL."),
    company: str = typer.Option("default", "--company", help="Company of the stored ledger (--db)."),
) -> None:
    """Draft ledger rows for the Data Stage pedimentos the ledger lacks (Anexo 24 movements only).

    Temporary imports go to imports.csv, returns / transfers / changes of regime to
    exports.csv, A3 regularizations to regularizations.csv; other claves (A1, T3 ...)
    and partidas the ledger reader would refuse are listed in not_drafted.csv. The
    part / product column is left EMPTY: the Data Stage lists fracciones, not part
    numbers. Fill what the to_fill column names before adding the rows to the
    ledger. Without --input or --db every pedimento is drafted.
    """
    from immex.compulsa.service import to_ledger as run_to_ledger

    if input_dir is not None and db is not None:
        typer.echo("give at most one of --input DIR or --db URL", err=True)
        raise typer.Exit(2)
    with _exits(output), progress_bars() as progress:
        result = run_to_ledger(
            datastage, output, input_dir=input_dir, db_url=db, company=company, progress=progress
        )
    typer.echo(
        f"to-ledger: {result.pedimentos} pedimentos drafted ({result.imports} import rows, "
        f"{result.exports} export rows, {result.regularizations} regularization rows); "
        f"{result.already_in_ledger} already in the ledger"
    )
    if result.not_drafted:
        listed = ", ".join(f"{clave} {count}" for clave, count in result.out_of_scope) or "none"
        typer.echo(
            f"not drafted: {result.not_drafted} rows in not_drafted.csv (pedimentos of no Anexo 24 "
            f"movement: {listed}; partidas the ledger reader would refuse: "
            f"{result.not_drafted - sum(c for _, c in result.out_of_scope)})"
        )
    typer.echo(
        f"FILL what the to_fill column names ({result.to_fill} cells: the empty 'part' / 'product' "
        "columns, and for regularizations the import pedimento / line the Data Stage cannot name) "
        "before loading the rows."
    )
    for path in result.written:
        typer.echo(f"wrote {path}")


def anexo22(
    datastage: Path = typer.Option(..., "--datastage", help="Data Stage ZIP from SAT/ANAM."),
    output: Path = typer.Option(..., "--output", help="Folder for anexo22.csv."),
) -> None:
    """Check the Data Stage's codes against Anexo 22 and the tariff; write OUTPUT/anexo22.csv.

    Checked: pedimento number structure, aduana/sección (Apéndice 1), patente, clave
    (Apéndice 2), countries (Apéndice 4), units (Apéndice 7), identificadores
    (Apéndice 8), contributions (Apéndice 12), formas de pago (Apéndice 13) and the
    fracción/NICO in the tariff on the payment date. Exit 0 when the check ran
    (findings are results), 2 when the ZIP is invalid.
    """
    from immex.compulsa.service import anexo22_check

    with _exits(output), progress_bars() as progress:
        result = anexo22_check(datastage, output, progress)
    typer.echo(f"anexo22: {result.records} records checked, {len(result.problems)} findings")
    typer.echo(f"wrote {result.written}")


def register(app: typer.Typer) -> None:
    """Attach ``compulsa``, ``to-ledger`` and ``anexo22`` to the ``immex datastage`` app."""
    app.command("compulsa")(compulsa)
    app.command("to-ledger")(to_ledger)
    app.command("anexo22")(anexo22)
