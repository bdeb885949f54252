"""Certification of origin: nine data elements, blanket limit, PDF + JSON, kept five years."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from immex.cli import app
from immex.core.problems import InputError
from immex.origin import from_ledger as origin_ledger
from immex.origin import records_service as origin_records
from immex.origin.certificate import (
    Certificate,
    CertifiedGood,
    Party,
    certificate_document,
    certificate_problems,
)
from immex.origin.certificate_pdf import latin1, render_certificate
from immex.origin.orm import CertificateRow
from immex.origin.records import rules
from immex.store.db import open_database

from .origin_records_helpers import store_sample, write

runner = CliRunner()
CERTIFIER = Party(
    "María Pérez",
    "Av. Industrial 100, Cd. Juárez",
    "MX",
    "comex@example.mx",
    "+52 656 000 0000",
    title="Gerente de Comercio Exterior",
)
PARTIES = {
    "certifier": {
        "name": "María Pérez",
        "title": "Gerente",
        "address": "Av. Industrial 100, Cd. Juárez",
        "country": "MX",
        "phone": "+52 656 000 0000",
        "email": "comex@example.mx",
    },
    "exporter": {"name": "Motores del Norte", "address": "Cd. Juárez", "country": "MX"},
    "producer": "Various",
    "importer": None,
}


def _cert(**changes: object) -> Certificate:
    base = Certificate(
        "X-1",
        "USMCA",
        "blanket",
        "producer",
        CERTIFIER,
        None,
        None,
        None,
        (CertifiedGood("MOTOR", "electric motor", "8501.10", "B"),),
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
        "María Pérez",
        dt.date(2025, 1, 2),
        producer_note="Various",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_json_has_the_nine_data_elements_in_order() -> None:
    doc = certificate_document(_cert())
    assert [e["number"] for e in doc["data_elements"]] == list(range(1, 10))
    assert len(rules().data_elements) == 9
    assert doc["data_elements"][7]["value"] == {"from": "2025-01-01", "to": "2025-12-31"}
    assert doc["data_elements"][6]["value"] == {"MOTOR": "B"}
    assert doc["records_kept_until"] == "2030-01-02"
    assert "5.8" in doc["record_keeping_reference"]


def test_a_blanket_period_longer_than_twelve_months_is_refused() -> None:
    assert certificate_problems(_cert()) == []
    problems = certificate_problems(_cert(period_to=dt.date(2026, 1, 1)))
    assert [field for field, _ in problems] == ["period"]
    assert "may not exceed 12 months" in problems[0][1]


def test_missing_certifier_data_and_unknown_exporter_rules() -> None:
    problems = dict(certificate_problems(_cert(certifier=Party("X"), certifier_type="exporter")))
    assert {"certifier.address", "certifier.email", "certifier.title", "exporter"} <= set(problems)
    # a producer that does not know the exporter may leave it out
    assert "exporter" not in dict(certificate_problems(_cert()))


def test_bad_criterion_and_short_hs_are_refused() -> None:
    good = CertifiedGood("MOTOR", "electric motor", "8501", "E")
    fields = [field for field, _ in certificate_problems(_cert(goods=(good,)))]
    assert fields == ["goods.hs", "goods.criterion"]


def test_pdf_renders_with_spanish_text_and_names_every_element() -> None:
    pdf = render_certificate(certificate_document(_cert()))
    assert pdf.startswith(b"%PDF-")
    assert latin1("Juárez — “x”") == 'Juárez - "x"'
    pypdf = pytest.importorskip("pypdf")  # the "rules" extra; the text check needs it
    text = pypdf.PdfReader(BytesIO(pdf)).pages[0].extract_text()
    for element in rules().data_elements:
        assert f"{element.number}. {element.title[:20]}" in text
    assert "Juárez" in text and "2030-01-02" in text


def _ledger_with_label(url: str, tmp_path: Path) -> None:
    store_sample(url)
    origin_records.load_values(
        url, write(tmp_path / "v.csv", "item,valid_from,unit_value_usd\nLABEL,2024-01-01,0.10\n")
    )


def test_issue_writes_pdf_and_json_and_keeps_the_record_five_years(db_url: str, tmp_path: Path) -> None:
    _ledger_with_label(db_url, tmp_path)
    parties = write(tmp_path / "parties.json", json.dumps(PARTIES))
    cert, pdf, doc = origin_ledger.issue_certificate(
        db_url,
        ["MOTOR"],
        dt.date(2025, 3, 1),
        dt.date(2026, 2, 28),
        "producer",
        parties,
        tmp_path / "out",
        dt.date(2025, 3, 1),
    )
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert json.loads(doc.read_text())["data_elements"][6]["value"] == {"MOTOR": "B"}
    second, _, _ = origin_ledger.issue_certificate(
        db_url,
        ["MOTOR"],
        dt.date(2025, 3, 1),
        None,
        "producer",
        parties,
        tmp_path / "out",
        dt.date(2025, 3, 1),
        invoice="F-1",
    )
    assert second.number != cert.number and second.kind == "single"
    engine = open_database(db_url)
    with Session(engine) as session:
        rows = list(session.scalars(select(CertificateRow).order_by(CertificateRow.id)))
    engine.dispose()
    assert [r.retention_until for r in rows] == [dt.date(2030, 3, 1)] * 2
    assert rows[0].criterion == "B" and rows[0].hs == "8501.10"


def test_a_good_not_originating_on_some_date_is_not_certified(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    _ledger_with_label(url, tmp_path)
    parties = write(tmp_path / "parties.json", json.dumps(PARTIES))
    with pytest.raises(InputError) as caught:  # no lots valued before 2025-01-10
        origin_ledger.issue_certificate(
            url,
            ["MOTOR"],
            dt.date(2025, 1, 1),
            dt.date(2025, 6, 30),
            "producer",
            parties,
            tmp_path / "out",
            dt.date(2025, 1, 1),
        )
    assert "material 'WIRE' has no import lot" in caught.value.problems[0].message
    assert not (tmp_path / "out").exists()


def test_cli_certificate_and_its_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    _ledger_with_label(url, tmp_path)
    parties = write(tmp_path / "parties.json", json.dumps(PARTIES))
    args = [
        "origin",
        "certificate",
        "--db",
        url,
        "--product",
        "MOTOR",
        "--from",
        "2025-03-01",
        "--parties",
        str(parties),
        "--output",
        str(tmp_path / "out"),
        "--signed-on",
        "2025-03-01",
    ]
    result = runner.invoke(app, [*args, "--to", "2026-03-01"])
    assert result.exit_code == 2
    assert "may not exceed 12 months" in result.stderr
    result = runner.invoke(app, [*args, "--to", "2026-02-28"])
    assert result.exit_code == 0, result.stderr
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 1
    listed = runner.invoke(app, ["origin", "certs", "issued", "--db", url, "--as-of", "2030-03-02"])
    assert listed.exit_code == 0
    assert "keep until 2030-03-01 (retention ended)" in listed.stdout
    bad = write(tmp_path / "bad.json", json.dumps({"certifier": {"name": "X", "fax": "1"}}))
    result = runner.invoke(app, [*args[:-4], "--parties", str(bad), "--output", str(tmp_path / "o2")])
    assert result.exit_code == 2 and "certifier.fax" in result.stderr


def test_a_certificate_with_many_goods_runs_over_several_pages() -> None:
    goods = tuple(CertifiedGood(f"P{i:03d}", f"good number {i} " * 4, "8501.10", "B") for i in range(80))
    pdf = render_certificate(certificate_document(_cert(goods=goods)))
    pypdf = pytest.importorskip("pypdf")
    pages = pypdf.PdfReader(BytesIO(pdf)).pages
    assert len(pages) > 1
    text = "".join(page.extract_text() for page in pages)
    assert "P079" in text and f"page 1 of {len(pages)}" in text


def test_no_certificate_is_issued_for_a_nafta_period(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    _ledger_with_label(url, tmp_path)
    parties = write(tmp_path / "parties.json", json.dumps(PARTIES))
    with pytest.raises(InputError) as caught:
        origin_ledger.issue_certificate(
            url,
            ["MOTOR"],
            dt.date(2020, 1, 1),
            None,
            "producer",
            parties,
            tmp_path / "out",
            dt.date(2020, 1, 1),
        )
    assert "is under NAFTA" in caught.value.problems[0].message
