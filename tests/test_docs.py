"""Docs that run: every ``console`` block in README.md and docs/*.md is executed and must print what it shows.

A block is a series of ``$ command`` lines, each followed by what it prints
(stdout and stderr together, as a terminal shows them). The commands of one
block run in order in one empty folder in which ``docs`` is the repository's
``docs`` folder, so examples name their inputs ``docs/examples/...`` and write
their outputs next to them. A line ``...`` in the expected text stands for
any number of lines (a progress count, a timing).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks() -> list[tuple[str, int, list[tuple[str, str]]]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            steps: list[tuple[str, list[str]]] = []
            for row in match.group(1).splitlines():
                if row.startswith("$ "):
                    steps.append((row[2:], []))
                elif steps:
                    steps[-1][1].append(row)
            found.append((page.name, line, [(cmd, "\n".join(out)) for cmd, out in steps]))
    return found


def _matches(expected: str, actual: str) -> bool:
    """``...`` alone on a line matches any lines; trailing spaces do not count."""
    pattern = "".join(
        r"(?:.*\n)*?" if line.strip() == "..." else re.escape(line.rstrip()) + r"\n"
        for line in expected.splitlines()
    )
    text = "\n".join(line.rstrip() for line in actual.splitlines()) + "\n"
    return re.fullmatch(pattern, text) is not None


BLOCKS = _blocks()


def test_the_docs_show_runnable_examples() -> None:
    assert len(BLOCKS) >= 5, "every interface has an example that runs"


@pytest.mark.parametrize(("page", "line", "steps"), BLOCKS, ids=[f"{p}:{n}" for p, n, _ in BLOCKS])
def test_documented_commands_print_what_the_docs_show(
    tmp_path: Path, page: str, line: int, steps: list[tuple[str, str]]
) -> None:
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMMEX_")} | {"COLUMNS": "120"}
    for command, expected in steps:
        args = shlex.split(command)
        assert args[0] == "immex", f"{page}:{line}: only immex commands run here: {command}"
        result = subprocess.run(
            args, cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=300
        )
        shown = result.stdout + result.stderr
        assert _matches(expected, shown), (
            f"{page}:{line}: $ {command}\n--- docs:\n{expected}\n--- printed:\n{shown}"
        )
