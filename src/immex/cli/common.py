"""Helpers every command shares: dates, problems → exit 2, progress on stderr."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from immex.intake.problems import InputError, report_problems

stderr = Console(stderr=True)
stdout = Console()

DbOption = typer.Option(None, "--db", envvar="IMMEX_DB",
                        help="Database URL, e.g. sqlite:///plant.db or postgresql+psycopg://... "
                             "(default: IMMEX_DB, else sqlite:///immex.db)")


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date", param_hint=option) from None


@contextmanager
def problems_exit(errors_csv: Path | None = None) -> Iterator[None]:
    """Turn an InputError into the CSV problem list on stderr (and errors.csv) and exit 2."""
    try:
        yield
    except InputError as error:
        report_problems(error.problems, errors_csv)
        raise typer.Exit(2) from None


@contextmanager
def status(message: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr whose text the work can update."""
    with stderr.status(message) as spinner:
        yield lambda text: spinner.update(text)
