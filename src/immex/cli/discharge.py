"""``immex discharge``: its own module, so that the command loads only what it runs.

Without ``--db`` the command imports the columnar discharge
(:mod:`immex.discharge.columnar_run`) and not the store, the report modules or
the other ledger commands; ``immex.cli.build_app("discharge")`` attaches it alone.
"""

from __future__ import annotations

import datetime as dt
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
        help="Processes for the partitions of a partitioned run (default: IMMEX_WORKERS, else every core "
        "on a big ledger; each holds about one partition in memory)",
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


def run_plain(argv: Sequence[str]) -> int | None:
    """``immex discharge ARGV`` without Typer's parsing when ``argv`` is only this command's
    options, each once with a plain value and a valid ``--as-of``: the exit code. None for
    anything else (``--help``, an unknown or repeated option, a missing one, a bad date):
    Typer then parses it and writes its usage line and error, as always.

    Why: Typer (0.29) coerces every parameter through a Pydantic ``TypeAdapter``, and
    importing Pydantic and its modules (39) costs about 0.05 s of CPU before the command
    starts (a 40-line discharge in a fresh process: 0.79 -> 0.74 s CPU, 3 runs each at
    load 11). The options come from :func:`discharge`'s own Typer options, so the two
    parsings cannot disagree on names, defaults or types.
    """
    values = _plain_values(argv)
    if values is None:
        return None
    try:
        discharge(**values)
    except typer.Exit as done:
        return done.exit_code
    except KeyboardInterrupt:  # as Typer (click) reports it
        sys.stderr.write("\nAborted!\n")
        return 1
    return 0


def _plain_values(argv: Sequence[str]) -> dict[str, Any] | None:
    """:func:`discharge`'s keyword arguments from ``--option value`` / ``--option=value`` pairs,
    or None when ``argv`` is anything Typer should parse."""
    hints = typing.get_type_hints(discharge)
    options = {
        info.param_decls[0]: name
        for name, info in _options().items()
        if len(info.param_decls) == 1 and info.envvar is None and info.callback is None
    }
    given: dict[str, str] = {}
    tokens = list(argv)
    while tokens:
        flag, _, value = tokens.pop(0).partition("=")
        if not value and tokens and flag in options:
            value = tokens.pop(0)
        if flag not in options or options[flag] in given or not value or value.startswith("-"):
            return None
        given[options[flag]] = value
    values: dict[str, Any] = {}
    for name, info in _options().items():
        if name in given:
            values[name] = Path(given[name]) if hints[name] is Path else given[name]
            if hints[name] == int | None:  # --workers: a count of 1 or more, else Typer says why
                if not given[name].isdigit() or int(given[name]) < 1:
                    return None
                values[name] = int(given[name])
        elif info.default is ...:
            return None  # a required option is missing: Typer says which
        else:
            values[name] = info.default
    if values["as_of"] is not None and not _is_date(values["as_of"]):
        return None
    return values


def _options() -> dict[str, Any]:
    """:func:`discharge`'s parameters and their ``typer.Option`` (``OptionInfo``)."""
    defaults = discharge.__defaults__ or ()
    names = discharge.__code__.co_varnames[: discharge.__code__.co_argcount]
    return dict(zip(names, defaults, strict=True))


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def register(app: typer.Typer) -> None:
    """The app of ``immex discharge`` alone: a group (so the command keeps its name) with one command."""
    app.callback()(_group)
    app.command("discharge")(discharge)


def _group() -> None:
    """IMMEX compliance: Anexo 24 ledger and discharge."""
