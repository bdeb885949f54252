"""The web pages over HTTP: session cookie flags, CSRF, isolation, catalogs complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from tests.api.ledgers import multipart, small_ledger
from tests.web.conftest import COMPANY_A, COMPANY_B, csrf_of, log_in

WEB = Path(__file__).resolve().parents[2] / "src" / "immex" / "web"


def test_login_sets_a_safe_session_cookie_and_logout_ends_it(web: TestClient) -> None:
    answer = log_in(web)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    cookie = answer.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "immex_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie.split(",")[0]  # plain HTTP here; Secure over HTTPS
    panel = web.get(f"/c/{COMPANY_A}")
    assert panel.status_code == 200 and "Antigüedad de saldos abiertos" in panel.text
    assert "script-src 'self'" in panel.headers["content-security-policy"]
    web.post("/logout", data={"csrf": csrf_of(panel.text)})
    assert web.get(f"/c/{COMPANY_A}", follow_redirects=False).status_code == 303


def test_secure_flag_over_https(tmp_path: Path) -> None:
    from tests.web.conftest import make_app

    with TestClient(make_app(tmp_path), base_url="https://testserver") as client:  # type: ignore[arg-type]
        answer = log_in(client)
        assert "Secure" in answer.headers["set-cookie"]  # type: ignore[attr-defined]


def test_wrong_password_is_refused_without_saying_which(web: TestClient) -> None:
    wrong = log_in(web, password="not the password")
    unknown = log_in(web, email="nobody@example.mx")
    assert wrong.status_code == unknown.status_code == 401  # type: ignore[attr-defined]
    assert "Correo o contraseña incorrectos" in wrong.text  # type: ignore[attr-defined]


def test_forms_without_the_csrf_token_change_nothing(web: TestClient, tmp_path: Path) -> None:
    assert web.post("/login", data={"email": "ana@example.mx", "password": "x" * 12}).status_code == 403
    log_in(web)
    files = multipart(small_ledger(tmp_path / "ledger"))
    refused = web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": "forged"}, files=files)
    assert refused.status_code == 403
    assert "Aún sin descargo" not in refused.text
    assert "Nada con estos filtros" in web.get(f"/c/{COMPANY_A}/t/balances").text
    assert web.post(f"/c/{COMPANY_A}/runs", data={"method": "fifo"}).status_code == 403


def test_another_company_is_not_found_and_a_role_that_may_not_act_is_forbidden(web: TestClient) -> None:
    log_in(web)
    for path in ("", "/t/balances", "/t/allocations/download/xlsx", "/runs", "/ledger"):
        assert web.get(f"/c/{COMPANY_B}{path}").status_code == 404, path
    assert web.get("/c/NOPE010101AAA").status_code == 404
    web.cookies.clear()
    log_in(web, email="audit@example.mx")
    assert web.get(f"/c/{COMPANY_A}/ledger").status_code == 403
    assert web.get(f"/c/{COMPANY_A}/t/balances").status_code == 200


def test_upload_with_errors_lists_each_row_and_stores_nothing(web: TestClient, tmp_path: Path) -> None:
    log_in(web)
    folder = small_ledger(tmp_path / "ledger")
    text = (folder / "imports.csv").read_text()
    (folder / "imports.csv").write_text(text.replace(",10.5,", ",diez,"))
    page = web.get(f"/c/{COMPANY_A}/ledger")
    bad = web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": csrf_of(page.text)}, files=multipart(folder))
    assert bad.status_code == 422
    assert "imports.csv" in bad.text and "<td>qty</td>" in bad.text
    assert "Nada con estos filtros" in web.get(f"/c/{COMPANY_A}/t/balances").text
    (folder / "imports.csv").write_text(text)
    good = web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": csrf_of(page.text)}, files=multipart(folder))
    assert good.status_code == 201 and "El Anexo 24 se guardó" in good.text
    assert "renglones 1 a 3" in web.get(f"/c/{COMPANY_A}/t/balances").text


def test_tables_filter_and_page_on_the_server(web: TestClient, tmp_path: Path) -> None:
    log_in(web)
    page = web.get(f"/c/{COMPANY_A}/ledger")
    web.post(
        f"/c/{COMPANY_A}/ledger",
        data={"csrf": csrf_of(page.text)},
        files=multipart(small_ledger(tmp_path / "l")),
    )
    only_b = web.get(f"/c/{COMPANY_A}/t/balances?part=B&lang=en")
    assert "rows 1 to 1" in only_b.text and ">B<" in only_b.text
    assert web.get(f"/c/{COMPANY_A}/t/balances?pedimento=12").status_code == 422
    fragment = web.get(f"/c/{COMPANY_A}/t/balances?part=B", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and "download/xlsx?part=B" in fragment  # htmx swaps rows and links
    xlsx = web.get(f"/c/{COMPANY_A}/t/balances/download/xlsx?part=B")
    assert xlsx.headers["content-disposition"].startswith("attachment")
    assert xlsx.content[:2] == b"PK"
    csv = web.get(f"/c/{COMPANY_A}/t/balances/download/csv?part=A").text.splitlines()
    assert len(csv) == 3 and csv[0].startswith("import_pedimento")


def _extracted(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-o", str(pot), "."],
        cwd=WEB,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id[0] if isinstance(m.id, (tuple, list)) else m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_template_string_is_translated_in_both_catalogs(lang: str, tmp_path: Path) -> None:
    wanted = _extracted(tmp_path)
    with (WEB / "locale" / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = read_mo(f)
    have = {m.id[0] if isinstance(m.id, (tuple, list)) else m.id: m.string for m in compiled if m.id}
    assert wanted - set(have) == set(), "compile the catalogs again (docs/web.md)"
    empty = [k for k, v in have.items() if not v or (not isinstance(v, str) and not all(v))]
    assert empty == []
    if lang == "es":
        assert have["Balances"] == "Saldos"


def test_audit_log_page_for_auditors_only(web: TestClient, tmp_path: Path) -> None:
    log_in(web)
    page = web.get(f"/c/{COMPANY_A}/ledger")
    web.post(
        f"/c/{COMPANY_A}/ledger",
        data={"csrf": csrf_of(page.text)},
        files=multipart(small_ledger(tmp_path / "l")),
    )
    assert web.get(f"/c/{COMPANY_A}/audit").status_code == 403  # an analyst
    web.cookies.clear()
    log_in(web, email="audit@example.mx")
    log = web.get(f"/c/{COMPANY_A}/audit")
    assert log.status_code == 200 and "ledger.upload" in log.text and "ana@example.mx" in log.text


def test_admin_adds_grants_revokes_and_disables_users(tmp_path: Path) -> None:
    from sqlalchemy.orm import Session

    from immex.api import users
    from tests.web.conftest import PASSWORD, make_app

    app = make_app(tmp_path)
    with Session(app.state.store.engine) as db, db.begin():  # type: ignore[attr-defined]
        users.add_user(db, "root@example.mx", "admin", PASSWORD, [], "test")
    with TestClient(app) as web:  # type: ignore[arg-type]
        log_in(web)
        assert web.get("/users").status_code == 403  # an analyst
        web.cookies.clear()
        log_in(web, email="root@example.mx")
        token = csrf_of(web.get("/users").text)

        def change(**fields: str) -> int:
            answer = web.post("/users", data={"csrf": token, **fields}, follow_redirects=False)
            return int(answer.status_code)

        short = {"action": "add", "email": "new@example.mx", "role": "analyst", "password": "short"}
        assert change(**short) == 422
        assert change(**{**short, "password": PASSWORD, "companies": COMPANY_A}) == 303
        assert change(action="grant", email="new@example.mx", company=COMPANY_B, role="auditor") == 303
        assert f"{COMPANY_B} · auditor" in web.get("/users").text
        assert change(action="revoke", email="new@example.mx", company=COMPANY_A) == 303
        assert change(action="disable", email="new@example.mx") == 303
        assert change(action="disable", email="new@example.mx", csrf="forged") == 403
        page = web.get("/users").text
        assert f"{COMPANY_A} · analyst" not in page.split("new@example.mx")[1].split("</tr>")[0]
    web.cookies.clear()
    with TestClient(app) as fresh:  # type: ignore[arg-type]
        assert log_in(fresh, email="new@example.mx").status_code == 401  # type: ignore[attr-defined]


def test_origin_page_gives_the_verdict_the_api_gives(web: TestClient) -> None:
    import json

    from markupsafe import escape

    from tests.origin.test_origin_cli import CONTRACT_CASE

    log_in(web)
    token = csrf_of(web.get("/origin").text)
    page = web.post("/origin?lang=en", data={"csrf": token, "case": json.dumps(CONTRACT_CASE)})
    assert page.status_code == 200
    from immex.origin import service

    case = Path(web.app.state.jobs.files) / "case.json"  # type: ignore[attr-defined]
    case.parent.mkdir(parents=True, exist_ok=True)
    case.write_text(json.dumps(CONTRACT_CASE))
    expected = service.determination_json(service.qualify_file(case))
    verdict = "Originating" if expected["originating"] else "Not originating"
    assert f'<p class="big">{verdict}' in page.text
    assert expected["explanation"]
    for line in expected["explanation"]:
        assert str(escape(line)) in page.text
    bad = web.post("/origin", data={"csrf": token, "case": '{"good": {}}'})
    assert bad.status_code == 422 and "case.json" in bad.text


def test_datastage_import_then_compulsa_with_the_fix_of_each_difference(
    web: TestClient, tmp_path: Path
) -> None:
    import time

    from tests.datastage.synth import SynthSpec, write_synthetic_zip

    log_in(web)
    token = csrf_of(web.get(f"/c/{COMPANY_A}/ledger").text)
    web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": token}, files=multipart(small_ledger(tmp_path / "l")))
    zip_path = tmp_path / "ds.zip"
    write_synthetic_zip(zip_path, SynthSpec(partidas=12, max_partidas_per_pedimento=4))

    def finished(answer: Any) -> str:
        location = answer.headers["location"]
        job = location.rsplit("job=", 1)[1]
        for _ in range(600):
            fragment = str(web.get(f"/jobs/{job}").text)
            if 'data-status="done"' in fragment or 'data-status="failed"' in fragment:
                return fragment
            time.sleep(0.05)
        raise AssertionError("the job did not finish")

    assert web.post(f"/c/{COMPANY_A}/compulsa", data={"csrf": token}).status_code == 422  # nothing imported
    files = {"file": ("ds.zip", zip_path.read_bytes(), "application/zip")}
    started = web.post(f"/c/{COMPANY_A}/datastage", data={"csrf": token}, files=files, follow_redirects=False)
    imported = finished(started)
    assert 'data-status="done"' in imported and "551: 12" in imported
    compared = finished(web.post(f"/c/{COMPANY_A}/compulsa", data={"csrf": token}, follow_redirects=False))
    assert 'data-status="done"' in compared and "/files/differences.csv" in compared
    assert compared.count("<tr>") > 1  # differences, each with its explanation and fix
    job = compared.split("/jobs/")[1].split("/")[0]
    download = web.get(f"/jobs/{job}/files/differences.csv")
    assert download.status_code == 200 and download.text.startswith("pedimento,line,field")
    web.cookies.clear()
    log_in(web, email="audit@example.mx")
    assert web.get(f"/jobs/{job}/files/differences.csv").status_code == 404  # not its job
    assert web.get(f"/c/{COMPANY_A}/datastage").status_code == 403  # an auditor may do neither


def _discharged(web: TestClient, folder: Path) -> None:
    """Upload the ledger and run the discharge as of 2025-12-31 through the pages."""
    import time

    token = csrf_of(web.get(f"/c/{COMPANY_A}/ledger").text)
    assert (
        web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": token}, files=multipart(folder)).status_code == 201
    )
    started = web.post(
        f"/c/{COMPANY_A}/runs",
        data={"csrf": token, "method": "fifo", "as_of": "2025-12-31"},
        follow_redirects=False,
    )
    job = started.headers["location"].rsplit("job=", 1)[1]
    for _ in range(600):
        if 'data-status="done"' in web.get(f"/jobs/{job}").text:
            return
        time.sleep(0.05)
    raise AssertionError("the discharge did not finish")


def _pages(web: TestClient, first: str) -> list[int]:
    """Rows on each page, following the Next links from ``first``."""
    import re

    counts, url = [], first
    while url:
        html = web.get(url).text
        counts.append(
            html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>") if "<tbody>" in html else 0
        )
        found = re.search(r'<a class="next" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
    return counts


def test_tables_are_read_a_page_at_a_time_by_key(web: TestClient, tmp_path: Path) -> None:
    from tests.ledger.ledger_files import exp, imp, part, write_ledger

    imports = [imp(f"25 47 3456 5{n:06d}", 1, f"P{n % 3}", "1", "2025-01-02") for n in range(1, 121)]
    exports = [exp("25 47 3456 6000001", 1, "P0", "45", "2025-06-01")]  # 40 lots of P0: 5 short
    log_in(web)
    _discharged(web, write_ledger(tmp_path / "l", [part("P0"), part("P1"), part("P2")], imports, exports))
    assert _pages(web, f"/c/{COMPANY_A}/t/balances?as_of=2025-12-31") == [50, 50, 20]
    second = web.get(f"/c/{COMPANY_A}/t/balances").text.split('<a class="next" href="')[1].split('"')[0]
    assert "renglones 51 a 100" in web.get(second.replace("&amp;", "&")).text
    csv = web.get(f"/c/{COMPANY_A}/t/balances/download/csv").text.splitlines()
    assert len(csv) == 1 + 120  # the download is the whole filtered table, not a page
    assert _pages(web, f"/c/{COMPANY_A}/t/balances?part=P1") == [40]
    assert _pages(web, f"/c/{COMPANY_A}/t/balances?status=discharged&as_of=2025-12-31") == [40]
    assert _pages(web, f"/c/{COMPANY_A}/t/allocations") == [40]
    assert _pages(web, f"/c/{COMPANY_A}/t/shortfalls?part=P0") == [1]
    assert _pages(web, f"/c/{COMPANY_A}/t/shortfalls?part=P1") == [0]
    assert web.get(f"/c/{COMPANY_A}/t/balances?after=bm90IGEga2V5").status_code == 422  # not a cursor we gave
    assert web.get(f"/c/{COMPANY_A}/t/balances?status=late").status_code == 422


def test_panel_shows_the_exports_of_the_year_against_the_export_commitment(
    web: TestClient, tmp_path: Path
) -> None:
    from tests.ledger.ledger_files import exp, imp, part, write_ledger

    imports = [imp("25 47 3456 5000001", 1, "A", "1000", "2025-01-02")]
    exports = [
        exp("25 47 3456 6000001", 1, "A", "300", "2025-05-01", unit_value_usd="1000"),  # 300,000 USD
        exp("25 47 3456 6000001", 2, "A", "100", "2025-06-01"),  # no unit value: listed, not counted
        exp("24 47 3456 6000002", 1, "A", "100", "2024-06-01", unit_value_usd="9000"),  # another year
    ]
    log_in(web)
    token = csrf_of(web.get(f"/c/{COMPANY_A}/ledger").text)
    folder = write_ledger(tmp_path / "l", [part("A")], imports, exports)
    assert (
        web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": token}, files=multipart(folder)).status_code == 201
    )
    panel = web.get(f"/c/{COMPANY_A}?as_of=2025-12-31&lang=en")
    assert "Export commitment 2025" in panel.text and 'id="exports-usd">300,000 USD<' in panel.text
    assert "1 export line without a unit value is not counted" in panel.text
    by_class = panel.text.split('class="data by-class"')[1].split("</table>")[0]
    assert "returns and virtual transfers" in by_class and by_class.count("<tr>") == 2  # header, RT
    assert '"Lines" class="n">2<' in by_class  # the two RT lines of 2025, not the 2024 one
    assert 'id="verdict"' not in panel.text  # below 500,000 and no total sales given: no verdict
    met = web.get(f"/c/{COMPANY_A}?as_of=2025-12-31&total_sales_usd=2,000,000&lang=en").text
    assert ">15 %<" in met and ">commitment met<" in met  # 15 % of sales >= 10 %
    short = web.get(f"/c/{COMPANY_A}?as_of=2025-12-31&total_sales_usd=4000000&lang=en").text
    assert ">7.5 %<" in short and "commitment not met yet" in short
    low = web.get(f"/c/{COMPANY_A}?as_of=2025-12-31&total_sales_usd=0&lang=en")
    assert (
        low.status_code == 422 and 'id="e-total_sales_usd"' in low.text and "must be more than 0" in low.text
    )
    # below the exports: possible for a maquila that invoices only its service (a note, not an error)
    assert web.get(f"/c/{COMPANY_A}?as_of=2025-12-31&total_sales_usd=1000&lang=en").status_code == 200
    assert web.get(f"/c/{COMPANY_A}?total_sales_usd=mucho").status_code == 422


def test_reports_for_the_authority_download_as_the_cli_writes_them(web: TestClient, tmp_path: Path) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    log_in(web)
    token = csrf_of(web.get(f"/c/{COMPANY_A}/ledger").text)
    web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": token}, files=multipart(small_ledger(tmp_path / "l")))
    base = f"/c/{COMPANY_A}/reports"
    assert "Anexo 24" in web.get(base).text
    anexo24 = web.get(f"{base}?report=anexo24&from=2025-01-01&to=2025-12-31&format=xlsx")
    assert anexo24.headers["content-disposition"] == 'attachment; filename="anexo24.xlsx"'
    sheet = load_workbook(io.BytesIO(anexo24.content)).active
    assert sheet is not None and any(COMPANY_A in str(c.value) for row in sheet.iter_rows() for c in row)
    raw = web.get(f"{base}?report=anexo24&from=2025-01-01&to=2025-12-31&format=csv").text
    assert len(list(csv.reader(io.StringIO(raw)))) > 3  # three lots, their discharges, balances
    backwards = web.get(f"{base}?report=anexo24&from=2025-12-31&to=2025-01-01&format=csv&lang=en")
    assert backwards.status_code == 422 and 'id="e-to"' in backwards.text
    no_sales = web.get(f"{base}?report=annual&year=2025&total_sales_usd=&format=csv")
    assert no_sales.status_code == 422 and 'id="e-total_sales_usd"' in no_sales.text
    assert web.get(f"{base}?report=annual&year=2025&total_sales_usd=1000&format=csv").status_code in (
        200,
        422,
    )
    expiring = f"{base}?report=expiring&as_of=2026-06-15&days=60&format=csv"
    lots = list(csv.DictReader(io.StringIO(web.get(f"{expiring}&exchange_rate=18").text)))
    assert [(r["import_line"], r["part"], r["days_left"]) for r in lots] == [
        ("1", "A", "16")
    ]  # due 2026-07-01
    assert "exchange rate of" not in lots[0]["cost_missing"]  # given: only the ledger's gaps remain
    without = list(csv.DictReader(io.StringIO(web.get(f"{expiring}&exchange_rate=").text)))
    assert "exchange rate of 2025-01-01" in without[0]["cost_missing"]
    assert web.get(f"{base}?report=expiring&as_of=2026-06-15&days=muchos&format=csv").status_code == 422
    assert web.get(f"/c/{COMPANY_B}/reports").status_code == 404


def test_the_panel_is_built_once_and_again_when_the_ledger_changes(
    web: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from immex.web import data
    from tests.ledger.ledger_files import imp, part, write_ledger

    built: list[int] = []
    real = data._panel

    def counted(*args: Any) -> data.Panel:
        built.append(1)
        return real(*args)

    monkeypatch.setattr(data, "_panel", counted)
    log_in(web)
    token = csrf_of(web.get(f"/c/{COMPANY_A}/ledger").text)
    web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": token}, files=multipart(small_ledger(tmp_path / "l")))
    first = web.get(f"/c/{COMPANY_A}?as_of=2025-12-31&lang=en").text
    again = web.get(f"/c/{COMPANY_A}?as_of=2025-12-31&lang=en").text
    assert len(built) == 1 and first == again and "Ledger: 3 import lines" in first
    more = write_ledger(
        tmp_path / "m", [part("A")], [imp("25 47 3456 5000009", 1, "A", "4", "2025-05-05")], []
    )
    assert web.post(f"/c/{COMPANY_A}/ledger", data={"csrf": token}, files=multipart(more)).status_code == 201
    assert "Ledger: 4 import lines" in web.get(f"/c/{COMPANY_A}?as_of=2025-12-31&lang=en").text
    assert len(built) == 2
    web.get(f"/c/{COMPANY_A}?as_of=2025-06-30&lang=en")  # another day is another panel
    assert len(built) == 3
