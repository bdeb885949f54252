"""`immex origin qualify|sensitivity|rule` on messy input: one clear line per problem (exit 2), never a
traceback, never an answer from a field the reader skipped."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from immex.cli import app
from tests.origin.origin_helpers import CASE

runner = CliRunner()


def _run(tmp_path: Path, data: dict[str, Any], command: str = "qualify") -> Any:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return runner.invoke(app, ["origin", command, "--input", str(path)])


def _changed(where: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(CASE)
    target: Any = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return data


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("good", "is_set"), True, "good.is_set: unknown field; did you mean 'set'?"),
        (("good", "net_cots"), "80", "good.net_cots: unknown field; did you mean 'net_cost'?"),
        (("materials", 0, "Value"), "1", "materials[0].Value: unknown field; did you mean 'value'?"),
        (("materials", 0, "role"), "indirect", "materials[0].role: unknown field; a material's role is one"),
        (("hs_edition",), "2022", "hs_edition: unknown field; did you mean 'hs_version'?"),
    ],
)
def test_a_field_named_like_a_known_one_is_refused_as_a_typo(
    tmp_path: Path, where: tuple[str | int, ...], value: Any, message: str
) -> None:
    result = _run(tmp_path, _changed(where, value))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert result.output.count("\n") == 1  # one line for the one problem


def test_a_field_unlike_any_known_one_is_ignored(tmp_path: Path) -> None:
    """docs/origin.md: fields the engine does not use (units, suppliers, ...) are ignored."""
    data = _changed(("colour",), "red")
    data["materials"][0]["supplier_name"] = "ACME"
    result = _run(tmp_path, data)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["criterion"] == "B"


@pytest.mark.parametrize("value", [20250301, "20250301", "2025-02-30", "01/03/2025"])
def test_a_date_not_written_yyyy_mm_dd_is_refused(tmp_path: Path, value: Any) -> None:
    result = _run(tmp_path, _changed(("date",), value))
    assert result.exit_code == 2
    assert "case.json: date:" in result.output


@pytest.mark.parametrize("command", ["qualify", "sensitivity"])
@pytest.mark.parametrize("value", ["9" * 60, "1." + "1" * 40])
def test_a_number_longer_than_the_arithmetic_is_refused(tmp_path: Path, command: str, value: str) -> None:
    result = _run(tmp_path, _changed(("good", "transaction_value"), value), command)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "good.transaction_value:" in result.output and "too large or too long" in result.output


def test_a_large_but_exact_value_is_answered(tmp_path: Path) -> None:
    result = _run(tmp_path, _changed(("good", "transaction_value"), "100000000000000.25"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["originating"] is True


@pytest.mark.parametrize("code", ["850110001", "8501.10.", "99.99", "abc"])
def test_rule_of_a_malformed_code_is_one_line(code: str) -> None:
    result = runner.invoke(app, ["origin", "rule", "--hs", code])
    assert result.exit_code == 2
    assert result.output.startswith("error: arguments: --hs:")


@pytest.mark.parametrize("command", [["certs", "load"], ["values", "load"]])
def test_loading_a_directory_is_one_line(tmp_path: Path, command: list[str]) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    result = runner.invoke(app, ["origin", *command, str(tmp_path), "--db", db])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2
    assert "is a directory, not a CSV or XLSX file" in result.output
