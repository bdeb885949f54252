"""A web server over a fresh SQLite store: one analyst of company A, one of company B."""

from __future__ import annotations

import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from immex.api import companies, security, users
from immex.api.app import create_app
from immex.store.db import open_database

COMPANY_A, COMPANY_B = "ACM010101AB0", "BMX020202AB4"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True, scope="module")
def cheap_hashes() -> Iterator[None]:
    """argon2 with its cheapest parameters: the same code path, milliseconds per hash."""
    mp = pytest.MonkeyPatch()
    mp.setattr(security, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
    mp.setattr(security, "_DUMMY_HASH", security._HASHER.hash("dummy"))
    yield
    mp.undo()


_TEMPLATE: list[Path] = []


def make_app(folder: Path) -> object:
    """A store copied from one upgraded once per process (migrations take seconds)."""
    if not _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="immex-web-template-")) / "immex.db"
        open_database(f"sqlite:///{template}").dispose()
        _TEMPLATE.append(template)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE[0], folder / "immex.db")
    app = create_app(f"sqlite:///{folder / 'immex.db'}", files=folder / "files")
    with Session(app.state.store.engine) as session, session.begin():
        users.add_user(session, "ana@example.mx", "analyst", PASSWORD, [COMPANY_A], "test")
        users.add_user(session, "otro@example.mx", "analyst", PASSWORD, [COMPANY_B], "test")
        users.add_user(session, "audit@example.mx", "auditor", PASSWORD, [COMPANY_A], "test")
        for rfc, name in ((COMPANY_A, "Acme Maquila"), (COMPANY_B, "Baja Mex")):
            companies.create(session, {"rfc": rfc, "name": name}, "test")
    return app


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def log_in(client: TestClient, email: str = "ana@example.mx", password: str = PASSWORD) -> object:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"csrf": token, "email": email, "password": password}, follow_redirects=False
    )


@pytest.fixture()
def web(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(make_app(tmp_path)) as client:  # type: ignore[arg-type]
        yield client


@dataclass
class Server:
    url: str
    folder: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """uvicorn on a free loopback port in a thread (the browser needs a real socket)."""
    folder = tmp_path_factory.mktemp("web")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(make_app(folder), host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", folder)
    running.should_exit = True
    thread.join(10)
