"""The duty pages over HTTP: the same answers as ``immex duties ...``, problems beside their
fields, CSRF, roles, downloads; and the form ↔ case JSON mapping as an invariant."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from immex.duties import landed_service, service
from immex.web import forms
from immex.web.calculators import LANDED_FIELDS, PEDIMENTO_FIELDS, TMEC25_FIELDS
from immex.web.forms import flatten
from tests.web.conftest import csrf_of, log_in

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "duties"
TMEC25_CASE: dict[str, Any] = {
    "export": {
        "pedimento": "26 47 3456 6000123",
        "date": "2026-03-10",
        "clave": "RT",
        "destination": "US",
        "same_condition": False,
    },
    "foreign_duty": {"amount": "1200.00", "currency": "USD", "exchange_rate": "17.5000"},
    "materials": [
        {
            "id": "M1",
            "fraccion": "8504.40.99",
            "customs_value_mxn": "120000.00",
            "originating": False,
            "igi_rate": "0.05",
        },
        {
            "id": "M2",
            "fraccion": "7326.90.99",
            "customs_value_mxn": "30000.00",
            "originating": False,
            "igi_rate": "0.10",
        },
    ],
}


def pedimento_form(case: dict[str, Any]) -> list[tuple[str, str]]:
    """The form of a case file (the page numbers partidas by their row, as the files do)."""
    assert [line["line"] for line in case["lines"]] == list(range(1, len(case["lines"]) + 1))
    return [(k, v) for k, v in flatten(case) if not k.endswith(".line")]


def post(web: TestClient, page: str, fields: list[tuple[str, str]], do: str = "compute") -> Any:
    """Post the form as a browser does (repeated names and order kept), with its CSRF token."""
    token = csrf_of(web.get(f"/duties/{page.split('?')[0]}").text)
    body = urlencode([("csrf", token), ("do", do), *fields])
    return web.post(
        f"/duties/{page}", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )


@pytest.mark.parametrize("example", ["pedimento-minimum-dta.json", "pedimento-dta-by-rate.json"])
def test_pedimento_page_answers_what_the_cli_answers(web: TestClient, example: str) -> None:
    log_in(web)
    case = json.loads((EXAMPLES / example).read_text())
    expected = service.pedimento_json(service.run_pedimento(EXAMPLES / example))
    downloaded = post(web, "pedimento", pedimento_form(case), do="json")
    assert downloaded.headers["content-disposition"] == 'attachment; filename="pedimento.json"'
    assert downloaded.json() == expected
    page = post(web, "pedimento", pedimento_form(case))
    assert page.status_code == 200
    cash = re.search(r'id="cash">([^<]*)<', page.text)
    assert cash and cash.group(1).replace(",", "").replace("\u202f", "") == str(expected["totals"]["cash"])


def test_pedimento_csv_and_xlsx_hold_every_contribution(web: TestClient) -> None:
    log_in(web)
    case = json.loads((EXAMPLES / "pedimento-minimum-dta.json").read_text())
    answer = service.pedimento_json(service.run_pedimento(EXAMPLES / "pedimento-minimum-dta.json"))
    table = list(csv.DictReader(io.StringIO(post(web, "pedimento", pedimento_form(case), do="csv").text)))
    assert len(table) == 2 * len(case["lines"]) + 1  # IGI and IVA per partida, one DTA
    assert sum(int(r["amount"]) for r in table) == sum(answer["totals"]["by_code"].values())
    assert [r["abbr"] for r in table if not r["line"]] == ["DTA"]
    xlsx = post(web, "pedimento", pedimento_form(case), do="xlsx")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["contributions", "totals"]
    totals = {row[0]: row[1] for row in book["totals"].iter_rows(min_row=2, values_only=True)}
    assert totals["cash"] == answer["totals"]["cash"]


def test_each_problem_is_shown_beside_its_field_and_nothing_is_computed(web: TestClient) -> None:
    log_in(web)
    case = json.loads((EXAMPLES / "pedimento-minimum-dta.json").read_text())
    fields = dict(pedimento_form(case))
    # A blank row between two partidas: the third row's problem must still name the third row.
    fields.update({"exchange_rate": "18,00", "lines[3].fraccion": "7326.90.99", "lines[3].value": "x"})
    fields.update({"lines[3].igi_rate": "0.1"})
    for key in [k for k in fields if k.startswith("lines[2].")]:
        del fields[key]
    page = post(web, "pedimento?lang=en", list(fields.items()))
    assert page.status_code == 422
    assert "2 problems in the form; nothing was computed" in page.text
    assert re.search(r'name="exchange_rate"[^>]*aria-invalid="true"', page.text)
    assert re.search(r'id="e-exchange_rate">&#39;18,00&#39; is not a plain decimal', page.text)
    assert re.search(r'name="lines\[3\]\.value"[^>]*aria-invalid="true"', page.text)
    assert 'id="cash"' not in page.text
    assert 'value="18,00"' in page.text  # the form keeps what was typed


def test_adding_a_row_keeps_the_values_and_computes_nothing(web: TestClient) -> None:
    log_in(web)
    case = json.loads((EXAMPLES / "pedimento-minimum-dta.json").read_text())
    page = post(web, "pedimento", pedimento_form(case), do="add")
    assert page.status_code == 200 and 'id="cash"' not in page.text
    assert 'name="lines[3].value"' in page.text and 'name="lines[4].value"' not in page.text
    assert 'value="1200.00"' in page.text


def test_tmec25_page_answers_what_the_cli_answers(web: TestClient) -> None:
    log_in(web)
    expected = service.tmec25_json(service.tmec25_from_data(json.loads(json.dumps(TMEC25_CASE))))
    assert post(web, "tmec25", flatten(TMEC25_CASE), do="json").json() == expected
    page = post(web, "tmec25", flatten(TMEC25_CASE))
    assert page.status_code == 200
    assert re.search(r'id="payable">0<', page.text) and expected["payable"] == 0
    summary = list(csv.reader(io.StringIO(post(web, "tmec25", flatten(TMEC25_CASE), do="csv").text)))
    assert ["exemption", str(expected["exemption"])] in summary
    nothing = [(k, v) for k, v in flatten(TMEC25_CASE) if not k.startswith("materials")]
    assert post(web, "tmec25", nothing, do="json").json()["mexican_igi"] == 0  # no materials: []
    wrong = post(web, "tmec25", [*nothing, ("export.destination", "MX")])
    assert wrong.status_code == 422 and 'id="e-export.destination"' in wrong.text


def test_landed_page_with_a_what_if_gives_the_cli_files(web: TestClient, tmp_path: Path) -> None:
    log_in(web)
    scenario = json.loads((EXAMPLES / "landed-shipped-rate.json").read_text())
    edit = "items.H-100.supplier_country=USA"
    result = landed_service.run_landed_file(EXAMPLES / "landed-shipped-rate.json", [edit])
    fields = [*flatten(scenario), ("what_if", edit)]
    assert post(web, "landed", fields, do="json").json() == landed_service.landed_json(result)
    landed_service.write_outputs(result, tmp_path / "landed.csv", None, None)
    assert post(web, "landed", fields, do="csv").text == (tmp_path / "landed.csv").read_text()
    page = post(web, "landed", fields)
    assert page.status_code == 200 and page.text.count("<svg") >= 3  # the savings chart
    bad = post(web, "landed", [*flatten(scenario), ("what_if", "nonsense")])
    assert bad.status_code == 422 and 'id="e-what_if"' in bad.text


def test_tariff_lookup_on_the_shipped_ligie(web: TestClient) -> None:
    log_in(web)
    page = web.get("/duties/tariff?fraccion=8544.42.99.99&date=2026-06-01&lang=en")
    assert page.status_code == 200 and "tigie-2026-03-30" in page.text and ">0.05<" in page.text
    older = web.get("/duties/tariff?fraccion=8544.42.99.99&date=2025-06-01&lang=en")
    assert "rate not in the data" in older.text
    text = web.get("/duties/tariff?fraccion=0402.10.99&date=2026-06-01&lang=en").text
    assert "not ad valorem: AMX (10%+0.36 Dls por Kg de azúcar)" in text
    rows = web.get("/duties/tariff?fraccion=8544.42.99.99&date=2026-06-01&download=csv").text.splitlines()
    assert rows[0].startswith("fraccion,nico,description") and rows[1].startswith("8544.42.99,99,")
    assert web.get("/duties/tariff?fraccion=85&date=2026-06-01").status_code == 422
    assert web.get("/duties/tariff?fraccion=8544.42.99&date=junio").status_code == 422
    assert web.get("/duties/tariff?fraccion=9999.99.99&date=2026-06-01").status_code == 404


def test_duty_forms_need_the_csrf_token_and_a_role_that_computes(web: TestClient) -> None:
    log_in(web)
    case = json.loads((EXAMPLES / "pedimento-minimum-dta.json").read_text())
    forged = web.post("/duties/pedimento", data={"csrf": "forged", **dict(pedimento_form(case))})
    assert forged.status_code == 403 and 'id="cash"' not in forged.text
    assert web.get("/duties/nothing").status_code == 404
    web.cookies.clear()
    assert web.get("/duties/pedimento", follow_redirects=False).status_code == 303  # to the login


def test_spanish_by_default_english_on_request(web: TestClient) -> None:
    log_in(web)
    assert "<h1>Contribuciones del pedimento</h1>" in web.get("/duties/pedimento?lang=es").text
    assert "<h1>Pedimento contributions</h1>" in web.get("/duties/pedimento?lang=en").text


_KEY = st.text("abcdefgh_", min_size=1, max_size=6)
_LEAF = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=8)


@given(
    st.dictionaries(_KEY, _LEAF, max_size=4),
    st.lists(st.dictionaries(_KEY, _LEAF, min_size=1, max_size=3), max_size=4),
)
def test_a_form_nests_back_into_the_case_it_was_made_from(
    top: dict[str, str], rows: list[dict[str, str]]
) -> None:
    case: dict[str, Any] = {**{f"t{k}": v for k, v in top.items()}, **({"rows": rows} if rows else {})}
    kinds = {k: forms.TEXT for k, _ in flatten(case) if "[" not in k}
    kinds.update({f"rows.{k}": forms.TEXT for row in rows for k in row})
    nested = forms.nest(flatten(case), kinds)
    assert nested.case == case
    assert nested.rows.get("rows", []) == list(range(len(rows)))


def test_blank_rows_are_dropped_and_problems_renumbered_to_the_form_row() -> None:
    nested = forms.nest(
        [("lines[0].value", "1"), ("lines[1].value", " "), ("lines[2].value", "2"), ("x", "3")],
        {"lines.value": forms.TEXT},
    )
    assert nested.case == {"lines": [{"value": "1"}, {"value": "2"}]}  # x is not a declared field
    assert forms.form_field("lines[1].value", nested.rows) == "lines[2].value"


def test_every_declared_field_is_on_its_form(web: TestClient) -> None:
    log_in(web)
    for name, fields in (
        ("pedimento", PEDIMENTO_FIELDS),
        ("tmec25", TMEC25_FIELDS),
        ("landed", LANDED_FIELDS),
    ):
        html = web.get(f"/duties/{name}").text
        named = {forms.pattern_of(forms.split_path(n) or []) for n in re.findall(r'name="([^"]+)"', html)}
        assert set(fields) <= named, name


def test_a_form_shows_at_most_max_rows_rows() -> None:
    assert forms.row_count({}, "lines", 10_000) == forms.MAX_ROWS
    assert forms.row_count({"lines[7].value": "1"}, "lines", 0, 3) == 8
    assert forms.split_path(f"lines[{forms.MAX_ROWS}].value") is None  # a row the form never has


def test_a_case_file_of_the_cli_fills_the_form(web: TestClient) -> None:
    log_in(web)
    token = csrf_of(web.get("/duties/pedimento").text)
    example = (EXAMPLES / "pedimento-dta-by-rate.json").read_bytes()
    loaded = web.post(
        "/duties/pedimento",
        data={"csrf": token, "do": "load"},
        files={"case_file": ("case.json", example, "application/json")},
    )
    assert loaded.status_code == 200 and 'id="cash"' not in loaded.text  # filled, not computed
    case = json.loads(example)
    for name, value in pedimento_form(case):
        assert re.search(
            rf'name="{re.escape(name)}"[^>]*value="{re.escape(value)}"', loaded.text
        ) or re.search(rf'<option value="{re.escape(value)}" selected>', loaded.text), name
    bad = web.post(
        "/duties/pedimento",
        data={"csrf": token, "do": "load"},
        files={"case_file": ("case.json", b"[1, 2", "application/json")},
    )
    assert bad.status_code == 422 and 'id="e-case_file">case.json: ' in bad.text
    assert web.post("/duties/tmec25", data={"csrf": token, "do": "load"}).status_code == 422
