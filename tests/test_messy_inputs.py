"""Every command that reads a user's file, on messy copies of a valid input (issue 11, point 4).

The sweep of :mod:`tests.messy_sweep` (``python3 -m tests.messy_sweep`` prints it
as a table): a copy that means the same data (Windows-1252, byte order mark,
CRLF, Excel's empty columns, UTF-16) gets the clean run's answer; Spanish
Excel's semicolons with decimal commas get the same answer or an error that
says "decimal comma"; a copy that is not the data (cut short, a workbook
renamed ``.csv``, empty, two files joined) is exit 2 naming the file and what
is wrong, with the store as it was. Never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.messy_sweep import (
    CORRUPTIONS,
    SAME_MEANING,
    SCENARIOS,
    Clean,
    Outcome,
    applies,
    corrupted,
    prepare,
)

CASES = [(s, c) for s in SCENARIOS for c in CORRUPTIONS if applies(s, c)]
WHAT_IS_WRONG = {
    "last line cut": "cut short",
    "xlsx renamed .csv": "is a workbook (ZIP) file",
    "empty file": "",  # each reader names what is missing (its header, its columns, the JSON)
    "two files joined": "two files joined into one",
}
"""What the message says, for the copies that are not the data."""


@pytest.fixture(scope="module")
def cleans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Clean]:
    """Each scenario set up and run once on its clean input."""
    return {name: prepare(name, tmp_path_factory.mktemp("clean")) for name in SCENARIOS}


def _named_files(clean: Clean) -> set[str]:
    return {path.name for path in clean.setup.targets}


@pytest.mark.parametrize(("scenario", "corruption"), CASES)
def test_a_messy_copy_is_read_as_the_clean_one_or_refused_clearly(
    cleans: dict[str, Clean], tmp_path: Path, scenario: str, corruption: str
) -> None:
    clean = cleans[scenario]
    outcome: Outcome = corrupted(clean, corruption, tmp_path / "run")
    assert not outcome.traceback, outcome.output
    if corruption in SAME_MEANING:
        assert outcome.same, outcome.output
        return
    if corruption == "Spanish Excel ; and 0,5":
        assert outcome.same or (outcome.exit_code == 2 and "comma" in outcome.output), outcome.output
    else:
        assert outcome.exit_code == 2, outcome.output
        assert WHAT_IS_WRONG[corruption] in outcome.output
        assert any(name in outcome.output for name in _named_files(clean)), outcome.output
    if outcome.exit_code != 0:
        assert outcome.store_unchanged in (None, True)
