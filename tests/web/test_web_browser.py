"""The main flows in a real browser (Playwright on the system chromium), with screenshots.

Skipped only when /usr/bin/chromium is missing (.ci/run installs it); browsers are never
downloaded. ``IMMEX_SCREENSHOTS=folder`` keeps a laptop and a phone screenshot of each page
(docs/screenshots/ holds the committed ones).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.ledgers import small_ledger
from tests.web.conftest import COMPANY_A, PASSWORD, Server

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)"
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
LAPTOP, PHONE = {"width": 1366, "height": 860}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield launched
        launched.close()


def shoot(page: object, name: str) -> None:
    """Laptop and phone screenshots of the page as it is, when IMMEX_SCREENSHOTS names a folder."""
    folder = os.environ.get("IMMEX_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)  # type: ignore[attr-defined]
        page.screenshot(path=str(Path(folder) / f"{name}-{label}.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size(LAPTOP)  # type: ignore[attr-defined]


def fits_a_phone(page: object) -> None:
    """At a phone's width the page scrolls down only: nothing is wider than the screen."""
    page.set_viewport_size(PHONE)  # type: ignore[attr-defined]
    width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    page.set_viewport_size(LAPTOP)  # type: ignore[attr-defined]
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a phone"  # type: ignore[attr-defined]


