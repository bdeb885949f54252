"""Files as plants really save them: encodings, separators, sheet names, units, and what the CLI prints."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from immex.cli import app
from immex.ledger.read import read_ledger

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "ledger"
runner = CliRunner()


def _example(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    shutil.copytree(EXAMPLE, folder)
    return folder


def _discharge(folder: Path, out: Path) -> tuple[int, str]:
    result = runner.invoke(
        app, ["discharge", "--input", str(folder), "--output", str(out), "--as-of", "2026-06-30"]
    )
    return result.exit_code, result.output


def _outputs(out: Path) -> dict[str, str]:
    return {name: (out / name).read_text(encoding="utf-8") for name in ("allocations.csv", "balances.csv")}


@pytest.mark.parametrize(
    ("codec", "separator", "recorded"),
    [
        ("cp1252", ",", "cp1252"),
        ("utf-8-sig", ",", "utf-8"),
        ("utf-16", ",", "utf-16"),
        ("utf-8", ";", "utf-8"),
    ],
)
def test_excel_encodings_and_separators_give_the_same_run(
    tmp_path: Path, codec: str, separator: str, recorded: str
) -> None:
    plain = _example(tmp_path)
    assert _discharge(plain, tmp_path / "plain")[0] == 0
    saved = tmp_path / "saved"
    shutil.copytree(plain, saved)
    for path in saved.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        if separator == ";":
            rows = list(csv.reader(text.splitlines()))
            text = "".join(";".join(row) + "\n" for row in rows)
        path.write_bytes(text.encode(codec))
    code, output = _discharge(saved, tmp_path / "out")
    assert code == 0, output
    assert _outputs(tmp_path / "out") == _outputs(tmp_path / "plain")
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["encodings"]["parts.csv"] == recorded


def test_accented_text_in_windows_1252_is_read_as_written(tmp_path: Path) -> None:
    folder = _example(tmp_path)
    parts = folder / "parts.csv"
    parts.write_bytes(parts.read_text(encoding="utf-8").encode("cp1252"))
    staged = read_ledger(folder)
    assert staged.ledger is not None
    assert staged.ledger.parts["ARN-500"].description == "Arnés eléctrico 500"
    assert staged.encodings["parts.csv"] == "cp1252"


@pytest.mark.parametrize(
    ("garbage", "expected"),
    [
        (b"RES-200,KG,raw\x00\n", "NUL byte at byte offset"),
        (b"RES-200,KG,r\x81w\n", "undefined byte 0x81 at byte offset"),
    ],
)
def test_a_file_in_no_known_encoding_is_exit_2_with_the_byte_offset(
    tmp_path: Path, garbage: bytes, expected: str
) -> None:
    folder = _example(tmp_path)
    size = (folder / "parts.csv").stat().st_size
    with (folder / "parts.csv").open("ab") as handle:
        handle.write(garbage)
    code, output = _discharge(folder, tmp_path / "out")
    assert code == 2, output
    errors = (tmp_path / "out" / "errors.csv").read_text(encoding="utf-8")
    assert errors.startswith("file,row,column,message\nparts.csv,,,")
    assert expected in errors
    bad = next(i for i, byte in enumerate(garbage) if byte in (0, 0x81))
    assert f"byte offset {size + bad}" in errors
    assert "Traceback" not in output


def test_a_header_of_a_million_columns_is_refused_before_it_is_read(tmp_path: Path) -> None:
    folder = _example(tmp_path)
    (folder / "imports.csv").write_text(",".join(f"c{i}" for i in range(100_000)) + "\n", encoding="utf-8")
    code, _ = _discharge(folder, tmp_path / "out")
    assert code == 2
    assert "at most 1000 are read" in (tmp_path / "out" / "errors.csv").read_text(encoding="utf-8")


def test_file_names_and_units_ignore_case(tmp_path: Path) -> None:
    folder = _example(tmp_path)
    (folder / "imports.csv").rename(folder / "Imports.CSV")
    imports = folder / "Imports.CSV"
    imports.write_text(imports.read_text(encoding="utf-8").replace(",KG,", ",kg,"), encoding="utf-8")
    staged = read_ledger(folder)
    assert staged.problems == []
    assert staged.ledger is not None and len(staged.ledger.imports) == 4


def test_two_files_for_one_table_are_refused(tmp_path: Path) -> None:
    folder = _example(tmp_path)
    shutil.copy(folder / "imports.csv", folder / "IMPORTS.csv")
    problems = read_ledger(folder).problems
    assert [p.message for p in problems] == ["IMPORTS.csv and imports.csv are both imports.csv: keep one"]


def _workbook(folder: Path, path: Path) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    for csv_path in sorted(folder.glob("*.csv")):
        sheet = book.create_sheet(csv_path.stem)
        for row in csv.reader(csv_path.read_text(encoding="utf-8").splitlines()):
            sheet.append(row)
    book.save(path)
    return book


def test_a_missing_sheet_is_named_as_a_sheet(tmp_path: Path) -> None:
    folder = _example(tmp_path)
    (folder / "bom.csv").unlink()
    _workbook(folder, tmp_path / "ledger.xlsx")
    problems = read_ledger(tmp_path / "ledger.xlsx").problems
    assert [(p.file, p.message) for p in problems] == [("ledger.xlsx", "required sheet 'bom' is missing")]


def test_hidden_and_duplicate_sheets_are_input_errors(tmp_path: Path) -> None:
    folder = _example(tmp_path)
    book = _workbook(folder, tmp_path / "ledger.xlsx")
    hidden = book.copy_worksheet(book["imports"])
    hidden.title = "Imports "
    hidden.sheet_state = "hidden"
    book.save(tmp_path / "ledger.xlsx")
    messages = [p.message for p in read_ledger(tmp_path / "ledger.xlsx").problems]
    assert "sheet 'Imports ' is hidden: unhide it or delete it" in messages
    assert "sheets 'imports' and 'Imports ' are both the imports.csv table" in messages


def test_a_formula_cell_is_refused(tmp_path: Path) -> None:
    folder = _example(tmp_path)
    book = _workbook(folder, tmp_path / "ledger.xlsx")
    book["imports"]["F2"] = "=1000+200"
    book.save(tmp_path / "ledger.xlsx")
    (problem,) = read_ledger(tmp_path / "ledger.xlsx").problems
    assert (problem.file, problem.row, problem.column) == ("ledger.xlsx:imports", 2, "qty")
    assert "is a formula (=1000+200)" in problem.message


def test_the_discharge_says_what_it_did_in_words(tmp_path: Path) -> None:
    code, output = _discharge(_example(tmp_path), tmp_path / "out")
    assert code == 0
    assert output.strip().endswith(
        "5 allocations, 1 shortfall, 4 import lines (2 discharged, 2 open) → " + str(tmp_path / "out")
    )
    assert "{" not in output


def test_reports_on_a_pipe_show_every_pedimento_whole(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "shortfalls", "--input", str(_example(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "# shortfalls (1 row)"
    assert "254734566000034,1,ARN-500,TORN-M6,1300" in result.output
    assert "…" not in result.output
