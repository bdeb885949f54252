"""`immex duties pedimento|tmec25|landed` on messy input: one clear line per problem (exit 2), never a
traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from immex.cli import app

from .helpers import pedimento_case, tmec25_case

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "duties"


def _file(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _landed(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / "landed-shipped-rate.json").read_text(encoding="utf-8"))
    data.update(changes)
    return data


def _clean(result: Any) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output


def test_landed_with_an_impossible_date_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["duties", "landed", "--input", _file(tmp_path, _landed(date="2026-02-30"))])
    _clean(result)
    assert "date: '2026-02-30' is not a valid calendar date" in result.output


def test_landed_with_a_null_igi_rate_asks_for_it(tmp_path: Path) -> None:
    data = _landed()
    data["items"][0]["igi_rate"] = None
    result = runner.invoke(app, ["duties", "landed", "--input", _file(tmp_path, data)])
    _clean(result)
    assert "items[0].igi_rate: missing rate" in result.output


@pytest.mark.parametrize("option", ["--csv", "--xlsx", "--chart"])
def test_landed_output_that_cannot_be_written_is_an_error(tmp_path: Path, option: str) -> None:
    blocker = tmp_path / "a-file"  # a file where the output's folder should be (root may write anywhere)
    blocker.write_text("x", encoding="utf-8")
    target = blocker / ("out.png" if option == "--chart" else "out")
    result = runner.invoke(
        app, ["duties", "landed", "--input", _file(tmp_path, _landed()), option, str(target)]
    )
    _clean(result)
    assert "cannot write" in result.output


def test_landed_output_to_a_directory_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["duties", "landed", "--input", _file(tmp_path, _landed()), "--csv", str(tmp_path)]
    )
    _clean(result)
    assert f"{tmp_path}: is a directory" in result.output


def test_pedimento_value_longer_than_the_arithmetic_is_refused(tmp_path: Path) -> None:
    case = pedimento_case()
    case["lines"][0]["value"] = "9" * 40
    result = runner.invoke(app, ["duties", "pedimento", "--input", _file(tmp_path, case)])
    _clean(result)
    assert "lines[0].value:" in result.output and "too large or too long" in result.output


def test_tmec25_customs_value_longer_than_the_arithmetic_is_refused(tmp_path: Path) -> None:
    case = tmec25_case()
    case["materials"][0]["customs_value_mxn"] = "1" * 30
    result = runner.invoke(app, ["duties", "tmec25", "--input", _file(tmp_path, case)])
    _clean(result)
    assert "materials[0].customs_value_mxn:" in result.output


@pytest.mark.parametrize("fraccion", ["8516.60", "851660999", "85166099999"])
def test_pedimento_fraccion_of_the_wrong_length_is_refused(tmp_path: Path, fraccion: str) -> None:
    case = pedimento_case()
    case["lines"][0]["fraccion"] = fraccion
    result = runner.invoke(app, ["duties", "pedimento", "--input", _file(tmp_path, case)])
    _clean(result)
    assert f"lines[0].fraccion: {fraccion!r} is not a fraccion" in result.output


def test_pedimento_iva_rate_written_as_a_percentage_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["duties", "pedimento", "--input", _file(tmp_path, pedimento_case(iva_rate="16"))]
    )
    _clean(result)
    assert "iva_rate: '16' is more than 1" in result.output


def test_tmec25_malformed_pedimento_number_is_refused(tmp_path: Path) -> None:
    case = tmec25_case()
    case["export"]["pedimento"] = "123"
    result = runner.invoke(app, ["duties", "tmec25", "--input", _file(tmp_path, case)])
    _clean(result)
    assert "export.pedimento: pedimento '123' has 3 digits, expected 15" in result.output


@pytest.mark.parametrize("written", ["usa", "US", " Usa "])
def test_landed_supplier_country_in_any_case_is_the_party(tmp_path: Path, written: str) -> None:
    """'usa' was compared as written with the Parties (USA, CAN, MEX): silently not T-MEC."""
    data = _landed()
    data["items"][0]["supplier_country"] = written
    same = _landed()
    same["items"][0]["supplier_country"] = "USA"
    given = runner.invoke(app, ["duties", "landed", "--input", _file(tmp_path, data), "--format", "json"])
    path = tmp_path / "same.json"
    path.write_text(json.dumps(same), encoding="utf-8")
    expected = runner.invoke(app, ["duties", "landed", "--input", str(path), "--format", "json"])
    assert given.exit_code == 0, given.output
    assert json.loads(given.output) == json.loads(expected.output)


def test_landed_supplier_country_not_a_code_is_refused(tmp_path: Path) -> None:
    data = _landed()
    data["items"][0]["supplier_country"] = "China"
    result = runner.invoke(app, ["duties", "landed", "--input", _file(tmp_path, data)])
    _clean(result)
    assert "items[0].supplier_country: 'China' is not an ISO 3166-1 country code" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["tariff", "update", "--since", "2026-01-01", "--source", "test"],
        ["hts", "import", "--table", "hts.csv", "--source", "test"],
    ],
)
def test_a_directory_given_as_the_file_is_one_line(tmp_path: Path, args: list[str]) -> None:
    extra = ["--data-dir", str(tmp_path / "data")] if args[0] == "tariff" else []
    result = runner.invoke(app, ["duties", *args, *extra, "--file", str(tmp_path)])
    _clean(result)
    assert f"--file: {tmp_path} is a directory" in result.output
