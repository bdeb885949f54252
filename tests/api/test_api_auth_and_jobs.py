"""Tokens, disabled users, login rate limiting, users over HTTP, and jobs (409, restart, owner)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from immex.api.jobs import fail_interrupted
from immex.api.orm import JobRow
from immex.cli import app as cli
from tests.api.conftest import COMPANY_A, PASSWORD, Api
from tests.api.ledgers import multipart, small_ledger

BASE = f"/api/v1/companies/{COMPANY_A}"


def test_health_and_openapi_need_no_token(sqlite_api: Api) -> None:
    assert sqlite_api.client.get("/api/v1/health").json() == {"status": "ok"}
    document = sqlite_api.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/companies/{rfc}/exports/{pedimento}/{line}/trace" in document["paths"]


def test_wrong_password_and_unknown_user_get_the_same_401(sqlite_api: Api) -> None:
    wrong = sqlite_api.login("analyst@example.mx", "not the password")
    unknown = sqlite_api.login("nobody@example.mx", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["content-type"] == "application/problem+json"


def test_token_answer_and_me(sqlite_api: Api) -> None:
    answer = sqlite_api.login("Analyst@Example.mx")
    assert answer.json()["token_type"] == "bearer" and answer.json()["expires_in"] > 0
    assert sqlite_api.get("analyst", "/api/v1/me").json() == {
        "email": "analyst@example.mx",
        "role": "analyst",
        "companies": [COMPANY_A],
    }


def test_a_disabled_users_token_stops_working_at_once(sqlite_api: Api) -> None:
    assert sqlite_api.get("auditor", "/api/v1/me").status_code == 200
    result = CliRunner().invoke(cli, ["user", "disable", "auditor@example.mx", "--db", sqlite_api.db_url])
    assert result.exit_code == 0, result.output
    assert sqlite_api.get("auditor", "/api/v1/me").status_code == 401
    assert sqlite_api.login("auditor@example.mx").status_code == 401


def test_repeated_failed_logins_are_slowed_down(sqlite_api: Api) -> None:
    for _ in range(10):
        assert sqlite_api.login("broker@example.mx", "guess guess guess").status_code == 401
    blocked = sqlite_api.login("broker@example.mx")  # even the right password waits now
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert sqlite_api.login("analyst@example.mx").status_code == 200  # another user is not blocked


def test_admin_manages_users_and_grants_over_http(api: Api) -> None:
    created = api.post(
        "admin",
        "/api/v1/users",
        json={"email": "new@example.mx", "role": "auditor", "password": PASSWORD, "companies": [COMPANY_A]},
    )
    assert created.status_code == 201, created.text
    assert (
        api.post(
            "admin",
            "/api/v1/users",
            json={"email": "new@example.mx", "role": "auditor", "password": PASSWORD},
        ).status_code
        == 409
    )
    short = api.post(
        "admin", "/api/v1/users", json={"email": "x@example.mx", "role": "auditor", "password": "short"}
    )
    assert short.status_code == 422 and short.json()["errors"][0]["column"] == "password"
    changed = api.client.patch(
        "/api/v1/users/new@example.mx",
        headers=api.auth("admin"),
        json={"revoke": [COMPANY_A], "disabled": True},
    )
    assert changed.json()["grants"] == [] and changed.json()["disabled"] is True
    assert api.login("new@example.mx").status_code == 401
    assert (
        api.client.patch(
            "/api/v1/users/ghost@example.mx", headers=api.auth("admin"), json={"disabled": True}
        ).status_code
        == 404
    )
    actions = [e["action"] for e in api.get("admin", f"{BASE}/audit").json()["items"]]
    assert actions[:2] == ["grant.revoke", "grant.add"]


def test_a_company_with_a_bad_rfc_is_422_and_a_second_one_409(sqlite_api: Api) -> None:
    bad = sqlite_api.post("admin", "/api/v1/companies", json={"rfc": "ACM010101AB1", "name": "X"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["column"] == "rfc"
    good = sqlite_api.post("admin", "/api/v1/companies", json={"rfc": "CIN030303AB7", "name": "Cinco"})
    assert good.status_code == 201 and good.json()["rfc"] == "CIN030303AB7"
    again = sqlite_api.post("admin", "/api/v1/companies", json={"rfc": "cin030303ab7", "name": "Cinco"})
    assert again.status_code == 409
    listed = sqlite_api.get("admin", "/api/v1/companies", params={"format": "csv"})
    assert listed.headers["content-disposition"].startswith("attachment")
    assert [line.split(",")[0] for line in listed.text.splitlines()] == [
        "rfc",
        "ACM010101AB0",
        "BMX020202AB4",
        "CIN030303AB7",
    ]
    first = sqlite_api.get("admin", "/api/v1/companies", params={"limit": 2}).json()
    rest = sqlite_api.get("admin", "/api/v1/companies", params={"cursor": first["next_cursor"]}).json()
    assert [c["rfc"] for c in first["items"] + rest["items"]] == [
        "ACM010101AB0",
        "BMX020202AB4",
        "CIN030303AB7",
    ]
    assert rest["next_cursor"] is None


def test_a_second_run_while_one_is_queued_or_running_is_409(api: Api, tmp_path: Path) -> None:
    api.post("analyst", f"{BASE}/ledger", files=multipart(small_ledger(tmp_path / "in")))
    gate = threading.Event()
    runner = api.app.state.jobs
    first = api.post("analyst", f"{BASE}/runs", json={"method": "fifo"})
    api.wait("analyst", first.headers["location"])
    owner = _job(api, first.json()["job"])["user_id"]
    blocking = runner.submit(owner, "run", COMPANY_A, {}, lambda _c: gate.wait(30) and {}, exclusive=True)
    try:
        second = api.post("analyst", f"{BASE}/runs", json={"method": "fifo"})
        assert second.status_code == 409, second.text
        assert second.headers["content-type"] == "application/problem+json"
        assert api.post("admin", "/api/v1/companies/BMX020202AB4/runs", json={}).status_code == 202
    finally:
        gate.set()
    assert api.wait("analyst", f"/api/v1/jobs/{blocking}")["status"] == "done"
    third = api.post("analyst", f"{BASE}/runs", json={"method": "lifo"})
    assert third.status_code == 202
    assert api.wait("analyst", third.headers["location"])["status"] == "done"


def _job(api: Api, job_id: int) -> dict[str, Any]:
    with Session(api.app.state.store.engine) as session:
        job = session.get(JobRow, job_id)
        assert job is not None
        return {"user_id": job.user_id, "status": job.status}


def test_jobs_a_restart_interrupted_are_failed_and_other_users_jobs_are_404(api: Api, tmp_path: Path) -> None:
    api.post("analyst", f"{BASE}/ledger", files=multipart(small_ledger(tmp_path / "in")))
    started = api.post("analyst", f"{BASE}/runs", json={"method": "fifo"})
    api.wait("analyst", started.headers["location"])
    owner = _job(api, started.json()["job"])["user_id"]
    with Session(api.app.state.store.engine) as session, session.begin():
        stuck = JobRow(
            kind="run",
            company_rfc=COMPANY_A,
            user_id=owner,
            status="running",
            params={},
            active_key=f"run:{COMPANY_A}",
        )
        session.add(stuck)
        session.flush()
        stuck_id = stuck.id
    assert api.post("analyst", f"{BASE}/runs", json={}).status_code == 409
    assert fail_interrupted(api.app.state.store) == 1  # what `immex serve` does before serving
    job = api.get("analyst", f"/api/v1/jobs/{stuck_id}").json()
    assert job["status"] == "failed" and "rolled back" in job["error"]["detail"]
    assert api.post("analyst", f"{BASE}/runs", json={}).status_code == 202
    assert api.get("auditor", f"/api/v1/jobs/{stuck_id}").status_code == 404
    assert api.get("admin", f"/api/v1/jobs/{stuck_id}").status_code == 200


def test_a_failed_job_reports_the_problems(sqlite_api: Api) -> None:
    answer = sqlite_api.post("analyst", f"{BASE}/runs", json={"method": "average-ish"})
    assert answer.status_code == 422 and answer.json()["errors"][0]["column"] == "method"
