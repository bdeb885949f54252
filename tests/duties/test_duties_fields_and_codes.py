"""Duty case files: a misspelt field is refused naming the field meant; currency, incoterm and
PROSEC sector codes are checked against their lists (rules/duties/catalogs.yaml, input_codes)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from immex.cli import app
from immex.core.fields import likely_typos
from immex.duties import codes
from immex.duties.case import LINE_FIELDS, parse_pedimento_case, parse_tmec25_case
from immex.duties.tariff import ProsecRow, prosec_in_force

from .helpers import pedimento_case, tmec25_case

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "duties"


def _run(tmp_path: Path, command: str, data: Any, name: str = "case.json") -> Any:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return runner.invoke(app, ["duties", command, "--input", str(path)])


def _errors(result: Any) -> list[str]:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return [line for line in result.output.splitlines() if line]


# --- misspelt fields ---------------------------------------------------------------------


def test_pedimento_misspelt_fields_name_the_file_the_path_and_the_field_meant(tmp_path: Path) -> None:
    case = pedimento_case()
    case["lines"][0]["igi_rte"] = case["lines"][0].pop("igi_rate")
    case["company"]["iva_garantee"] = True
    case["exchange_rte"] = "18"
    errors = _errors(_run(tmp_path, "pedimento", case, "plant-feb.json"))
    assert "lines[0].igi_rte: unknown field in plant-feb.json; did you mean 'igi_rate'?" in errors
    assert "company.iva_garantee: unknown field in plant-feb.json; did you mean 'iva_guarantee'?" in errors
    assert "exchange_rte: unknown field in plant-feb.json; did you mean 'exchange_rate'?" in errors
    assert "lines[0].igi_rate: is required" in errors  # the typo also leaves the real field missing


def test_a_misspelt_optional_field_is_refused_even_when_nothing_else_is_missing(tmp_path: Path) -> None:
    """cc_rate defaults to 0: "cc_rat" would have computed without the cuota compensatoria."""
    case = pedimento_case()
    case["lines"][0]["cc_rat"] = "0.35"
    errors = _errors(_run(tmp_path, "pedimento", case))
    assert errors == ["lines[0].cc_rat: unknown field in case.json; did you mean 'cc_rate'?"]


def test_a_field_in_the_wrong_case_is_a_typo(tmp_path: Path) -> None:
    case = pedimento_case()
    case["lines"][0]["Value"] = "5"
    assert "lines[0].Value: unknown field in case.json; did you mean 'value'?" in _errors(
        _run(tmp_path, "pedimento", case)
    )


def test_fields_far_from_every_known_one_are_still_ignored(tmp_path: Path) -> None:
    case = pedimento_case(notes="from the broker's system")
    case["lines"][0]["descripcion_mercancia"] = "horno"
    result = _run(tmp_path, "pedimento", case)
    assert result.exit_code == 0, result.output


def test_preference_and_tmec25_blocks_are_checked(tmp_path: Path) -> None:
    case = tmec25_case()
    case["export"]["same_conditon"] = True
    case["foreign_duty"]["ammount"] = case["foreign_duty"].pop("amount")
    case["materials"][1]["preference"] = {"program": "PROSEC", "sectr": "II", "rate": "0"}
    errors = _errors(_run(tmp_path, "tmec25", case))
    assert "export.same_conditon: unknown field in case.json; did you mean 'same_condition'?" in errors
    assert "foreign_duty.ammount: unknown field in case.json; did you mean 'amount'?" in errors
    assert "materials[1].preference.sectr: unknown field in case.json; did you mean 'sector'?" in errors


def test_landed_item_typo_is_refused(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "landed-shipped-rate.json").read_text(encoding="utf-8"))
    data["items"][0]["suplier_country"] = data["items"][0].pop("supplier_country")
    data["cost_of_mony"] = "0.1"
    errors = _errors(_run(tmp_path, "landed", data, "scenario.json"))
    assert (
        "items[0].suplier_country: unknown field in scenario.json; did you mean 'supplier_country'?" in errors
    )
    assert "cost_of_mony: unknown field in scenario.json; did you mean 'cost_of_money'?" in errors


def test_the_contract_examples_have_no_unknown_field() -> None:
    assert parse_pedimento_case(pedimento_case())[1] == []
    assert parse_tmec25_case(tmec25_case())[1] == []


@given(st.sampled_from(sorted(LINE_FIELDS)), st.integers(min_value=0, max_value=20))
def test_a_known_field_with_one_letter_dropped_is_taken_for_itself(field: str, at: int) -> None:
    """Dropping one letter of a field of 6+ letters is always read as that field, never another."""
    if len(field) < 6:
        return
    index = at % len(field)
    typo = field[:index] + field[index + 1 :]
    if typo in LINE_FIELDS:
        return
    found = likely_typos([typo], LINE_FIELDS)
    assert [t.meant for t in found] == [field]


# --- codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "canonical"),
    [
        ("currency", "USD", "USD"),
        ("currency", "eur", "EUR"),
        ("currency", "STG", "STG"),  # Anexo 22 Apéndice 5, not ISO 4217
        ("currency", "MXP", "MXP"),
        ("currency", "UDS", None),
        ("currency", "US$", None),
        ("incoterm", "FOB", "FOB"),
        ("incoterm", "dap", "DAP"),
        ("incoterm", "FCA Laredo, TX", "FCA"),
        ("incoterm", "DPU", "DPU"),
        ("incoterm", "DAT", "DAT"),  # Incoterms 2010, kept in Apéndice 14
        ("incoterm", "FBO", None),
        ("incoterm", "FREE", None),
        ("prosec_sector", "II", "II"),
        ("prosec_sector", "xix", "XIX"),
        ("prosec_sector", "Sector XIX", "XIX"),
        ("prosec_sector", "XX-b", "XX b"),
        ("prosec_sector", "XXIV", "XXIV"),
        ("prosec_sector", "XXV", None),
        ("prosec_sector", "XIXX", None),
        ("prosec_sector", "electronics", None),
    ],
)
def test_codes(kind: str, raw: str, canonical: str | None) -> None:
    check = {"currency": codes.currency, "incoterm": codes.incoterm, "prosec_sector": codes.prosec_sector}
    assert check[kind](raw) == canonical


def test_the_lists_have_the_eleven_incoterms_2020_and_24_sectors() -> None:
    lists = codes.input_codes()
    rules_2020 = {"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"}
    assert rules_2020 <= set(lists.incoterms)
    names = list(lists.prosec_sectors)
    assert (names[0], names[-1]) == ("I", "XXIV")
    assert len(lists.prosec_sectors) == 24
    assert "Art. 3" in lists.prosec_reference and "Apéndice 14" in lists.incoterm_reference


def test_unknown_codes_in_a_pedimento_name_the_valid_ones(tmp_path: Path) -> None:
    case = pedimento_case(currency="UDS", incoterm="FBO")
    case["lines"][0]["preference"] = {"program": "PROSEC", "sector": "XXX", "rate": "0.05"}
    errors = _errors(_run(tmp_path, "pedimento", case))
    assert any(e.startswith("currency: 'UDS' is not an ISO 4217 currency code") for e in errors)
    assert any(e.startswith("incoterm: 'FBO' is not an incoterm: one of EXW, FCA") for e in errors)
    assert any(
        e.startswith(
            "lines[0].preference.sector: 'XXX' is not a PROSEC sector: the program's number I to XXIV"
        )
        for e in errors
    )


def test_the_contract_example_values_stay_allowed(tmp_path: Path) -> None:
    case = pedimento_case()
    case["lines"][0]["preference"] = {"program": "PROSEC", "sector": "XIX", "rate": "0.05"}
    assert _run(tmp_path, "pedimento", case).exit_code == 0
    assert _run(tmp_path, "pedimento", pedimento_case(currency="", incoterm=None)).exit_code == 0


def test_tmec25_foreign_duty_currency_is_checked(tmp_path: Path) -> None:
    case = tmec25_case()
    case["foreign_duty"]["currency"] = "DLLS"
    errors = _errors(_run(tmp_path, "tmec25", case))
    assert any(e.startswith("foreign_duty.currency: 'DLLS' is not an ISO 4217") for e in errors)


def test_landed_sectors_are_checked_and_matched_by_program(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "landed-shipped-rate.json").read_text(encoding="utf-8"))
    data["company"]["prosec_sectors"] = ["II", "electronica"]
    errors = _errors(_run(tmp_path, "landed", data))
    assert any(
        e.startswith("company.prosec_sectors[1]: 'electronica' is not a PROSEC sector") for e in errors
    )


def test_prosec_rows_match_a_registration_written_another_way() -> None:
    day = dt.date(2026, 1, 1)
    rows = [
        ProsecRow("XX b", "52081101", Decimal("0.03"), day, None, "test"),
        ProsecRow("II", "85423101", Decimal("0"), day, None, "test"),
        ProsecRow("Electrónica", "85423101", Decimal("0.05"), day, None, "a user's table"),
    ]
    assert [r.sector for r in prosec_in_force(rows, "52081101", day, ["xx"])] == ["XX b"]
    assert [r.sector for r in prosec_in_force(rows, "85423101", day, ["Sector II"])] == ["II"]
    assert [r.sector for r in prosec_in_force(rows, "85423101", day, ["Electrónica"])] == ["Electrónica"]


# --- the material terms CSV of `tmec25 --db` -------------------------------------------------


def test_terms_csv_with_a_misspelt_column_or_an_unknown_sector_is_refused(tmp_path: Path) -> None:
    from immex.core.problems import InputError
    from immex.duties.ledger_service import read_material_terms

    misspelt = tmp_path / "terms.csv"
    misspelt.write_text(
        "part,igi_rate,originating,prosec_sectr,prosec_rate\nP1,0.1,false,II,0\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        read_material_terms(misspelt)
    assert [(p.row, p.column, p.message) for p in info.value.problems] == [
        (1, "prosec_sectr", "unknown field; did you mean 'prosec_sector'?")
    ]
    bad_sector = tmp_path / "terms2.csv"
    bad_sector.write_text(
        "part;igi_rate;originating;prosec_sector;prosec_rate\nP1;0.1;false;XIX;0\nP2;0.1;false;2;0\n",
        encoding="cp1252",
    )
    with pytest.raises(InputError) as info:
        read_material_terms(bad_sector)
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (3, "prosec_sector")
    assert problem.message.startswith("'2' is not a PROSEC sector")
