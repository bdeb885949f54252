"""The reports page and the panel as a new user types into them: a clear answer, never a wrong number.

"1.000,50" is how a Spanish-locale spreadsheet writes one thousand and fifty cents; dropping
its comma used to read it as 1.0005 USD of total sales. It is refused with what to write, as
``immex report annual --total-sales-usd`` refuses it.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import COMPANY_A, log_in

REPORTS = f"/c/{COMPANY_A}/reports"


def test_a_decimal_comma_in_total_sales_is_refused_with_what_to_write(web: TestClient) -> None:
    log_in(web)
    for where in (
        f"{REPORTS}?report=annual&year=2025&format=csv&lang=en&total_sales_usd=1.000,50",
        f"/c/{COMPANY_A}?as_of=2025-12-31&lang=en&total_sales_usd=1.000,50",
    ):
        answer = web.get(where)
        assert answer.status_code == 422, where
        assert 'id="e-total_sales_usd"' in answer.text
    annual = web.get(f"{REPORTS}?report=annual&year=2025&format=csv&lang=en&total_sales_usd=1.000,50")
    assert "write 1000000.50 or 1,000,000.50" in annual.text


def test_thousands_commas_are_read_as_people_write_them(web: TestClient) -> None:
    log_in(web)
    answer = web.get(f"{REPORTS}?report=annual&year=2025&format=csv&total_sales_usd=1,000,000.50")
    assert answer.status_code == 200 and answer.text.startswith("clave_class,")
    assert web.get(f"/c/{COMPANY_A}?as_of=2025-12-31&total_sales_usd=1,000,000.50").status_code == 200


def test_an_empty_ledger_and_an_empty_period_give_empty_reports_not_errors(web: TestClient) -> None:
    """A company with nothing uploaded yet: each report is its header, in every format."""
    log_in(web)
    for fmt in ("csv", "xlsx", "pdf"):
        answer = web.get(f"{REPORTS}?report=anexo24&from=2030-01-01&to=2030-01-31&format={fmt}")
        assert answer.status_code == 200 and answer.content, fmt
    expiring = web.get(f"{REPORTS}?report=expiring&as_of=2030-01-01&days=60&format=csv")
    assert expiring.status_code == 200 and expiring.text.count("\n") == 1  # the header alone
    assert (
        web.get("/c/NOPE010101AAA/reports?report=ivacredit&from=2030-01-01&to=2030-01-31").status_code == 404
    )
