"""Helpers every command shares: dates, problems → exit 2, progress bars on stderr."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import typer
from rich import filesize
from rich import progress as rich_progress
from rich.console import Console
from rich.text import Text

from immex.core.atomic import OutputError
from immex.core.problems import InputError, report_problems
from immex.core.progress import QUIET, Progress

# soft_wrap: a message is one line however narrow the terminal or file (a pipe would cut at 80).
stderr = Console(stderr=True, soft_wrap=True)
# A table on a pipe or in a file is as wide as it needs (up to 200 columns), never cut to 80.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, executed on its first attribute access (:class:`importlib.util.LazyLoader`).

    A command module holds the areas it may use without every command paying
    for their imports at start-up.
    """
    if (loaded := sys.modules.get(name)) is not None:
        return loaded
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


DbOption = typer.Option(
    None,
    "--db",
    envvar="IMMEX_DB",
    help="Database URL, e.g. sqlite:///plant.db or postgresql+psycopg://... "
    "(default: IMMEX_DB, else sqlite:///immex.db)",
)


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
    except OutputError as error:  # an output could not be written: one line, exit 1
        sys.stderr.write(error.message + "\n")
        raise typer.Exit(1) from None
    except Exception as error:  # a store or disk error: one line, exit 1; anything else is a bug
        store_error_exit(error)
        raise


def store_error_exit(error: BaseException) -> None:
    """A store or disk error as one line on stderr and exit 1 (the traceback too with IMMEX_DEBUG=1).

    Returns when ``error`` is not one (a bug): the caller re-raises it.
    """
    from immex.store.errors import store_message  # SQLAlchemy's errors: loaded when one happens

    message = store_message(error)
    if message is None:
        return
    if os.environ.get("IMMEX_DEBUG"):
        stderr.print_exception()
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1) from None


class _CountColumn(rich_progress.ProgressColumn):
    """done/total of the step: sizes for bytes, thousands separated counts otherwise."""

    def render(self, task: rich_progress.Task) -> Text:
        if not task.fields.get("sized") or task.total is None:
            return Text("")  # a step of unknown size has no count to show, even once drawn complete
        unit = task.fields.get("unit", "")
        done, total = int(task.completed), int(task.total)
        if unit == "bytes":
            return Text(f"{filesize.decimal(done)}/{filesize.decimal(total)}")
        return Text(f"{done:,}/{total:,} {unit}".rstrip())


class _Bars(Progress):
    """Each step the work reports becomes one row of bars; finished rows stay with their time."""

    def __init__(self, bars: rich_progress.Progress) -> None:
        self.bars = bars
        self.task: rich_progress.TaskID | None = None
        self.sized = False

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        self.finish()
        self.sized = total is not None
        self.task = self.bars.add_task(name, total=total, unit=unit, sized=self.sized)

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.bars.advance(self.task, n)

    def finish(self) -> None:
        """Stop the clock of the current step; a step of unknown size is drawn as complete."""
        if self.task is None:
            return
        if not self.sized:  # a full bar and a tick instead of the pulse of an unknown size
            self.bars.update(self.task, total=1, completed=1)
        self.bars.stop_task(self.task)
        self.task = None


def _columns() -> tuple[rich_progress.ProgressColumn, ...]:
    return (
        rich_progress.SpinnerColumn(finished_text="✓"),
        rich_progress.TextColumn("{task.description}"),
        rich_progress.BarColumn(),
        _CountColumn(),
        rich_progress.TimeElapsedColumn(),
    )


@contextmanager
def progress_bars() -> Iterator[Progress]:
    """Progress bars on stderr for the steps the work reports (stdout stays for the results).

    When stderr is not a terminal (a pipe, a file, a test) nothing is drawn and the work gets
    the no-op ``QUIET``, so logs and captured stderr hold only what they held before.
    """
    if not stderr.is_terminal:
        yield QUIET
        return
    # redirect_stdout=False: rich would otherwise reroute stdout through this stderr console
    # while the bars are drawn, and stdout carries the results that contracts parse.
    with rich_progress.Progress(*_columns(), console=stderr, redirect_stdout=False) as bars:
        shown = _Bars(bars)
        yield shown
        shown.finish()
