"""Report, template and store options as a new user or an auditor types them: one clear line, never a
traceback, nothing written when the answer is an error."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from immex.core.problems import InputError
from immex.reports import service as reports
from tests.reports.report_ledgers import FIRST_IMPORT, harness_folder, harness_store, invoke


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return harness_store(tmp_path_factory.mktemp("messy"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return harness_folder(tmp_path_factory.mktemp("messy-in") / "in")


def one_problem(err: str, column: str) -> str:
    """The single problem line of ``err`` (CSV: file,row,column,message), checked to name ``column``."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0] == "file,row,column,message", err
    assert len(lines) == 2, err
    assert lines[1].startswith(f",,{column},"), err
    return lines[1]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite:/plant.db", "is not a database URL"),  # one slash: SQLAlchemy cannot parse it
        ("plant.db", "is not a database URL"),  # a bare path
        ("sqllite:///plant.db", "is not a database URL"),  # a typo in the scheme
        ("mysql://user@host/plant", "not mysql"),  # a real database immex does not keep
        ("sqlite://plant.db", "names a host"),  # two slashes: "plant.db" is read as a host
    ],
)
def test_a_mistyped_db_url_is_one_input_error_naming_db(tmp_path: Path, url: str, reason: str) -> None:
    for command in (["report", "runs"], ["report", "balances"], ["report", "annual", "--year", "2025",
                    "--total-sales-usd", "1"], ["report", "ivacredit", "--from", "2025-01-01", "--to",
                    "2025-01-31"]):  # fmt: skip
        code, out, err = invoke(*command, "--db", url)
        assert code == 2, (command, err)
        assert reason in one_problem(err, "db")
        assert "Traceback" not in out + err
    assert list(tmp_path.iterdir()) == []  # nothing created


@pytest.mark.parametrize("name", ["report.docx", "report", "report.txt", "report.xls"])
def test_an_output_that_is_not_csv_xlsx_or_pdf_is_refused_before_any_work(
    folder: Path, tmp_path: Path, name: str
) -> None:
    out = tmp_path / name
    code, _, err = invoke("report", "shortfalls", "--input", str(folder), "--output", str(out))
    assert code == 2
    assert "FILE.csv, FILE.xlsx or FILE.pdf" in one_problem(err, "output")
    assert not out.exists()


def test_output_extensions_are_read_in_any_case(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "Balances.XLSX"
    code, _, err = invoke(
        "report", "balances", "--input", str(folder), "--output", str(out), "--as-of", "2025-06-30"
    )
    assert code == 0, err
    assert out.read_bytes()[:2] == b"PK"  # a workbook, not a CSV under an xlsx name


def test_the_annual_report_refuses_an_unknown_output_before_reading_the_store(
    store: str, tmp_path: Path
) -> None:
    out = tmp_path / "annual.docx"
    code, _, err = invoke(
        "report",
        "annual",
        "--year",
        "2025",
        "--total-sales-usd",
        "100000",
        "--db",
        store,
        "--output",
        str(out),
    )
    assert code == 2
    one_problem(err, "output")
    assert not out.exists()


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", max_size=5))
def test_check_output_accepts_exactly_csv_xlsx_and_pdf(suffix: str) -> None:
    path = Path(f"report.{suffix}") if suffix else Path("report")
    known = path.suffix.lower() in (".csv", ".xlsx", ".pdf")
    try:
        reports.check_output(path)
        accepted = True
    except InputError:
        accepted = False
    assert accepted is known


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["report", "expiring", "--days", "-5"], "--days"),  # "within -5 days" listed some overdue lots
        (["report", "trace-import", FIRST_IMPORT, "--line", "0"], "--line"),
        (["report", "trace-export", FIRST_IMPORT, "--line", "-1"], "--line"),
        (["report", "balances", "--rows", "-1"], "--rows"),  # rows[:-1] hid the last row
    ],
)
def test_negative_days_partida_zero_and_negative_rows_are_refused(
    folder: Path, args: list[str], option: str
) -> None:
    code, out, err = invoke(*args, "--input", str(folder))
    assert code == 2
    assert option in err
    assert "Traceback" not in out + err


