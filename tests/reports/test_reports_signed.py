"""Every report file a person signs says whose it is and as of when (STYLE pattern 9)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from immex.reports import service as reports
from immex.reports.anexo24 import anexo24_report
from immex.reports.annual_service import ANNUAL_HEADER
from immex.reports.ivacredit import IVACREDIT_HEADER
from immex.reports.labels import block_text, column, known_columns, parse_lang
from immex.reports.templates import ANEXO24_COLUMNS, default_template
from tests.reports.report_ledgers import FIRST_IMPORT, RFC, harness_folder, harness_store, invoke


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return harness_store(tmp_path_factory.mktemp("signed"))


def block(path: Path) -> dict[str, object]:
    """The header block of the first sheet: label → value, up to the first empty row."""
    sheet = load_workbook(path).worksheets[0]
    found: dict[str, object] = {}
    for label, value, *_ in sheet.iter_rows(values_only=True):
        if label is None:
            break
        found[str(label)] = value
    return found


def test_an_xlsx_report_opens_with_company_rfc_as_of_run_and_fingerprint(store: str, tmp_path: Path) -> None:
    out = tmp_path / "balances.xlsx"
    code, _, err = invoke("report", "balances", "--db", store, "--as-of", "2025-06-30", "--output", str(out))
    assert code == 0, err
    header = block(out)
    assert header["Reporte"] == "Saldos por pedimento y partida"
    assert header["Empresa"] == "Arneses del Norte, S.A. de C.V."
    assert header["RFC"] == RFC
    assert header["Programa IMMEX"] == "IMMEX 2006-0042"
    assert header["Fecha de corte"] == "2025-06-30"
    assert header["Corrida de descargo"] == "1"
    assert len(str(header["Huella de la entrada (SHA-256)"])) == 64
    assert str(header["Generado"]).endswith(" UTC")


def test_xlsx_headings_are_spanish_numbers_stay_numbers_with_formats_and_pedimentos_are_spaced(
    store: str, tmp_path: Path
) -> None:
    out = tmp_path / "balances.xlsx"
    assert invoke("report", "balances", "--db", store, "--as-of", "2025-06-30", "--output", str(out))[0] == 0
    sheet = load_workbook(out).worksheets[0]
    first = 1 + len(block(out)) + 1  # the block, a blank row, then the headings
    headings = [c.value for c in sheet[first]]
    assert headings[:3] == ["Pedimento de importación", "Partida de importación", "Número de parte"]
    data = sheet[first + 1]
    assert data[0].value == "25 47 3456 5000001"
    assert data[3].value == 1000 and data[3].number_format == "#,##0.000###"  # qty_imported, a number
    assert data[1].number_format == "0"  # a partida has no thousands separator
    assert sheet.freeze_panes == f"A{first + 1}"
    assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith(f"A{first}:")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_english_headings_with_lang_en(store: str, tmp_path: Path) -> None:
    out = tmp_path / "aging.xlsx"
    code, _, err = invoke(
        "report", "aging", "--db", store, "--as-of", "2025-06-30", "--output", str(out), "--lang", "en"
    )
    assert code == 0, err
    header = block(out)
    assert header["Company"] == "Arneses del Norte, S.A. de C.V." and header["As of"] == "2025-06-30"


def test_an_unknown_language_is_an_input_error(store: str, tmp_path: Path) -> None:
    code, _, err = invoke(
        "report", "balances", "--db", store, "--output", str(tmp_path / "b.xlsx"), "--lang", "fr"
    )
    assert code == 2
    assert "'fr' is not a language of the reports: use es or en" in err
    assert not (tmp_path / "b.xlsx").exists()


def test_csv_stays_raw_one_header_row_of_keys_and_plain_decimals(store: str, tmp_path: Path) -> None:
    out = tmp_path / "balances.csv"
    assert invoke("report", "balances", "--db", store, "--as-of", "2025-06-30", "--output", str(out))[0] == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][:3] == ["import_pedimento", "import_line", "part"]
    assert rows[1][:6] == [FIRST_IMPORT, "1", "WIRE", "1000", "1000", "0"]


def test_a_folder_discharged_in_memory_says_so_and_has_no_profile(tmp_path: Path) -> None:
    out = tmp_path / "shortfalls.xlsx"
    code, _, err = invoke(
        "report", "shortfalls", "--input", str(harness_folder(tmp_path / "in")), "--output", str(out)
    )
    assert code == 0, err
    header = block(out)
    assert header["Corrida de descargo"] == block_text("in_memory", "es")
    assert header["RFC"] == block_text("not_set", "es")


def test_runs_report_is_signed_too(store: str, tmp_path: Path) -> None:
    out = tmp_path / "runs.xlsx"
    assert invoke("report", "runs", "--db", store, "--output", str(out))[0] == 0
    assert block(out)["RFC"] == RFC


def test_the_anexo24_pdf_carries_the_header_block_and_signature_lines(store: str, tmp_path: Path) -> None:
    out = tmp_path / "anexo24.pdf"
    code, _, err = invoke(
        "report", "anexo24", "--db", store, "--from", "2025-01-01", "--to", "2025-03-31", "--output", str(out)
    )
    assert code == 0, err
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Control de inventarios (Anexo 24 RGCE)" in text
    assert RFC in text and "2025-01-01 - 2025-03-31" in text
    assert "25 47 3456 5000001" in text and "1,000.000" in text
    assert "Revisó (auditor)" in text


def test_every_column_of_every_report_has_a_heading_in_both_languages() -> None:
    from immex.discharge.outputs import BALANCE_HEADER, SHORTFALL_HEADER

    headers = [
        BALANCE_HEADER,
        SHORTFALL_HEADER,
        reports.AGING_HEADER,
        reports.EXPIRING_HEADER,
        reports.TRACE_EXPORT_HEADER,
        reports.TRACE_IMPORT_HEADER,
        reports.RUNS_HEADER,
        ANNUAL_HEADER,
        IVACREDIT_HEADER,
        ANEXO24_COLUMNS,
    ]
    missing = sorted({key for header in headers for key in header} - known_columns())
    assert missing == []
    assert column("qty").label("es") == "Cantidad" and column("qty").label("en") == "Quantity"
    assert parse_lang(" EN ") == "en"


def test_the_default_anexo24_template_comes_from_the_rules_data() -> None:
    template = default_template()
    assert template.builtin and template.columns[:3] == ("movement", "date", "pedimento")
    assert set(template.columns) <= set(ANEXO24_COLUMNS)


def test_an_empty_period_gives_an_empty_table_not_an_error(tmp_path: Path) -> None:
    from immex.ledger.read import read_ledger

    staged = read_ledger(harness_folder(tmp_path / "in"))
    assert staged.ledger is not None
    from immex.discharge.service import compute

    result = compute(staged.ledger, "fifo")
    report = anexo24_report(
        staged.ledger, result, dt.date(2020, 1, 1), dt.date(2020, 12, 31), default_template()
    )
    assert report.rows == []


def test_the_reports_for_the_authority_read_the_same_on_sqlite_and_postgresql(
    db_url: str, tmp_path: Path
) -> None:
    store = harness_store(tmp_path, url=db_url)
    anexo = tmp_path / "anexo24.csv"
    code, _, err = invoke(
        "report",
        "anexo24",
        "--db",
        store,
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--output",
        str(anexo),
    )
    assert code == 0, err
    with anexo.open(encoding="utf-8") as handle:
        movements = [(r["movement"], r["qty"] or r["qty_remaining"]) for r in csv.DictReader(handle)]
    assert movements == [
        ("import", "1000"),
        ("import", "2000"),
        ("return", "100"),
        ("discharge", "1000"),
        ("discharge", "200"),
        ("return", "50"),
        ("discharge", "600"),
        ("balance", "0"),
        ("balance", "1200"),
    ]
    code, stdout, err = invoke(
        "report", "annual", "--db", store, "--year", "2025", "--total-sales-usd", "90000", "--format", "json"
    )
    assert code == 0, err
    assert '"export_share_pct": 20.0' in stdout
    iva = tmp_path / "iva.csv"
    code, _, err = invoke(
        "report",
        "ivacredit",
        "--db",
        store,
        "--from",
        "2025-04-01",
        "--to",
        "2025-04-30",
        "--output",
        str(iva),
    )
    assert code == 0, err
    with iva.open(encoding="utf-8") as handle:
        (april,) = list(csv.DictReader(handle))
    assert (april["iva_cancelled"], april["iva_balance"]) == ("52.8", "105.6")


@pytest.mark.parametrize(
    ("args", "dated"),
    [
        (("balances", "--as-of", "2025-06-30"), "Fecha de corte"),
        (("aging", "--as-of", "2025-06-30"), "Fecha de corte"),
        (("expiring", "--days", "900", "--as-of", "2025-06-30"), "Fecha de corte"),
        (("trace-export", "25 47 3456 6000001"), None),
        (("trace-import", "25 47 3456 5000002"), None),
        (("shortfalls",), None),
        (("runs",), None),
        (("anexo24", "--from", "2025-01-01", "--to", "2025-06-30"), "Periodo"),
        (("ivacredit", "--from", "2025-01-01", "--to", "2025-06-30"), "Periodo"),
    ],
)
def test_every_report_file_carries_the_header_block(
    store: str, tmp_path: Path, args: tuple[str, ...], dated: str | None
) -> None:
    out = tmp_path / "report.xlsx"
    code, _, err = invoke("report", *args, "--db", store, "--output", str(out))
    assert code == 0, err
    header = block(out)
    assert header["RFC"] == RFC and header["Corrida de descargo"] == "1"
    assert dated is None or dated in header


def test_a_long_pdf_repeats_the_headings_on_every_page_and_keeps_every_row(tmp_path: Path) -> None:
    from decimal import Decimal

    from immex.reports.pdf import write_pdf
    from immex.reports.signing import Signature, Source

    rows = [(f"2547345650{i:05d}", 1, f"PART-{i}", Decimal(i) + Decimal("0.5"), None) for i in range(400)]
    header = ("import_pedimento", "import_line", "part", "qty_remaining", "deadline")
    out = tmp_path / "long.pdf"
    write_pdf(out, Signature("balances", Source(rfc=RFC, company="X")), header, rows, "en")
    pages = [page.extract_text() for page in PdfReader(out).pages]
    assert len(pages) > 3
    assert all(
        "Import pedimento" in text for text in pages if "PART-" in text
    )  # headings on every table page
    text = "\n".join(pages)
    assert "25 47 3456 5000000" in text and "25 47 3456 5000399" in text and "399.500" in text