def test_the_analyst_flow(browser: object, server: Server, tmp_path: Path) -> None:
    context = browser.new_context(viewport=LAPTOP, accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # Log in (Spanish by default).
    page.goto(server.url + "/")
    assert page.locator("h1").inner_text() == "Iniciar sesión"
    shoot(page, "login")
    page.fill("input[name=email]", "ana@example.mx")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"**/c/{COMPANY_A}")
    assert page.locator("h1").first.inner_text() == "Panel"

    # Upload a ledger with an error: the row-error table, nothing stored; then fixed.
    folder = small_ledger(tmp_path / "ledger")
    good = (folder / "imports.csv").read_text()
    (folder / "imports.csv").write_text(good.replace(",10.5,", ",diez,"))
    page.click("nav.menu >> text=Carga del Anexo 24")
    for name in ("parts.csv", "imports.csv", "exports.csv", "bom.csv"):
        page.set_input_files(f"input[name='{name}']", str(folder / name))
    page.click("button.primary")
    problems = page.locator("table.problems tbody tr")
    assert problems.count() >= 1
    assert "imports.csv" in problems.first.inner_text()
    shoot(page, "ledger-errors")
    (folder / "imports.csv").write_text(good)
    for name in ("parts.csv", "imports.csv", "exports.csv", "bom.csv"):
        page.set_input_files(f"input[name='{name}']", str(folder / name))
    page.click("button.primary")
    assert "El Anexo 24 se guardó" in page.locator(".alert.ok").inner_text()

    # Run the discharge and watch the job finish (htmx polls the job fragment).
    page.click("nav.menu >> text=Descargos")
    page.fill("input[name=as_of]", "2025-12-31")
    page.click("button.primary")
    page.wait_for_selector("#job [data-status=done]", timeout=30_000)
    assert "terminó" in page.locator("#job").inner_text()
    page.reload()
    shoot(page, "runs")

    # Reverse it (the latest active run), then run it again for what follows.
    page.fill("form.reverse input[name=reason]", "prueba de reversa")
    page.click("form.reverse button")
    assert "prueba de reversa" in page.locator("table.data").inner_text()
    page.click("button.primary")
    page.wait_for_selector("#job [data-status=done]", timeout=30_000)

    # Panel with its charts, then the tables.
    page.goto(f"{server.url}/c/{COMPANY_A}?as_of=2025-12-31")
    # Track and bar: 5 ages, 3 horizons, and the year's exports against the export commitment.
    assert page.locator("table.bars svg rect").count() == 2 * (5 + 3 + 1)
    assert page.locator("#commitment line.mark").count() == 1
    shoot(page, "panel")
    fits_a_phone(page)
    page.goto(f"{server.url}/c/{COMPANY_A}/t/balances?as_of=2025-12-31")
    shoot(page, "balances")
    page.goto(f"{server.url}/c/{COMPANY_A}/t/shortfalls")
    shoot(page, "shortfalls")

    # Drill down: an export line to its lots, a lot back to its exports.
    page.click("nav.menu >> text=Asignaciones")
    shoot(page, "allocations")
    page.locator("table.data a.trace[href*='/exports/']").first.click()
    page.wait_for_url("**/exports/254734566000001/1")
    lots = page.locator("table.data a.trace[href*='/imports/']")
    assert lots.count() == 2  # 12 A from two lots
    shoot(page, "trace-export")
    lots.first.click()
    page.wait_for_url("**/imports/254734565000001/1")
    assert page.locator("table.data a.trace[href*='/exports/254734566000001/1']").count() == 1
    shoot(page, "trace-import")

    # Switch language: remembered on the next page.
    page.click("a.lang")
    page.wait_for_url("**?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Allocations" in page.locator("nav.menu").inner_text()
    page.goto(f"{server.url}/c/{COMPANY_A}/t/balances")
    assert page.locator("h1").inner_text() == "Balances"
    assert "remaining" in page.locator("table.data thead").inner_text().lower()

    # Download XLSX of the filtered table.
    page.goto(f"{server.url}/c/{COMPANY_A}/t/balances?part=A")
    with page.expect_download() as download:
        page.click("a.button >> text=XLSX")
    saved = tmp_path / "balances.xlsx"
    download.value.save_as(saved)
    from openpyxl import load_workbook

    sheet = load_workbook(saved).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:3] == ["import_pedimento", "import_line", "part"]
    assert sheet.max_row == 3  # the two lots of part A

    # Import a Data Stage and run the compulsa: differences with what to do.
    from tests.datastage.synth import SynthSpec, write_synthetic_zip

    zip_path = tmp_path / "ds.zip"
    write_synthetic_zip(zip_path, SynthSpec(partidas=8, max_partidas_per_pedimento=4))
    page.goto(f"{server.url}/c/{COMPANY_A}/datastage?lang=es")
    page.set_input_files("form[action$='/datastage'] input[name=file]", str(zip_path))
    page.click("form[action$='/datastage'] button")
    page.wait_for_selector("#job [data-status=done]", timeout=30_000)
    page.click("form[action$='/compulsa'] button")
    page.wait_for_selector("#job [data-status=done]", timeout=30_000)
    assert page.locator("table.fixes tbody tr").count() >= 1
    shoot(page, "compulsa")

    # Qualify an origin case (back in Spanish).
    import json

    from tests.origin.test_origin_cli import CONTRACT_CASE

    page.goto(f"{server.url}/origin?lang=es")
    page.fill("textarea[name=case]", json.dumps(CONTRACT_CASE, indent=2))
    page.click("button.primary")
    assert page.locator(".verdict .big").inner_text().strip() == "Originaria · criterio B"
    assert page.locator("ol.reasons li").count() >= 1
    shoot(page, "origin")

    assert [e for e in errors if "Content Security Policy" in e] == []
    context.close()

    # The auditor reads the audit log of what the analyst did.
    auditor = browser.new_context(viewport=LAPTOP)  # type: ignore[attr-defined]
    page = auditor.new_page()
    page.goto(server.url + "/login")
    page.fill("input[name=email]", "audit@example.mx")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.click("nav.menu >> text=Bitácora")
    actions = page.locator("table.data code").all_inner_texts()
    assert actions[:6] == [
        "compulsa.run",
        "datastage.import",
        "run.create",
        "run.reverse",
        "run.create",
        "ledger.upload",
    ]
    shoot(page, "audit")
    auditor.close()


def test_the_administrator_manages_users(browser: object, server: Server) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from immex.api import users
    from immex.api.orm import UserRow
    from immex.store.db import open_database

    engine = open_database(f"sqlite:///{server.folder / 'immex.db'}")
    with Session(engine) as db, db.begin():
        if db.scalar(select(UserRow.id).where(UserRow.email == "root@example.mx")) is None:
            users.add_user(db, "root@example.mx", "admin", PASSWORD, [], "test")
    engine.dispose()
    context = browser.new_context(viewport=LAPTOP)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(server.url + "/login?lang=es")
    page.fill("input[name=email]", "root@example.mx")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.click("text=Usuarios")
    page.fill("form.adduser input[name=email]", "nuevo@example.mx")
    page.fill("form.adduser input[name=password]", PASSWORD)
    page.fill("form.adduser input[name=companies]", COMPANY_A)
    page.click("form.adduser button")
    row = page.locator("tr", has_text="nuevo@example.mx")
    assert f"{COMPANY_A} · analyst" in row.inner_text()
    shoot(page, "users")
    fits_a_phone(page)
    context.close()