def test_days_far_beyond_any_deadline_list_every_open_lot_with_a_deadline(folder: Path) -> None:
    code, out, err = invoke(
        "report", "expiring", "--days", "99999999999", "--input", str(folder), "--as-of", "2025-06-30"
    )
    assert code == 0, err
    assert out.startswith("# expiring within 99999999999 days (1 row)")  # 1,200 m of the second lot


def test_a_report_from_an_input_folder_with_a_windows_1252_semicolon_csv_equals_the_utf8_one(
    folder: Path, tmp_path: Path
) -> None:
    """Excel on a Spanish Windows saves "CSV" as Windows-1252 with ';' and a BOM-less header."""
    excel = tmp_path / "excel"
    excel.mkdir()
    for source in folder.glob("*.csv"):
        text = source.read_text(encoding="utf-8")
        (excel / source.name).write_bytes(text.replace(",", ";").replace("\n", "\r\n").encode("cp1252"))
    args = ("report", "balances", "--as-of", "2025-06-30")
    plain, excel_run = invoke(*args, "--input", str(folder)), invoke(*args, "--input", str(excel))
    assert excel_run[0] == 0, excel_run[2]
    assert excel_run[1] == plain[1]


def test_a_bom_input_folder_reads_like_the_plain_one(folder: Path, tmp_path: Path) -> None:
    bom = tmp_path / "bom"
    bom.mkdir()
    for source in folder.glob("*.csv"):
        (bom / source.name).write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    args = ("report", "aging", "--as-of", "2025-06-30")
    assert invoke(*args, "--input", str(bom))[1] == invoke(*args, "--input", str(folder))[1]


# Templates: the user's config folder, broken in the ways a real one is.


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMMEX_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config" / "report-templates.json"


def test_a_templates_file_of_a_newer_version_is_refused_and_left_as_it_was(config: Path) -> None:
    config.parent.mkdir()
    newer = json.dumps({"version": 2, "templates": {"x": {"columns": ["movement"], "layout": "v2"}}})
    config.write_text(newer, encoding="utf-8")
    for args in (["list"], ["save", "mine", "--columns", "movement"], ["show", "x"], ["delete", "x"]):
        code, _, err = invoke("report", "template", *args)
        assert code == 2, args
        assert "newer immex (file version 2" in err
    assert config.read_text(encoding="utf-8") == newer


