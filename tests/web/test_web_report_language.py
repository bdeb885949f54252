"""The expiring report from the reports page is written in the page's language, reasons included.

The harness example (tests/reports/report_ledgers.py): the second lot of wire, 2025-02-10,
has no discharge run here (whole) and expires on 2026-08-10. Without an exchange rate its
costs are empty and ``cost_missing`` says so, pointing at the form's field (not at a
command-line option the page does not have).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.ledgers import multipart
from tests.reports.report_ledgers import SECOND_IMPORT, harness_folder
from tests.web.conftest import COMPANY_A, csrf_of, log_in

EXPIRING = f"/c/{COMPANY_A}/reports?report=expiring&as_of=2026-06-30&days=60&format=csv&exchange_rate="


def _lots(web: TestClient, lang: str) -> dict[str, dict[str, str]]:
    answer = web.get(f"{EXPIRING}&lang={lang}")
    assert answer.status_code == 200, answer.text
    return {r["import_pedimento"]: r for r in csv.DictReader(io.StringIO(answer.text))}


def test_cost_missing_and_what_to_do_follow_the_page_language(web: TestClient, tmp_path: Path) -> None:
    log_in(web)
    token = csrf_of(web.get(f"/c/{COMPANY_A}/ledger").text)
    files = multipart(harness_folder(tmp_path / "in"))
    assert web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": token}, files=files).status_code == 201
    spanish, english = _lots(web, "es")[SECOND_IMPORT], _lots(web, "en")[SECOND_IMPORT]
    assert spanish["what_to_do"].startswith("antes del 2026-08-10: retornar")
    assert english["what_to_do"].startswith("before 2026-08-10: return")
    assert (
        "tipo de cambio del 2025-02-10 (indique el tipo de cambio en el formulario)"
        in spanish["cost_missing"]
    )
    assert "exchange rate of 2025-02-10 (give the exchange rate in the form)" in english["cost_missing"]
    assert "--exchange-rate" not in spanish["cost_missing"] + english["cost_missing"]
