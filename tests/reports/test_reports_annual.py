"""`immex report annual`: the year's exports and the Decreto IMMEX Art. 24 fr. VI commitment."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from immex.core.problems import InputError
from immex.ledger.model import ExportLine
from immex.reports.annual import annual_exports, commitment_thresholds, export_commitment
from tests.reports.report_ledgers import RFC, harness_store, invoke


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return harness_store(tmp_path_factory.mktemp("annual"))


def annual_json(store: str, total: str, year: str = "2025") -> dict[str, object]:
    code, stdout, err = invoke(
        "report", "annual", "--db", store, "--year", year, "--total-sales-usd", total, "--format", "json"
    )
    assert code == 0, err
    data: dict[str, object] = json.loads(stdout)
    return data


def test_two_returns_of_usd_18000_are_18_percent_of_sales_of_100000_and_meet_the_commitment(
    store: str,
) -> None:
    data = annual_json(store, "100000")
    assert list(data)[:4] == ["exports_usd", "total_sales_usd", "export_share_pct", "commitment_met"]
    assert (data["exports_usd"], data["total_sales_usd"], data["export_share_pct"]) == (
        18000.0,
        100000.0,
        18.0,
    )
    assert data["commitment_met"] is True
    assert data["by_class"] == [
        {"class": "return", "counted": True, "lines": 2, "value_usd": 18000.0, "lines_without_value": 0}
    ]
    assert data["company"] == {
        "name": "Arneses del Norte, S.A. de C.V.",
        "rfc": RFC,
        "immex_program": "IMMEX 2006-0042",
    }


def test_the_same_exports_are_under_10_percent_of_sales_of_one_million_and_fail(store: str) -> None:
    data = annual_json(store, "1,000,000")
    assert data["export_share_pct"] == 1.8 and data["commitment_met"] is False


def test_a_year_with_no_exports_does_not_meet_the_commitment_and_says_why(store: str) -> None:
    data = annual_json(store, "5000", year="2024")
    assert (data["exports_usd"], data["export_share_pct"], data["commitment_met"]) == (0.0, 0.0, False)
    assert data["notes"] == ["The ledger has no export counted for the commitment in the year: exports are 0"]


def test_exports_above_the_total_sales_are_a_note_not_an_error(store: str) -> None:
    # A maquila may invoice only its service while its export pedimentos carry the customer's materials.
    data = annual_json(store, "1000")
    notes = data["notes"]
    assert data["commitment_met"] is True and float(str(data["export_share_pct"])) > 100
    assert isinstance(notes, list) and notes[0].startswith("The exports exceed the total sales given")
    code, stdout, _ = invoke("report", "annual", "--db", store, "--year", "2025", "--total-sales-usd", "1000")
    assert code == 0 and "note: The exports exceed the total sales given" in stdout


@pytest.mark.parametrize(
    ("total", "message"),
    [
        ("0", "must be more than 0"),
        ("-5", "must be more than 0"),
        ("lots", "not an amount"),
    ],
)
def test_impossible_total_sales_are_input_errors(store: str, total: str, message: str) -> None:
    code, _, err = invoke("report", "annual", "--db", store, "--year", "2025", "--total-sales-usd", total)
    assert code == 2
    assert message in err


def test_the_text_verdict_and_the_signed_files(store: str, tmp_path: Path) -> None:
    code, stdout, err = invoke(
        "report", "annual", "--db", store, "--year", "2025", "--total-sales-usd", "100000",
        "--output", str(tmp_path / "annual.pdf"),
    )  # fmt: skip
    assert code == 0, err
    assert "export commitment met" in stdout and "Art. 24 fr. VI" in stdout
    text = PdfReader(tmp_path / "annual.pdf").pages[0].extract_text()
    assert "Reporte anual: compromiso de exportación" in text and RFC in text
    assert "Compromiso de exportación cumplido: sí" in text
    xlsx = tmp_path / "annual.xlsx"
    assert (
        invoke(
            "report",
            "annual",
            "--db",
            store,
            "--year",
            "2025",
            "--total-sales-usd",
            "100000",
            "--output",
            str(xlsx),
        )[0]
        == 0
    )
    values = [c for row in load_workbook(xlsx).worksheets[0].iter_rows(values_only=True) for c in row]
    assert "Periodo" in values and "2025-01-01 – 2025-12-31" in values


def line(clave: str, value: str | None, pedimento: str = "250000000000001") -> ExportLine:
    unit = None if value is None else Decimal(value)
    return ExportLine(pedimento, 1, "P", clave, dt.date(2025, 6, 1), Decimal(1), unit_value_usd=unit)


def test_a_definitive_export_counts_a_change_of_regime_does_not_and_a_line_without_value_is_named() -> None:
    lines = [line("RT", "100"), line("A1", "50"), line("F4", "1000"), line("V1", None, "250000000000009")]
    exports = annual_exports(lines, 2025)
    assert exports.exports_usd == Decimal("150.00")
    assert {t.clave_class: t.counted for t in exports.by_class} == {
        "return": True,
        "not_discharging": True,
        "change_of_regime": False,
    }
    assert [e.pedimento for e in exports.without_value] == ["250000000000009"]


@pytest.mark.parametrize(
    ("exports", "total", "met"),
    [
        ("500000", "10000000", True),  # exactly US$500,000 (5 %)
        ("499999.99", "10000000", False),
        ("100000", "1000000", True),  # exactly 10 %
        ("99999.99", "1000000", False),
    ],
)
def test_both_thresholds_are_inclusive(exports: str, total: str, met: bool) -> None:
    assert export_commitment(Decimal(exports), Decimal(total), 2025).commitment_met is met


def test_the_thresholds_are_cited_data_in_force_since_the_decreto() -> None:
    period = commitment_thresholds().period_on(dt.date(2025, 12, 31))
    assert period.value.minimum_exports_usd == Decimal(500000)
    assert "Art. 24" in period.reference
    with pytest.raises(Exception, match="no value in force"):
        commitment_thresholds().on(dt.date(2000, 1, 1))
    with pytest.raises(InputError):
        export_commitment(Decimal(1), Decimal(0), 2025)
