"""`immex origin qualify|sensitivity --input CASE.json`: output shape and every error path (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from immex.cli import app

runner = CliRunner()

CONTRACT_CASE: dict[str, Any] = {
    "agreement": "USMCA",
    "date": "2025-03-01",
    "good": {
        "hs": "8501.10",
        "description": "electric motor, output < 37.5 W",
        "transaction_value": "100.00",
        "net_cost": "85.00",
    },
    "materials": [
        {"id": "rotor", "hs": "8503.00", "value": "30.00", "originating": False, "country": "CN"},
        {"id": "housing", "hs": "7616.99", "value": "10.00", "originating": True, "country": "MX"},
    ],
}


def write(tmp_path: Path, data: Any, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def run(*args: str) -> Any:
    return runner.invoke(app, ["origin", *args])


def variant(**changes: Any) -> dict[str, Any]:
    data: Any = json.loads(json.dumps(CONTRACT_CASE))
    for dotted, value in changes.items():
        target = data
        keys = dotted.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if value is ...:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return dict(data)


def test_qualify_json_has_exactly_the_contract_fields(tmp_path: Path) -> None:
    result = run("qualify", "--input", str(write(tmp_path, CONTRACT_CASE)))
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert list(out) == [
        "originating",
        "criterion",
        "undetermined",
        "rule",
        "alternative",
        "tariff_shift",
        "rvc",
        "de_minimis",
        "explanation",
    ]
    assert out["originating"] is True and out["criterion"] == "B" and out["alternative"] == 1
    assert out["tariff_shift"] == {"required": True, "met": True, "failing_materials": []}
    assert out["rvc"] == {"method": "TV", "value": "70.00", "required": "60"}
    assert out["de_minimis"] == {"applied": False, "value": "0.00", "limit": "10.00"}
    assert out["rule"].startswith("(A) A change to heading 8501")
    assert all(isinstance(line, str) for line in out["explanation"])


def test_qualify_not_originating_exits_zero_and_lists_failing(tmp_path: Path) -> None:
    data = variant(materials__0__hs="8503.00.35", materials__0__value="45.00")
    result = run("qualify", "--input", str(write(tmp_path, data)))
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["originating"] is False and out["criterion"] is None
    assert out["tariff_shift"]["failing_materials"] == ["rotor"]
    assert out["rvc"] == {"method": "TV", "value": "55.00", "required": "60"}


def test_qualify_with_rule_text_and_rvc_rounding(tmp_path: Path) -> None:
    data = variant(
        rule="A change to heading 85.01 from any other heading, provided there is a regional value "
        "content of not less than: (a) 60 percent where the transaction value method is used, or "
        "(b) 50 percent where the net cost method is used",
        good__transaction_value="70.00",
    )
    data["materials"][0]["value"] = "33.333"
    out = json.loads(run("qualify", "--input", str(write(tmp_path, data))).stdout)
    # TV (70 - 33.333) / 70 = 52.381 % fails; NC (85 - 33.333) / 85 = 60.784... % -> "60.78"
    assert out["rvc"] == {"method": "NC", "value": "60.78", "required": "50"}
    assert out["originating"] is True


def test_qualify_text_format(tmp_path: Path) -> None:
    result = run("qualify", "--input", str(write(tmp_path, CONTRACT_CASE)), "--format", "text")
    assert result.exit_code == 0
    assert result.stdout.startswith("ORIGINATING (criterion B)")


def test_sensitivity_json_and_text(tmp_path: Path) -> None:
    data = variant(materials__0__hs="8503.00.35", materials__0__value="45.00")
    path = write(tmp_path, data)
    out = json.loads(run("sensitivity", "--input", str(path)).stdout)
    assert out["originating"] is False
    assert out["single_fixes"] == ["rotor"]
    tv = next(g for g in out["rvc"] if g["method"] == "TV")
    assert tv["value_to_replace"] == "5.00"
    text = run("sensitivity", "--input", str(path), "--format", "text")
    assert text.exit_code == 0 and "NOT ORIGINATING" in text.stdout


def test_installed_command_runs(tmp_path: Path) -> None:
    path = write(tmp_path, CONTRACT_CASE)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from immex.cli import main; main()",
            "origin",
            "qualify",
            "--input",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["criterion"] == "B"


ERRORS: list[tuple[str, Any, str]] = [
    ("invalid JSON", "{not json", "not valid JSON"),
    ("not an object", "[1, 2]", "JSON object"),
    ("missing good", variant(good=...), "missing object 'good'"),
    ("missing good hs", variant(good__hs=...), "good.hs: missing HS code"),
    ("unknown HS code", variant(good__hs="9999.99"), "unknown HS code"),
    ("short HS code", variant(good__hs="85"), "at least 6"),
    ("HS code not digits", variant(materials__0__hs="85x3.00"), "materials[0].hs"),
    (
        "missing transaction value",
        variant(good__transaction_value=...),
        "good.transaction_value: missing value",
    ),
    ("missing material value", variant(materials__0__value=...), "materials[0].value: missing value"),
    ("negative value", variant(materials__0__value="-30.00"), "negative value"),
    ("negative net cost", variant(good__net_cost="-1"), "good.net_cost: negative"),
    ("zero transaction value", variant(good__transaction_value="0"), "greater than zero"),
    ("not a number", variant(materials__1__value="ten"), "not a plain decimal"),
    ("float value", variant(materials__1__value=[1]), "not a decimal number"),
    ("missing originating", variant(materials__0__originating=...), "originating: missing value"),
    ("originating not boolean", variant(materials__0__originating="no"), "is not true or false"),
    ("duplicate material id", variant(materials__1__id="rotor"), "duplicate material id"),
    ("missing material id", variant(materials__0__id=...), "missing material id"),
    ("missing materials", variant(materials=...), "missing list of materials"),
    ("malformed rule", variant(rule="A change to heading 85.01 from somewhere else"), "malformed rule text"),
    ("empty rule", variant(rule=""), "malformed rule text"),
    (
        "rule not for the good",
        variant(rule="A change to heading 94.01 from any other chapter"),
        "does not cover",
    ),
    ("bad date", variant(date="2025-02-30"), "is not a real calendar date"),
    ("missing date", variant(date=...), "date: missing value"),
    ("USMCA before entry into force", variant(date="2019-05-01"), "USMCA is not in force on 2019-05-01"),
    ("NAFTA after termination", variant(agreement="NAFTA"), "NAFTA is not in force"),
    ("unknown agreement", variant(agreement="CPTPP"), "unknown agreement"),
    ("NAFTA without rule", variant(agreement="NAFTA", date="2019-05-01"), "give the rule text"),
    ("automotive good", variant(good__hs="8703.23"), "automotive"),
    ("chapter 98", variant(good__hs="9801.00"), "chapter 98 is not an HS chapter"),
    ("heading not in HS 2012", variant(good__hs="8599.00"), "unknown HS code 8599.00"),
]


@pytest.mark.parametrize(("name", "data", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_invalid_case_exits_2_with_clear_message(tmp_path: Path, name: str, data: Any, message: str) -> None:
    result = run("qualify", "--input", str(write(tmp_path, data)))
    assert result.exit_code == 2, (name, result.stdout)
    assert message in result.stderr, result.stderr
    assert result.stdout == ""
    sens = run("sensitivity", "--input", str(write(tmp_path, data)))
    assert sens.exit_code == 2 and message in sens.stderr


def test_fields_the_engine_does_not_use_are_ignored(tmp_path: Path) -> None:
    data = variant(good__uom="PZA")
    data["materials"][0]["supplier"] = "ACME"
    result = run("qualify", "--input", str(write(tmp_path, data)))
    assert result.exit_code == 0 and json.loads(result.stdout)["criterion"] == "B"


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("qualify", "--input", str(tmp_path / "absent.json"))
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_no_input_option_exits_2() -> None:
    result = run("qualify")
    assert result.exit_code == 2 and "--input" in result.stderr


def test_all_problems_reported_together(tmp_path: Path) -> None:
    data = variant(good__hs="99", materials__0__value="-1", materials__1__originating="yes")
    result = run("qualify", "--input", str(write(tmp_path, data)))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 3


def test_unknown_process_is_a_problem(tmp_path: Path) -> None:
    result = run("qualify", "--input", str(write(tmp_path, variant(good__processes=["alchemy"]))))
    assert result.exit_code == 2 and "unknown process 'alchemy'" in result.stderr


def test_rule_command_shows_the_table_rule() -> None:
    result = run("rule", "--hs", "8504.21", "--date", "2025-07-01", "--format", "json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["citation"].endswith("chapter 85, subheading rule") and out["since"] == "2025-07-01"
    assert [a["rvc"] for a in out["alternatives"]][1] == {"TV": "65", "NC": "55"}
    text = run("rule", "--hs", "8501.10", "--date", "2025-03-01")
    assert text.exit_code == 0 and "chapter 85, rule 1" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hs", "85"], "at least 6"),
        (["--hs", "8501.10", "--date", "2019-01-01"], "USMCA is not in force"),
        (["--hs", "8501.10", "--date", "yesterday"], "not a YYYY-MM-DD date"),
    ],
)
def test_rule_command_errors_exit_2(args: list[str], message: str) -> None:
    result = run("rule", *args)
    assert result.exit_code == 2 and message in result.stderr


UNDECIDED = {
    "agreement": "USMCA",
    "date": "2025-03-01",
    "good": {"hs": "8537.10", "transaction_value": "100.00"},
    "materials": [{"id": "part", "hs": "8538.90", "value": "60.00", "originating": False}],
}


def test_undetermined_json_says_what_a_person_must_decide(tmp_path: Path) -> None:
    # contract v2: GN 11(o) ch. 85 rule 89 (A) excepts "moulded parts of subheading 8538.90"; the case
    # does not say what the 8538.90 part is and (B) fails its RVC (40 % < 50 %)
    result = run("qualify", "--input", str(write(tmp_path, UNDECIDED)))
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["originating"] is None and out["criterion"] is None
    assert out["undetermined"][0]["alternative"] == 1
    assert "materials[].description" in out["undetermined"][0]["reason"]
    described = json.loads(json.dumps(UNDECIDED))
    described["materials"][0]["description"] = "moulded part"
    decided = json.loads(run("qualify", "--input", str(write(tmp_path, described))).stdout)
    assert decided["originating"] is False and decided["undetermined"] == []


def test_undetermined_text_leads_with_the_verdict_and_the_questions(tmp_path: Path) -> None:
    result = run("qualify", "--input", str(write(tmp_path, UNDECIDED)), "--format", "text")
    assert result.exit_code == 0, result.stderr
    first, second = result.stdout.splitlines()[:2]
    assert first == "UNDETERMINED" and second.startswith("to decide (alternative 1): decide whether material")


def test_bad_destination_is_refused(tmp_path: Path) -> None:
    result = run("qualify", "--input", str(write(tmp_path, {**UNDECIDED, "destination": "FR"})))
    assert result.exit_code == 2 and "destination: 'FR' is not a USMCA country" in result.stderr
