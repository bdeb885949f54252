"""An API server (in process) over a fresh store, with one user per role and two companies.

``api`` runs every test that takes it on SQLite and on PostgreSQL (through ``db_url``).
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from immex.api import companies, security, users
from immex.api.app import create_app
from immex.store.db import open_database

COMPANY_A, COMPANY_B = "ACM010101AB0", "BMX020202AB4"
PASSWORD = "correct horse battery"
# who → (role, companies granted)
PEOPLE = {
    "admin": ("admin", []),
    "analyst": ("analyst", [COMPANY_A]),
    "auditor": ("auditor", [COMPANY_A]),
    "broker": ("broker", [COMPANY_A]),
    "other": ("analyst", [COMPANY_B]),
}


@dataclass
class Api:
    client: TestClient
    app: Any
    db_url: str
    files: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.auth(who), **kw)

    def post(self, who: str, path: str, **kw: Any) -> Any:
        headers = {**self.auth(who), **kw.pop("headers", {})}
        return self.client.post(path, headers=headers, **kw)

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return self.client.post("/api/v1/auth/token", data={"username": email, "password": password})

    def wait(self, who: str, location: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll a job until it is done or failed."""
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.get(who, location).json()
            if job["status"] in ("done", "failed") or time.monotonic() > deadline:
                return job
            time.sleep(0.05)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its cheapest parameters in tests: the same code path, milliseconds per hash."""
    monkeypatch.setattr(security, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
    monkeypatch.setattr(security, "_DUMMY_HASH", security._HASHER.hash("dummy"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite store with the schema upgraded once, copied for each test (migrations take seconds)."""
    path = tmp_path_factory.mktemp("template") / "immex.db"
    open_database(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str) -> str:
    """A PostgreSQL database with the schema upgraded once, the template of each test's database."""
    name = f"api_template_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base, _, _ = pg_server_url.rpartition("/")
    open_database(f"{base}/{name}").dispose()
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like the suite's ``db_url``, but each store starts as a copy of an upgraded template."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "immex.db")
        yield f"sqlite:///{tmp_path / 'immex.db'}"
        return
    server, template = request.getfixturevalue("pg_server_url"), request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    base, _, _ = server.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_api(db_url: str, files: Path, template: Path | None = None) -> Iterator[Api]:
    target = Path(db_url.removeprefix("sqlite:///"))
    if template is not None and db_url.startswith("sqlite:///") and not target.exists():
        shutil.copyfile(template, target)
    app = create_app(db_url, files=files)
    with Session(app.state.store.engine) as session, session.begin():
        for who, (role, granted) in PEOPLE.items():
            users.add_user(session, f"{who}@example.mx", role, PASSWORD, granted, "test")
        for rfc, name in ((COMPANY_A, "Acme Maquila"), (COMPANY_B, "Baja Mex")):
            companies.create(session, {"rfc": rfc, "name": name}, "test")
    with TestClient(app) as client:
        api = Api(client, app, db_url, files)
        for who in PEOPLE:
            response = api.login(f"{who}@example.mx")
            assert response.status_code == 200, response.text
            api.tokens[who] = response.json()["access_token"]
        yield api


@pytest.fixture()
def api(db_url: str, tmp_path: Path, sqlite_template: Path) -> Iterator[Api]:
    yield from make_api(db_url, tmp_path / "files", sqlite_template)


@pytest.fixture()
def sqlite_api(tmp_path: Path, sqlite_template: Path) -> Iterator[Api]:
    """SQLite only: for tests of the HTTP layer that the store does not change."""
    yield from make_api(f"sqlite:///{tmp_path / 'immex.db'}", tmp_path / "files", sqlite_template)
