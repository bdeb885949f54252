"""The HTTP layer: size limits, security headers, problem documents without server details,
the origin and duty cases answered exactly as the CLI prints them, Data Stage and compulsa jobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from immex.api.app import create_app
from immex.cli import app as cli
from immex.reports import stored
from tests.api.conftest import COMPANY_A, Api
from tests.api.ledgers import multipart, small_ledger
from tests.datastage.synth import SynthSpec, write_synthetic_zip
from tests.duties.helpers import pedimento_case, tmec25_case
from tests.origin.test_origin_cli import CONTRACT_CASE

BASE = f"/api/v1/companies/{COMPANY_A}"


def test_security_headers_on_every_answer(sqlite_api: Api) -> None:
    for answer in (
        sqlite_api.client.get("/api/v1/health"),
        sqlite_api.client.get("/nowhere"),
        sqlite_api.get("analyst", f"{BASE}/balances"),
    ):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert sqlite_api.client.get("/nowhere").headers["content-type"] == "application/problem+json"


def test_bodies_over_the_limit_are_413_declared_or_streamed(sqlite_api: Api, tmp_path: Path) -> None:
    app = create_app(sqlite_api.db_url, files=tmp_path / "f", max_upload=2000)
    with TestClient(app) as client:
        headers = sqlite_api.auth("analyst")
        big = {"imports.csv": ("imports.csv", b"x" * 5000, "text/csv")}
        declared = client.post(f"{BASE}/ledger", files=big, headers=headers)
        assert declared.status_code == 413 and declared.json()["status"] == 413

        def chunks() -> Any:
            for _ in range(10):
                yield b"y" * 200_000

        streamed = client.post(
            "/api/v1/origin/qualify",
            content=chunks(),
            headers={**headers, "content-type": "application/json"},
        )
        assert streamed.status_code == 413
    assert sqlite_api.get("analyst", f"{BASE}/balances").json()["items"] == []


def test_an_unexpected_error_answers_500_without_trace_sql_or_path(
    sqlite_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> Any:
        raise RuntimeError('(psycopg.errors) SELECT * FROM "secret" -- File "/srv/immex/store.py", line 3')

    monkeypatch.setattr(stored, "balances_page", broken)  # what GET .../balances reads
    with TestClient(sqlite_api.app, raise_server_exceptions=False) as client:
        answer = client.get(f"{BASE}/balances", headers=sqlite_api.auth("analyst"))
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    for leak in ("SELECT", "secret", "/srv", "Traceback", "line 3"):
        assert leak not in answer.text


def _cli_json(args: list[str]) -> Any:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("path", "command", "case"),
    [
        ("/api/v1/origin/qualify", ["origin", "qualify", "--format", "json"], CONTRACT_CASE),
        ("/api/v1/duties/pedimento", ["duties", "pedimento", "--format", "json"], pedimento_case()),
        ("/api/v1/duties/tmec25", ["duties", "tmec25", "--format", "json"], tmec25_case()),
    ],
)
def test_cases_answer_what_the_cli_prints(
    sqlite_api: Api, tmp_path: Path, path: str, command: list[str], case: dict[str, Any]
) -> None:
    file = tmp_path / "case.json"
    file.write_text(json.dumps(case), encoding="utf-8")
    answer = sqlite_api.post(
        "auditor",
        path,
        content=file.read_bytes(),
        headers={**sqlite_api.auth("auditor"), "content-type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == _cli_json([*command, "--input", str(file)])


def test_an_invalid_case_is_422_with_its_problems(sqlite_api: Api) -> None:
    answer = sqlite_api.post("analyst", "/api/v1/duties/pedimento", json={"clave": "A1"})
    assert answer.status_code == 422 and answer.json()["errors"]
    assert sqlite_api.post("analyst", "/api/v1/origin/qualify", json={"good": {}}).status_code == 422


def test_datastage_import_then_compulsa_equal_the_cli(api: Api, tmp_path: Path) -> None:
    api.post("analyst", f"{BASE}/ledger", files=multipart(small_ledger(tmp_path / "in")))
    zip_path = tmp_path / "ds.zip"
    write_synthetic_zip(zip_path, SynthSpec(partidas=12, max_partidas_per_pedimento=4))
    started = api.post(
        "broker", f"{BASE}/datastage", files={"file": ("ds.zip", zip_path.read_bytes(), "application/zip")}
    )
    assert started.status_code == 202, started.text
    imported = api.wait("broker", started.headers["location"])
    assert imported["status"] == "done", imported
    assert imported["result"]["counts"]["551"] == 12
    assert api.post("broker", f"{BASE}/compulsa").status_code == 403
    compared = api.post("analyst", f"{BASE}/compulsa")  # the ZIP imported last
    assert compared.status_code == 202
    job = api.wait("analyst", compared.headers["location"])
    assert job["status"] == "done", job
    download = api.get("analyst", f"/api/v1/jobs/{job['id']}/files/differences.csv")
    assert download.status_code == 200
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        cli,
        [
            "datastage",
            "compulsa",
            "--datastage",
            str(zip_path),
            "--db",
            api.db_url,
            "--company",
            COMPANY_A,
            "--output",
            str(out),
            "--no-reports",
        ],
    )
    assert result.exit_code == 0, result.output
    assert download.text == (out / "differences.csv").read_text(encoding="utf-8")
    assert len(job["result"]["differences"]) == len(download.text.splitlines()) - 1 > 0
    assert api.get("auditor", f"/api/v1/jobs/{job['id']}/files/differences.csv").status_code == 404


def test_an_invalid_datastage_zip_fails_its_job_with_the_problems(sqlite_api: Api) -> None:
    started = sqlite_api.post(
        "analyst", f"{BASE}/datastage", files={"file": ("ds.zip", b"not a zip at all", "application/zip")}
    )
    job = sqlite_api.wait("analyst", started.headers["location"])
    assert job["status"] == "failed" and job["error"]["errors"]
    assert "/tmp" not in json.dumps(job) and "immex-ds-" not in json.dumps(job)


def test_origin_batch_job_qualifies_every_good_of_the_company(sqlite_api: Api, tmp_path: Path) -> None:
    from sqlalchemy.orm import Session

    from immex.api.companies import find
    from immex.ledger.service import store_ledger
    from tests.origin_records.origin_records_helpers import sample_ledger

    with Session(sqlite_api.app.state.store.engine) as session, session.begin():
        company = find(session, COMPANY_A)
        assert company is not None
        assert store_ledger(session, sample_ledger(), company.id)[1] == []
    started = sqlite_api.post(
        "auditor", f"{BASE}/origin/batch", json={"from": "2025-03-01", "to": "2025-04-30"}
    )
    assert started.status_code == 202, started.text
    job = sqlite_api.wait("auditor", started.headers["location"])
    assert job["status"] == "done", job
    result = job["result"]
    counted = sum(result[k] for k in ("originating", "not_originating", "undetermined", "errors"))
    assert result["goods"] >= 1 and result["rows"] and counted == len(result["rows"])
    assert {row["verdict"] for row in result["rows"]} <= {
        "originating",
        "not originating",
        "undetermined",
        "error",
    }
    download = sqlite_api.get("auditor", f"/api/v1/jobs/{job['id']}/files/origin.csv")
    assert len(download.text.splitlines()) == len(result["rows"]) + 1
    other = sqlite_api.post(
        "other",
        "/api/v1/companies/BMX020202AB4/origin/batch",
        json={"from": "2025-03-01", "to": "2025-04-30"},
    )
    failed = sqlite_api.wait("other", other.headers["location"])
    assert failed["status"] == "done" and failed["result"]["rows"] == []  # company A's goods stay A's
