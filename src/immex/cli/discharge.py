"""``immex discharge``: its own module, so that the command loads only what it runs.

Without ``--db`` the command imports the columnar discharge
(:mod:`immex.discharge.columnar_run`) and not the store, the report modules or
the other ledger commands; ``immex.cli.build_app("discharge")`` attaches it alone.
"""

from __future__ import annotations

from pathlib import Path

import typer

from immex.cli.common import parse_date, plural, problems_exit, progress_bars, stderr, stdout
from immex.discharge.columnar_run import run_discharge


def discharge(
    input_dir: Path = typer.Option(
        ...,
        "--input",
        help="Folder with parts.csv, imports.csv, exports.csv, bom.csv [, uom_conversions.csv], or an .xlsx",
    ),
    output_dir: Path = typer.Option(
        ..., "--output", help="Folder for allocations.csv, shortfalls.csv, balances.csv and run.json"
    ),
    method: str = typer.Option("fifo", "--method", help="fifo (PEPS, default), lifo or directed"),
    as_of: str | None = typer.Option(None, "--as-of", help="Date for balances and deadlines (default today)"),
    db: str | None = typer.Option(
        None, "--db", help="Persist intake and run in this database (without it nothing is stored)"
    ),
    engine: str = typer.Option(
        "auto",
        "--engine",
        help="auto, columnar, partitioned (bounded memory), dask (a cluster) or per-row (the specification)",
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address for --engine dask (default: a local cluster)"
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        help="Processes for the partitions of a partitioned run, or of the local Dask cluster (default: "
        "IMMEX_WORKERS, else every core on a big ledger, two for Dask; each holds about one partition)",
    ),
) -> None:
    """Discharge the temporary imports by the exports (docs/ledger.md)."""
    errors_csv = output_dir / "errors.csv"
    with problems_exit(errors_csv), progress_bars() as progress:
        outcome = run_discharge(
            input_dir,
            output_dir,
            method,
            parse_date(as_of, "--as-of"),
            db,
            progress,
            engine,
            scheduler,
            workers,
        )
    errors_csv.unlink(missing_ok=True)
    warnings_csv = output_dir / "warnings.csv"  # written with the folder, listed in run.json
    if outcome.warnings:
        # Anexo 22 checks and export lines whose clave does not discharge: the run went ahead
        stderr.print(f"{plural(len(outcome.warnings), 'warning')} (the run went ahead): {warnings_csv}")
    run = outcome.run
    counts = run["counts"]
    statuses = ", ".join(f"{n} {status}" for status, n in counts["balances_by_status"].items())
    stdout.print(
        f"run {run['run_id']} ({run['method']}): {plural(counts['allocations'], 'allocation')}, "
        f"{plural(counts['shortfalls'], 'shortfall')}, {plural(counts['balances'], 'import line')}"
        f"{f' ({statuses})' if statuses else ''} → {output_dir}"
    )


def register(app: typer.Typer) -> None:
    """The app of ``immex discharge`` alone: a group (so the command keeps its name) with one command."""
    app.callback()(_group)
    app.command("discharge")(discharge)


def _group() -> None:
    """IMMEX compliance: Anexo 24 ledger and discharge."""
