"""Every error path of the contract: exit 2, nothing on stdout, ``PATH: message`` lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from immex.cli.duties import app

from .helpers import line, material, pedimento_case, tmec25_case

runner = CliRunner()


def invoke(tmp_path: Path, command: str, case: Any, *, raw: str | None = None) -> tuple[int, str, list[str]]:
    path = tmp_path / "case.json"
    path.write_text(raw if raw is not None else json.dumps(case), encoding="utf-8")
    result = runner.invoke(app, [command, "--input", str(path)])
    return result.exit_code, result.stdout, result.stderr.splitlines()


def paths(lines: list[str]) -> list[str]:
    return [ln.split(": ", 1)[0] for ln in lines]


def test_valid_cases_exit_0_with_one_json_object(tmp_path: Path) -> None:
    code, out, err = invoke(tmp_path, "pedimento", pedimento_case())
    assert code == 0 and err == [] and json.loads(out)["totals"]["cash"] == 52420
    code, out, err = invoke(tmp_path, "tmec25", tmec25_case())
    assert code == 0 and json.loads(out)["dta_complementario"] == 463


def test_text_format_is_for_people(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(pedimento_case()), encoding="utf-8")
    result = runner.invoke(app, ["pedimento", "--input", str(path), "--format", "text"])
    assert result.exit_code == 0 and "52420" in result.stdout


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("exchange_rate", 17.5, "exchange_rate"),  # JSON number
        ("exchange_rate", "1.75e1", "exchange_rate"),  # exponent
        ("exchange_rate", "17,50", "exchange_rate"),  # comma
        ("exchange_rate", "", "exchange_rate"),  # empty string
        ("exchange_rate", "0", "exchange_rate"),  # must be > 0
        ("exchange_rate", None, "exchange_rate"),  # required
        ("iva_rate", "-0.16", "iva_rate"),
        ("clave", "IT", "clave"),
        ("clave", None, "clave"),
        ("date", "16/02/2026", "date"),
        ("date", "2026-02-30", "date"),
        ("company", {"immex": "yes"}, "company.immex"),
        ("company", {"certification": "B"}, "company.certification"),
        ("company", {"iva_guarantee": 1}, "company.iva_guarantee"),
        ("incrementables", {"freight": "-1"}, "incrementables.freight"),
        ("incrementables", {"handling": "1"}, "incrementables.handling"),
        ("incrementables", [], "incrementables"),
        ("quotas", {"dta_iii": 461}, "quotas.dta_iii"),
        ("quotas", {"dta_x": "1"}, "quotas.dta_x"),
        ("lines", [], "lines"),
        ("lines", None, "lines"),
        ("lines", {"line": 1}, "lines"),
    ],
)
def test_pedimento_field_errors(tmp_path: Path, field: str, value: Any, path: str) -> None:
    code, out, err = invoke(tmp_path, "pedimento", pedimento_case(**{field: value}))
    assert code == 2 and out == ""
    assert paths(err) == [path]


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"value": 100}, "lines[0].value"),
        ({"value": "-5"}, "lines[0].value"),
        ({"igi_rate": "1e-1"}, "lines[0].igi_rate"),
        ({"line": 0}, "lines[0].line"),
        ({"line": "1"}, "lines[0].line"),
        ({"line": True}, "lines[0].line"),
        ({"fraccion": 85044099}, "lines[0].fraccion"),
        ({"cc_rate": "-0.1"}, "lines[0].cc_rate"),
        ({"iva_rate": "x"}, "lines[0].iva_rate"),
        ({"preference": {"program": "ALADI", "rate": "0"}}, "lines[0].preference.program"),
        ({"preference": {"program": "TMEC", "rate": "0"}}, "lines[0].preference.certificate"),
        (
            {"preference": {"program": "TMEC", "certificate": " ", "rate": "0"}},
            "lines[0].preference.certificate",
        ),
        ({"preference": {"program": "PROSEC", "rate": "0.05"}}, "lines[0].preference.sector"),
        ({"preference": {"program": "R8"}}, "lines[0].preference.rate"),
        ({"preference": "TMEC"}, "lines[0].preference"),
    ],
)
def test_pedimento_line_errors(tmp_path: Path, changes: dict[str, Any], path: str) -> None:
    case = pedimento_case()
    case["lines"][0].update(changes)
    code, out, err = invoke(tmp_path, "pedimento", case)
    assert code == 2 and out == "" and paths(err) == [path]


def test_missing_line_fields_are_each_reported(tmp_path: Path) -> None:
    case = pedimento_case(lines=[{"line": 1}])
    code, out, err = invoke(tmp_path, "pedimento", case)
    assert code == 2 and out == ""
    assert paths(err) == ["lines[0].fraccion", "lines[0].value", "lines[0].igi_rate"]


def test_every_problem_is_listed_not_just_the_first(tmp_path: Path) -> None:
    case = pedimento_case(exchange_rate=17.5, iva_rate="", clave="XX", lines=[line(1, "10"), line(1, "x"), 7])
    code, out, err = invoke(tmp_path, "pedimento", case)
    assert code == 2 and out == ""
    assert paths(err) == ["clave", "exchange_rate", "iva_rate", "lines[1].line", "lines[1].value", "lines[2]"]
    assert all(": " in ln for ln in err)


def test_temporary_claves_need_an_immex_company(tmp_path: Path) -> None:
    for clave in ("IN", "AF"):
        code, out, err = invoke(tmp_path, "pedimento", pedimento_case(clave=clave))
        assert code == 2 and out == "" and paths(err) == ["company.immex"]
    code, _, err = invoke(tmp_path, "pedimento", pedimento_case(clave="IN", company=None))
    assert code == 2 and paths(err) == ["company.immex"]


def test_cuota_compensatoria_on_a_temporary_import_is_an_error(tmp_path: Path) -> None:
    case = pedimento_case(clave="IN", company={"immex": True}, lines=[line(1, "100", cc_rate="0.3")])
    code, out, err = invoke(tmp_path, "pedimento", case)
    assert code == 2 and out == "" and paths(err) == ["lines[0].cc_rate"]
    case["lines"][0]["cc_rate"] = "0"
    assert invoke(tmp_path, "pedimento", case)[0] == 0


def test_sum_of_values_must_be_positive(tmp_path: Path) -> None:
    code, out, err = invoke(tmp_path, "pedimento", pedimento_case(lines=[line(1, "0"), line(2, "0.00")]))
    assert code == 2 and out == "" and paths(err) == ["lines"]


def test_date_outside_the_dta_table_is_an_error(tmp_path: Path) -> None:
    code, out, err = invoke(tmp_path, "pedimento", pedimento_case(date="2022-06-30"))
    assert code == 2 and out == "" and set(paths(err)) == {"date"}
    assert any("fr. III quota" in ln for ln in err)


def test_quota_in_the_case_does_not_replace_the_missing_fr_i_rate(tmp_path: Path) -> None:
    case = pedimento_case(date="2010-06-30", quotas={"dta_iii": "230"})
    code, _, err = invoke(tmp_path, "pedimento", case)
    assert code == 2 and err and all("fr. I rate" in ln for ln in err)


def test_a1_all_tmec_needs_no_quota_even_outside_the_table(tmp_path: Path) -> None:
    case = pedimento_case(
        date="2021-06-30",
        lines=[line(1, "10", preference={"program": "TMEC", "certificate": "C", "rate": "0"})],
    )
    code, out, _ = invoke(tmp_path, "pedimento", case)
    assert code == 0 and json.loads(out)["pedimento_contributions"][0]["forma_pago"] == 9


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["pedimento", "--input", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("input: ")
    code, out, err = invoke(tmp_path, "tmec25", None, raw='{"export": ')
    assert code == 2 and out == "" and paths(err) == ["input"]
    code, out, err = invoke(tmp_path, "tmec25", [1, 2])
    assert code == 2 and out == "" and paths(err) == ["input"]
    code, out, err = invoke(tmp_path, "pedimento", None, raw='{"exchange_rate": NaN}')
    assert code == 2 and "exchange_rate" in paths(err)


@pytest.mark.parametrize(
    ("export", "path"),
    [
        ({"destination": "MX"}, "export.destination"),
        ({"destination": None}, "export.destination"),
        ({"date": "2026-3-10"}, "export.date"),
        ({"date": None}, "export.date"),
        ({"same_condition": "false"}, "export.same_condition"),
    ],
)
def test_tmec25_export_errors(tmp_path: Path, export: dict[str, Any], path: str) -> None:
    case = tmec25_case()
    case["export"].update(export)
    code, out, err = invoke(tmp_path, "tmec25", case)
    assert code == 2 and out == "" and paths(err) == [path]


@pytest.mark.parametrize(
    ("foreign", "path"),
    [
        ({"amount": "-1", "exchange_rate": "17"}, "foreign_duty.amount"),
        ({"amount": 1200, "exchange_rate": "17"}, "foreign_duty.amount"),
        ({"exchange_rate": "17"}, "foreign_duty.amount"),
        ({"amount": "1", "exchange_rate": "0"}, "foreign_duty.exchange_rate"),
        ({"amount": "1"}, "foreign_duty.exchange_rate"),
        ("1200", "foreign_duty"),
    ],
)
def test_tmec25_foreign_duty_errors(tmp_path: Path, foreign: Any, path: str) -> None:
    code, out, err = invoke(tmp_path, "tmec25", tmec25_case(foreign_duty=foreign))
    assert code == 2 and out == "" and paths(err) == [path]


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"originating": None}, "materials[0].originating"),
        ({"originating": "no"}, "materials[0].originating"),
        ({"customs_value_mxn": "-1"}, "materials[0].customs_value_mxn"),
        ({"customs_value_mxn": "1 000"}, "materials[0].customs_value_mxn"),
        ({"igi_rate": 0.05}, "materials[0].igi_rate"),
        ({"id": None}, "materials[0].id"),
        ({"id": "M2"}, "materials[1].id"),
        (
            {"preference": {"program": "TMEC", "certificate": "X", "rate": "0"}},
            "materials[0].preference.program",
        ),
        ({"preference": {"program": "FOO", "rate": "0"}}, "materials[0].preference.program"),
        ({"preference": {"program": "PROSEC", "sector": "", "rate": "0"}}, "materials[0].preference.sector"),
        ({"preference": {"program": "R8", "rate": ""}}, "materials[0].preference.rate"),
    ],
)
def test_tmec25_material_errors(tmp_path: Path, changes: dict[str, Any], path: str) -> None:
    case = tmec25_case()
    case["materials"][0].update(changes)
    code, out, err = invoke(tmp_path, "tmec25", case)
    assert code == 2 and out == ""
    assert paths(err) == [path]


def test_tmec25_missing_blocks(tmp_path: Path) -> None:
    code, out, err = invoke(tmp_path, "tmec25", {"materials": "none"})
    assert code == 2 and out == "" and paths(err) == ["export", "materials"]


def test_tmec25_missing_fr_v_quota_is_an_error(tmp_path: Path) -> None:
    case = tmec25_case()
    case["export"]["date"] = "2025-03-10"
    code, out, err = invoke(tmp_path, "tmec25", case)
    assert code == 2 and out == "" and paths(err) == ["export.date"]
    # Not needed when there is no complementario (no foreign duty given): no error.
    assert invoke(tmp_path, "tmec25", {**case, "foreign_duty": None})[0] == 0
    # Not needed when nothing is owed.
    assert invoke(tmp_path, "tmec25", {**case, "materials": [material("X", "1", "0")]})[0] == 0
