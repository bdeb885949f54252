"""The IVA/IEPS credit ledger on the reports page: the same file as ``immex report ivacredit``.

The worked example of ``tests/reports/report_ledgers.py``: 1,000 m of wire at USD 0.50 and
2,000 m at USD 0.55 imported, harnesses of 12 m returned in March and April. Without a Data
Stage or an exchange rate the credit is estimated in USD: 16 % of USD 500 = 80 on the first
lot, cancelled whole in March.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.orm import Session

from immex.ledger.orm import Company
from tests.api.ledgers import multipart
from tests.reports.report_ledgers import FIRST_IMPORT, SECOND_IMPORT, harness_folder, harness_store, invoke
from tests.web.conftest import COMPANY_A, COMPANY_B, csrf_of, log_in

PAGE = f"/c/{COMPANY_A}/reports"
MARCH = f"{PAGE}?report=ivacredit&from=2025-01-01&to=2025-05-31"


def _discharged(web: TestClient, folder: Path) -> None:
    """Upload the ledger and run the discharge through the pages, as a user would."""
    token = csrf_of(web.get(f"/c/{COMPANY_A}/ledger").text)
    assert (
        web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": token}, files=multipart(folder)).status_code == 201
    )
    data = {"csrf": token, "method": "fifo", "as_of": "2025-06-30"}
    started = web.post(f"/c/{COMPANY_A}/runs", data=data, follow_redirects=False)
    job = started.headers["location"].rsplit("job=", 1)[1]
    for _ in range(600):
        if 'data-status="done"' in web.get(f"/jobs/{job}").text:
            return
        time.sleep(0.05)
    raise AssertionError("the discharge did not finish")


def _certify(web: TestClient, rfc: str, certification: str) -> None:
    engine = web.app.state.store.engine  # type: ignore[attr-defined]
    with Session(engine) as session, session.begin():
        session.execute(update(Company).where(Company.rfc == rfc).values(certification=certification))


def test_the_page_offers_the_credit_ledger_in_spanish_and_english(web: TestClient) -> None:
    log_in(web)
    assert 'id="ivacredit"' in web.get(PAGE).text
    assert "Crédito fiscal de IVA e IEPS" in web.get(PAGE).text
    assert "IVA and IEPS credit" in web.get(f"{PAGE}?lang=en").text


def test_an_uncertified_company_is_told_why_above_the_forms(web: TestClient, tmp_path: Path) -> None:
    log_in(web)
    _discharged(web, harness_folder(tmp_path / "in"))
    refused = web.get(f"{MARCH}&format=csv&lang=en")
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text and "LIVA Art. 28-A" in refused.text


def test_the_credit_is_cancelled_as_the_wire_leaves_and_the_csv_is_the_cli_s(
    web: TestClient, tmp_path: Path
) -> None:
    log_in(web)
    _discharged(web, harness_folder(tmp_path / "in"))
    _certify(web, COMPANY_A, "AA")
    answer = web.get(f"{MARCH}&format=csv")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == 'attachment; filename="ivacredit.csv"'
    by = {(r["month_end"], r["import_pedimento"]): r for r in csv.DictReader(io.StringIO(answer.text))}
    assert (by[("2025-01-31", FIRST_IMPORT)]["iva_credit"], by[("2025-01-31", FIRST_IMPORT)]["source"]) == (
        "80",
        "computed_usd",
    )
    assert by[("2025-03-31", FIRST_IMPORT)]["iva_balance"] == "0"  # 1,000 of 1,000 m returned
    assert by[("2025-03-31", SECOND_IMPORT)]["iva_balance"] == "158.4"  # 200 of 2,000 m
    cli = tmp_path / "cli.csv"
    store = harness_store(tmp_path / "cli")
    code, _, err = invoke(
        "report",
        "ivacredit",
        "--db",
        store,
        "--from",
        "2025-01-01",
        "--to",
        "2025-05-31",
        "--output",
        str(cli),
    )
    assert code == 0, err
    assert answer.content == cli.read_bytes()


def test_the_signed_workbook_names_the_company_and_a_bad_rate_is_shown_beside_its_field(
    web: TestClient, tmp_path: Path
) -> None:
    log_in(web)
    _discharged(web, harness_folder(tmp_path / "in"))
    _certify(web, COMPANY_A, "AAA")
    book = web.get(f"{MARCH}&format=xlsx")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(COMPANY_A in c for c in cells) and any("IVA" in c for c in cells)
    bad = web.get(f"{MARCH}&format=csv&exchange_rate=diez&lang=en")
    assert bad.status_code == 422 and 'id="e-exchange_rate"' in bad.text
    backwards = web.get(f"{PAGE}?report=ivacredit&from=2025-05-31&to=2025-01-01&format=csv")
    assert backwards.status_code == 422 and 'id="e-to"' in backwards.text
    assert web.get(f"/c/{COMPANY_B}/reports?report=ivacredit").status_code == 404