def test_a_templates_file_without_version_is_read_as_version_1(config: Path) -> None:
    config.parent.mkdir()
    config.write_text(json.dumps({"templates": {"old": {"columns": ["movement", "qty"]}}}), encoding="utf-8")
    code, out, err = invoke("report", "template", "show", "old")
    assert (code, out) == (0, "movement\nqty\n"), err


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", '{"version": "uno", "templates": {}}', "\ufffe{"])
def test_a_corrupted_or_empty_templates_file_is_one_input_error_naming_it(config: Path, text: str) -> None:
    config.parent.mkdir()
    config.write_text(text, encoding="utf-8")
    code, out, err = invoke("report", "template", "save", "mine", "--columns", "movement")
    assert code == 2
    assert err.splitlines()[1].startswith(f"{config},,file,")
    assert "Traceback" not in out + err
    assert config.read_text(encoding="utf-8") == text


def test_a_templates_path_that_is_a_folder_is_one_line_and_exit_1(config: Path) -> None:
    config.mkdir(parents=True)
    for args in (["list"], ["save", "mine", "--columns", "movement"]):
        code, out, err = invoke("report", "template", *args)
        assert code == 1
        assert err.strip() == f"cannot read {config}: is a directory; fix it or set IMMEX_CONFIG_DIR"
        assert "Traceback" not in out


def test_an_unwritable_config_dir_is_one_line_and_exit_1(config: Path) -> None:
    config.parent.parent.joinpath("config").write_text("a file where the folder should be", encoding="utf-8")
    code, out, err = invoke("report", "template", "save", "mine", "--columns", "movement")
    assert code == 1
    assert err.startswith("cannot ")
    assert "Traceback" not in out + err


def test_a_template_name_keeps_its_accents_however_they_were_typed(config: Path) -> None:
    composed, decomposed = "año-2025", unicodedata.normalize("NFD", "año-2025")
    assert composed != decomposed
    assert invoke("report", "template", "save", decomposed, "--columns", "movement,date")[0] == 0
    code, out, _ = invoke("report", "template", "show", composed)
    assert (code, out) == (0, "movement\ndate\n")
    assert "año-2025" in json.loads(config.read_text(encoding="utf-8"))["templates"]
    assert invoke("report", "template", "delete", decomposed)[0] == 0


@pytest.mark.parametrize("name", ["mi plantilla", "a/b", "../x", ".x", "_x", ""])
def test_template_names_with_spaces_slashes_or_a_leading_mark_are_refused(config: Path, name: str) -> None:
    code, _, err = invoke("report", "template", "save", name, "--columns", "movement")
    assert code == 2
    assert "no spaces or slashes" in one_problem(err, "name")
    assert not config.exists()


# immex company set: the header block of every signed report comes from it.


def test_a_blank_company_name_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    code, _, err = invoke("company", "set", "--name", "  \n", "--rfc", "DMA010101AB7", "--db", url)
    assert code == 2
    assert "razón social" in one_problem(err, "name")
    assert not (tmp_path / "plant.db").exists()


def test_company_set_refuses_a_mistyped_db_without_creating_anything(tmp_path: Path) -> None:
    code, _, err = invoke(
        "company", "set", "--name", "X", "--rfc", "DMA010101AB7", "--db", str(tmp_path / "p.db")
    )
    assert code == 2
    one_problem(err, "db")
    assert list(tmp_path.iterdir()) == []


def test_a_profile_pasted_with_stray_spaces_is_stored_clean(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'plant.db'}"
    code, out, err = invoke(
        "company", "set", "--name", " Arneses  del Norte,\n S.A. de C.V. ", "--rfc", " dma010101ab7 ",
        "--modality", " Industrial", "--certification", " aa", "--program", " IMMEX 2006-0042 ", "--db", url,
    )  # fmt: skip
    assert code == 0, err
    assert "company Arneses del Norte, S.A. de C.V. (RFC DMA010101AB7) stored" in out
    with create_engine(url).connect() as connection:
        row = connection.execute(
            text("SELECT name, rfc, modality, certification, immex_program FROM company")
        )
        assert list(row) == [
            ("Arneses del Norte, S.A. de C.V.", "DMA010101AB7", "industrial", "AA", "IMMEX 2006-0042")
        ]


# A store whose only run was reversed shows every lot whole and no shortfall: true, and easy to misread.


@pytest.fixture(scope="module")
def reversed_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = harness_store(tmp_path_factory.mktemp("reversed"))
    code, _, err = invoke("run", "reverse", "1", "--reason", "wrong BOM", "--db", url)
    assert code == 0, err
    return url


NO_RUN = "note: the store has no active discharge run"


@pytest.mark.parametrize(
    "args",
    [
        ["report", "balances", "--as-of", "2025-06-30"],
        ["report", "shortfalls"],
        ["report", "anexo24", "--from", "2025-01-01", "--to", "2025-06-30"],
        ["report", "ivacredit", "--from", "2025-01-01", "--to", "2025-06-30"],
    ],
)
def test_a_store_whose_last_run_was_reversed_says_nothing_counts_as_discharged(
    reversed_store: str, args: list[str]
) -> None:
    code, _, err = invoke(*args, "--db", reversed_store)
    assert code == 0, err
    assert err.startswith(NO_RUN)


def test_the_balances_of_a_reversed_store_discharge_nothing_and_its_file_says_so(
    reversed_store: str, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    code, out, _ = invoke("report", "balances", "--as-of", "2025-06-30", "--db", reversed_store)
    assert code == 0
    lines = out.splitlines()[2:]
    assert [line.split(",")[4] for line in lines] == ["0", "0"]  # qty_discharged of both lots
    xlsx = tmp_path / "balances.xlsx"
    invoke(
        "report",
        "balances",
        "--as-of",
        "2025-06-30",
        "--db",
        reversed_store,
        "--output",
        str(xlsx),
        "--lang",
        "en",
    )
    block = {
        row[0]: row[1] for row in load_workbook(xlsx).worksheets[0].iter_rows(max_row=9, values_only=True)
    }
    assert block["Discharge run"] == "none: nothing discharged (no run yet, or the last one was reversed)"


def test_a_store_with_an_active_run_has_no_such_note(store: str) -> None:
    code, _, err = invoke("report", "shortfalls", "--db", store)
    assert code == 0
    assert NO_RUN not in err


def test_aging_as_of_before_a_lots_clearance_does_not_call_it_0_to_90_days_old(folder: Path) -> None:
    """--as-of is not a cut-off: a lot cleared after it is listed, with a negative age and its own bucket."""
    code, out, err = invoke("report", "aging", "--as-of", "1990-01-01", "--input", str(folder))
    assert code == 0, err
    rows = [line.split(",") for line in out.splitlines()[2:]]
    assert rows and all(int(row[5]) < 0 and row[6] == "cleared after as-of" for row in rows)


def test_a_workbook_saved_by_excel_reads_like_the_folder(folder: Path, tmp_path: Path) -> None:
    """Dates as date cells, numbers as numbers, an extra column, a hidden and an empty sheet."""
    import csv
    import datetime as dt

    from openpyxl import Workbook

    def cell(text: str) -> object:
        try:
            return dt.datetime.fromisoformat(text) if len(text) == 10 and text[4] == "-" else float(text)
        except ValueError:
            return text

    book = Workbook()
    book.remove(book.active)
    for source in sorted(folder.glob("*.csv")):
        sheet = book.create_sheet(source.stem)
        header, *rows = list(csv.reader(source.open(encoding="utf-8")))
        sheet.append([*header, "notas"])
        for row in rows:
            sheet.append([*(cell(value) if name not in ("pedimento", "hs") else value
                            for name, value in zip(header, row, strict=True)), "revisado"])  # fmt: skip
    book.create_sheet("notas").sheet_state = "hidden"
    book.create_sheet("vacía")
    workbook = tmp_path / "ledger.xlsx"
    book.save(workbook)
    args = ("report", "balances", "--as-of", "2025-06-30")
    from_book, from_folder = invoke(*args, "--input", str(workbook)), invoke(*args, "--input", str(folder))
    assert from_book[0] == 0, from_book[2]
    assert from_book[1] == from_folder[1]


@pytest.mark.parametrize("total", ["1.000,50", "1.000.000,50", "1,00", "1e6", "USD 5"])
def test_total_sales_with_a_decimal_comma_are_refused_not_read_as_another_amount(
    store: str, total: str
) -> None:
    """'1.000,50' used to become 1.00050 (its comma dropped): a verdict on the wrong total."""
    code, _, err = invoke("report", "annual", "--db", store, "--year", "2025", "--total-sales-usd", total)
    assert code == 2
    assert "write 1000000.50 or 1,000,000.50" in one_problem(err, "total_sales_usd")


@pytest.mark.parametrize(("total", "read"), [("1,000,000.50", "1000000.50"), (" 2,500.5 ", "2500.5")])
def test_total_sales_with_thousands_commas_are_read(store: str, total: str, read: str) -> None:
    code, out, err = invoke(
        "report", "annual", "--db", store, "--year", "2025", "--total-sales-usd", total, "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out, parse_float=Decimal)["total_sales_usd"] == Decimal(read)


@pytest.mark.parametrize("year", ["0", "99999", "-2025"])
def test_a_year_out_of_range_is_refused_as_an_option(store: str, year: str) -> None:
    code, out, err = invoke("report", "annual", "--db", store, "--year", year, "--total-sales-usd", "5")
    assert code == 2
    assert "--year" in err
    assert "Traceback" not in out + err


def test_a_profile_without_program_says_the_program_is_missing_not_the_profile(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    url = harness_store(tmp_path, certification=None)
    assert (
        invoke("company", "set", "--name", "Arneses del Norte", "--rfc", "DMA010101AB7", "--db", url)[0] == 0
    )
    xlsx = tmp_path / "runs.xlsx"
    assert invoke("report", "runs", "--db", url, "--output", str(xlsx), "--lang", "en")[0] == 0
    block = {
        row[0]: row[1] for row in load_workbook(xlsx).worksheets[0].iter_rows(max_row=8, values_only=True)
    }
    assert block["Company"] == "Arneses del Norte"
    assert block["IMMEX program"] == "(not given: immex company set --program)"