def _fill(page: object, fields: list[tuple[str, str]]) -> None:
    """Type each field of a case into the form (selects chosen, inputs typed)."""
    for name, value in fields:
        found = page.locator(f"[name='{name}']")  # type: ignore[attr-defined]
        if found.evaluate("e => e.tagName") == "SELECT":
            found.select_option(value)
        else:
            found.fill(value)


def test_the_duty_pages(browser: object, server: Server, tmp_path: Path) -> None:
    import json

    from openpyxl import load_workbook

    from immex.web.forms import flatten
    from tests.web.test_web_duties import EXAMPLES, TMEC25_CASE, pedimento_form

    context = browser.new_context(viewport=LAPTOP, accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server.url + "/login?lang=es")
    page.fill("input[name=email]", "ana@example.mx")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"**/c/{COMPANY_A}")

    # A pedimento's contributions: a typo first (shown beside its field), then the right value.
    page.click("text=Contribuciones")
    page.wait_for_url("**/duties/pedimento")
    case = json.loads((EXAMPLES / "pedimento-minimum-dta.json").read_text())
    _fill(page, pedimento_form(case))
    page.fill("input[name=exchange_rate]", "18,00")
    page.click("button[value=compute]")
    assert "18,00" in page.locator("label.invalid .error").inner_text()
    assert page.locator("[aria-invalid=true]").count() == 1
    shoot(page, "duties-errors")
    fits_a_phone(page)
    page.fill("input[name=exchange_rate]", "18.0000")
    page.click("button[value=compute]")
    assert page.locator("#cash").inner_text() == "11,469"
    assert page.locator("table.contributions tbody tr").count() == 7  # IGI and IVA of 3 partidas, DTA
    shoot(page, "duties-pedimento")
    fits_a_phone(page)
    with page.expect_download() as download:
        page.click("button[value=xlsx]")
    saved = tmp_path / "pedimento.xlsx"
    download.value.save_as(saved)
    assert load_workbook(saved).sheetnames == ["contributions", "totals"]

    # A case file of the command line loads into the form, then computes.
    page.set_input_files("input[name=case_file]", str(EXAMPLES / "pedimento-dta-by-rate.json"))
    page.click("button[value=load]")
    assert page.locator("select[name=clave]").input_value() == "IN"
    page.click("button[value=compute]")
    assert page.locator("#cash").inner_text() == "462"  # IN: only the DTA's fixed quota is paid

    # T-MEC Art. 2.5 of an export, in English.
    page.goto(server.url + "/duties/tmec25?lang=en")
    assert page.locator("h1").inner_text() == "T-MEC Art. 2.5 on an export"
    _fill(page, flatten(TMEC25_CASE))
    page.click("button[value=compute]")
    assert page.locator(".error").all_inner_texts() == []
    assert page.locator("#payable").inner_text() == "0"
    shoot(page, "duties-tmec25")
    fits_a_phone(page)

    # Landed cost with a what-if, its savings chart.
    page.goto(server.url + "/duties/landed?lang=es")
    _fill(page, flatten(json.loads((EXAMPLES / "landed-shipped-rate.json").read_text())))
    page.fill("textarea[name=what_if]", "items.H-100.supplier_country=USA")
    page.click("button[value=compute]")
    assert page.locator("table.savings svg").count() >= 3
    assert page.locator("table.landed").count() == 2  # base and what-if
    shoot(page, "duties-landed")
    fits_a_phone(page)
    with page.expect_download() as download:
        page.click("button[value=csv]")
    assert download.value.suggested_filename == "landed.csv"

    # The tariff on the shipped LIGIE.
    page.click("nav.tabs >> text=Tarifa")
    page.fill("input[name=fraccion]", "8544.42.99")
    page.fill("input[name=date]", "2026-06-01")
    page.click("form#lookup button")
    assert "tigie-2026-03-30" in page.locator("table.tariff-rows").inner_text()
    shoot(page, "duties-tariff")
    fits_a_phone(page)

    # Reports for the authority and the panel's export commitment.
    page.goto(f"{server.url}/c/{COMPANY_A}/reports")
    assert page.locator("form.report").count() == 4  # anexo24, annual, expiring, ivacredit
    assert "IVA" in page.locator("form#ivacredit h2").inner_text()
    shoot(page, "reports")
    fits_a_phone(page)
    page.goto(f"{server.url}/c/{COMPANY_A}?as_of=2025-12-31&total_sales_usd=1000000")
    assert page.locator("#commitment svg line.mark").count() >= 1
    assert [e for e in errors if "Content Security Policy" in e] == []
    context.close()
