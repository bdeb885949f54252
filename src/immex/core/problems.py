"""Row-level input problems, collected and reported together (file, row, column, message)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

PROBLEM_HEADER = ("file", "row", "column", "message")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input. ``row`` counts the header as row 1; None = whole file."""

    file: str
    row: int | None
    column: str
    message: str

    def as_row(self) -> tuple[str, str, str, str]:
        return (self.file, "" if self.row is None else str(self.row), self.column, self.message)


class InputError(Exception):
    """Raised by services when validation found problems; nothing was stored."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        # Readers that share a source report its failure each (a missing folder): list it once.
        self.problems = list(dict.fromkeys(problems))
        super().__init__(f"{len(self.problems)} input problem(s)")


def write_problems(problems: Iterable[Problem], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PROBLEM_HEADER)
    writer.writerows(p.as_row() for p in problems)


def problems_csv(problems: Iterable[Problem]) -> str:
    buffer = io.StringIO()
    write_problems(problems, buffer)
    return buffer.getvalue()


def report_problems(problems: Iterable[Problem], errors_csv: Path | None = None) -> None:
    """Print problems as CSV on stderr and, when asked, to ``errors_csv``."""
    text = problems_csv(problems)
    sys.stderr.write(text)
    if errors_csv is not None:
        errors_csv.parent.mkdir(parents=True, exist_ok=True)
        errors_csv.write_text(text, encoding="utf-8")
