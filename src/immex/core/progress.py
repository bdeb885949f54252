"""How long work reports how far it got, without knowing who (if anyone) is watching.

Services, the intake readers and the domain engines take a :class:`Progress` and call
``phase(name, total)`` when a step starts and ``advance(n)`` as it gets through ``total``
things (rows, records, bytes). The base class does nothing, so ``QUIET`` is the default
everywhere and tests or library callers pay nothing. The CLI passes a subclass that draws
rich progress bars on stderr (``immex.cli.common.progress_bars``); nothing below the CLI
imports rich.

A ``Progress`` is also callable with a phase name, and :func:`as_progress` accepts a plain
``Callable[[str], None]``: the form the services took before bars had counts, still
accepted so old callers (and code that calls ``progress("text")``) keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

__all__ = ["QUIET", "Progress", "ProgressLike", "as_progress", "counted"]

T = TypeVar("T")

EVERY = 4096
"""Items between two ``advance`` calls in :func:`counted`: drawing costs microseconds, rows cost less."""


class Progress:
    """The no-op progress: subclass it to show or record the steps."""

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        """A new step starts; ``total`` things of ``unit`` (``"bytes"``, ``"rows"``...) when known."""

    def advance(self, n: int = 1) -> None:
        """``n`` more things of the current step are done."""

    def __call__(self, name: str) -> None:
        # The old callback form: a step whose size is unknown.
        self.phase(name)


QUIET = Progress()

ProgressLike = Progress | Callable[[str], None]


class _PhaseNames(Progress):
    """A plain callback that only wants to hear the step names."""

    def __init__(self, callback: Callable[[str], None]) -> None:
        self.callback = callback

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        self.callback(name)


def as_progress(progress: ProgressLike | None) -> Progress:
    """A :class:`Progress` from what a caller passed (None and old-style callbacks included)."""
    if progress is None:
        return QUIET
    if isinstance(progress, Progress):
        return progress
    return _PhaseNames(progress)


def counted(items: Iterable[T], progress: Progress, every: int = EVERY) -> Iterator[T]:
    """Yield ``items`` and advance ``progress`` by each of them (in steps of ``every``)."""
    if progress is QUIET:  # nobody watches: hand the items on untouched
        yield from items
        return
    pending = 0
    for item in items:
        yield item
        pending += 1
        if pending == every:
            progress.advance(pending)
            pending = 0
    if pending:
        progress.advance(pending)
