"""An input problem found by two readers of the same source is listed once."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from immex.cli import app
from immex.core.numbers import parse_decimal
from immex.core.parse import positive_decimal
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


@pytest.mark.parametrize("parse", [parse_decimal, positive_decimal])
def test_a_decimal_comma_is_named_as_such_by_every_decimal_reader(parse: Callable[[str], Decimal]) -> None:
    """What a Spanish-locale Excel writes gets the fix, not "not a number" (exchange rates, terms ...)."""
    with pytest.raises(ValueError) as comma:
        parse(" 17,2000 ")
    assert str(comma.value) == "' 17,2000 ' has a decimal comma; write decimals with a point (17.2000)"
    with pytest.raises(ValueError, match="not a plain decimal number"):
        parse("17.2.0")
