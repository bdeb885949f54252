"""`immex duties hts import` with the USITC CSV as Excel saves it in a Spanish locale: semicolons,
Windows-1252, decimal commas; what a spreadsheet broke is one clear line per row (exit 2)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from immex.cli.duties import app
from immex.duties import tariff_service as svc
from immex.duties.tariff import hts_lookup

runner = CliRunner()
HEADER = "HTS Number;Indent;Description;Unit of Quantity;General Rate of Duty;Special Rate of Duty"
ROWS = [
    "8504;0;Electrical transformers, static converters;;;",
    "8504.40.95;2;Other;;Free;",
    "8504.40.95.10;3;Power supplies, for ADP;No.;;",
    '0406.10.04;2;Cheese, "fresh";kg;10¢/kg;Free (A+)',
    "8708.99.81;2;Other parts;;2,5%;Free",
]


def _write(path: Path, lines: list[str], encoding: str) -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-16"])
def test_semicolon_csv_in_any_encoding_is_read_as_the_comma_one(tmp_path: Path, encoding: str) -> None:
    source = _write(tmp_path / "hts-es.csv", [HEADER, *ROWS], encoding)
    comma = _write(
        tmp_path / "hts-en.csv",
        [
            '"HTS Number","Indent","Description","Unit of Quantity","General Rate of Duty","Special"',
            '"8504","0","Electrical transformers, static converters","","",""',
            '"8504.40.95","2","Other","","Free",""',
            '"8504.40.95.10","3","Power supplies, for ADP","No.","",""',
            '"0406.10.04","2","Cheese, ""fresh""","kg","10¢/kg","Free (A+)"',
            '"8708.99.81","2","Other parts","","2.5%","Free"',
        ],
        "utf-8",
    )
    assert svc.read_usitc_export(source, "HTS 2026") == svc.read_usitc_export(comma, "HTS 2026")
    rows = {row.hts: row for row in svc.read_usitc_export(source, "HTS 2026")}
    assert rows["87089981"].general_rate == Decimal("0.025")  # "2,5%" with a decimal comma
    assert rows["04061004"].general_text == "10¢/kg" and rows["04061004"].general_rate is None
    assert rows["8504409510"].general_rate == 0  # inherits the 8-digit line's Free
    assert rows["8504"].description == "Electrical transformers, static converters"


def test_cli_imports_the_spanish_excel_file(tmp_path: Path) -> None:
    source = _write(tmp_path / "hts.csv", [HEADER, *ROWS], "cp1252")
    table = tmp_path / "us_hts.csv"
    result = runner.invoke(
        app, ["hts", "import", "--file", str(source), "--table", str(table), "--source", "HTS 2026"]
    )
    assert result.exit_code == 0, result.output
    assert "5 HTS lines imported" in result.output
    found = hts_lookup(svc.read_hts_table(table), "8708.99.81.80")
    assert found is not None and found.general_rate == Decimal("0.025")


def test_numbers_a_spreadsheet_changed_are_named_row_by_row(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "hts.csv", [HEADER, "101;0;Horses;;;", "8504,4;1;Static converters:;;;"], "cp1252"
    )
    table = tmp_path / "us_hts.csv"
    result = runner.invoke(
        app, ["hts", "import", "--file", str(source), "--table", str(table), "--source", "HTS 2026"]
    )
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0].startswith("hts.csv:2:htsno: HTS number '101'") and "dropped its leading zero" in lines[0]
    assert lines[1].startswith("hts.csv:3:htsno: HTS number '8504,4'") and "decimal comma" in lines[1]
    assert not table.exists()  # nothing written


def test_a_file_that_is_not_the_export_is_one_line(tmp_path: Path) -> None:
    source = _write(tmp_path / "hts.csv", ["Fraccion|Tasa", "85044099|5"], "cp1252")
    result = runner.invoke(
        app, ["hts", "import", "--file", str(source), "--table", str(tmp_path / "t.csv"), "--source", "x"]
    )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert (
        "no HTS Number / Description / General Rate of Duty column in the header Fraccion|Tasa"
        in result.output
    )


def test_a_file_in_no_known_encoding_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "hts.csv"
    source.write_bytes(HEADER.encode() + b"\r\n8504;0;Bad \x81 byte;;;\r\n")
    result = runner.invoke(
        app, ["hts", "import", "--file", str(source), "--table", str(tmp_path / "t.csv"), "--source", "x"]
    )
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.count("\n") == 1 and "Windows-1252" in result.output
