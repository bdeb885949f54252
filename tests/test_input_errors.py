"""An input problem found by two readers of the same source is listed once."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from immex.cli import app
from immex.core.problems import InputError, Problem


def test_the_same_problem_twice_is_listed_once_in_order() -> None:
    a, b = Problem("x.csv", 2, "qty", "bad"), Problem("x.csv", 3, "qty", "bad")
    assert InputError([a, b, a]).problems == [a, b]


def test_a_missing_input_folder_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(app, ["discharge", "--input", str(missing), "--output", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert (
        result.stderr
        == "file,row,column,message\nnowhere,,,input is neither a folder nor an .xlsx workbook\n"
    )
