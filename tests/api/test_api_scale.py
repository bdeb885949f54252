"""The server under load and failure: its connection pool, 503 with Retry-After when the
database is busy or gone, runs recorded as the API user's, and a login limit that two
server processes on one store share."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from immex.api.app import create_app
from immex.api.store import POOL_SIZE_ENV, POOL_TIMEOUT_ENV, WORKERS_ENV, pool_settings
from tests.api.conftest import COMPANY_A, PASSWORD, Api, make_api
from tests.api.ledgers import AS_OF, multipart, small_ledger

BASE = f"/api/v1/companies/{COMPANY_A}"


def test_the_pool_is_sized_from_the_worker_count_and_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POOL_SIZE_ENV, raising=False)
    monkeypatch.delenv(POOL_TIMEOUT_ENV, raising=False)
    monkeypatch.setenv(WORKERS_ENV, "4")
    assert pool_settings()["pool_size"] == 15  # 60 connections shared by 4 processes
    assert pool_settings(1)["pool_size"] == 20 and pool_settings(60)["pool_size"] == 2
    assert pool_settings()["max_overflow"] == 0 and pool_settings()["pool_timeout"] == 10.0
    assert pool_settings()["pool_use_lifo"] is True  # a few warm connections while not busy
    monkeypatch.setenv(POOL_SIZE_ENV, "7")
    monkeypatch.setenv(POOL_TIMEOUT_ENV, "0.5")
    assert pool_settings()["pool_size"] == 7 and pool_settings()["pool_timeout"] == 0.5
    monkeypatch.setenv(POOL_SIZE_ENV, "many")  # nonsense keeps the default
    assert pool_settings(1)["pool_size"] == 20


@pytest.fixture()
def tiny_pool_api(
    db_url: str, tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Api]:
    """The API on PostgreSQL with a pool of 2 connections and a 0.3 s wait for one."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the server's pool is sized on PostgreSQL; SQLite keeps SQLAlchemy's default")
    monkeypatch.setenv(POOL_SIZE_ENV, "2")
    monkeypatch.setenv(POOL_TIMEOUT_ENV, "0.3")
    yield from make_api(db_url, tmp_path / "files", sqlite_template)


def test_an_exhausted_pool_answers_503_with_retry_after_then_recovers(tiny_pool_api: Api) -> None:
    api = tiny_pool_api
    engine = api.app.state.store.engine
    assert engine.pool.size() == 2
    held = [engine.connect() for _ in range(2)]  # every connection of the server is in use
    try:
        busy = api.get("auditor", f"{BASE}/balances")
        assert busy.status_code == 503
        assert busy.headers["content-type"] == "application/problem+json"
        assert int(busy.headers["retry-after"]) > 0
        body = busy.json()
        assert body["status"] == 503 and "busy" in body["detail"]
        assert "QueuePool" not in busy.text and "SELECT" not in busy.text
    finally:
        for connection in held:
            connection.close()
    assert api.get("auditor", f"{BASE}/balances").status_code == 200


def test_an_unreachable_database_answers_503_with_retry_after(api: Api, tmp_path: Path) -> None:
    store = api.app.state.store
    working = store.engine
    if store.url.startswith("postgresql"):
        store.engine = create_engine("postgresql+psycopg://immex@127.0.0.1:9/gone", pool_pre_ping=True)
    else:
        store.engine = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'immex.db'}")
    try:
        answer = api.get("auditor", f"{BASE}/balances")
    finally:
        store.engine.dispose()
        store.engine = working
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["retry-after"]) > 0
    assert answer.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in answer.text and str(tmp_path) not in answer.text


def test_a_run_and_its_reversal_over_the_api_are_recorded_as_its_user(api: Api, tmp_path: Path) -> None:
    uploaded = api.post("analyst", f"{BASE}/ledger", files=multipart(small_ledger(tmp_path / "in")))
    assert uploaded.status_code == 201
    started = api.post("analyst", f"{BASE}/runs", json={"method": "fifo", "as_of": AS_OF})
    assert api.wait("analyst", started.headers["location"])["status"] == "done"
    runs = api.get("auditor", f"{BASE}/runs").json()["items"]
    assert [r["created_by"] for r in runs] == ["analyst@example.mx"]
    run_id = runs[0]["run_id"]
    reversed_ = api.post("analyst", f"{BASE}/runs/{run_id}/reverse", json={"reason": "wrong as_of"})
    assert reversed_.status_code == 200, reversed_.text
    runs = api.get("auditor", f"{BASE}/runs").json()["items"]
    assert [(r["reversed_by"], r["reversal_reason"]) for r in runs] == [("analyst@example.mx", "wrong as_of")]


def test_two_server_processes_on_one_store_share_the_login_limit(api: Api, tmp_path: Path) -> None:
    """Failures spread over two apps (two processes of ``immex serve --workers 2``) add up."""
    other = create_app(api.db_url, files=tmp_path / "other-files")
    with TestClient(other) as second:
        servers = [api.client, second]

        def login(client: TestClient, who: str, password: str) -> Any:
            form = {"username": f"{who}@example.mx", "password": password}
            return client.post("/api/v1/auth/token", data=form)

        for attempt in range(10):  # the limit is 10 failures per e-mail: 5 on each server
            assert login(servers[attempt % 2], "broker", "x" * 12).status_code == 401
        for client in servers:
            blocked = login(client, "broker", PASSWORD)  # even the right password waits now
            assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert login(second, "analyst", PASSWORD).status_code == 200


def test_balance_pages_over_http_concatenated_equal_the_runs_balances_csv(api: Api, tmp_path: Path) -> None:
    uploaded = api.post("analyst", f"{BASE}/ledger", files=multipart(small_ledger(tmp_path / "in")))
    assert uploaded.status_code == 201
    started = api.post("analyst", f"{BASE}/runs", json={"method": "fifo", "as_of": AS_OF})
    job = api.wait("analyst", started.headers["location"])
    written = api.get("analyst", f"/api/v1/jobs/{job['id']}/files/balances.csv")
    assert written.status_code == 200
    expected = list(csv.DictReader(io.StringIO(written.text)))
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 1, "as_of": AS_OF, **({"cursor": cursor} if cursor else {})}
        page = api.get("auditor", f"{BASE}/balances", params=params).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(items) == len(expected) == 3
    for mine, theirs in zip(items, expected, strict=True):
        for name, value in theirs.items():
            got = "" if mine[name] is None else str(mine[name])
            if name.startswith("qty_"):
                assert Decimal(got) == Decimal(value), name
            else:
                assert got == value, name
