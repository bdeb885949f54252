"""Shared fixtures: database URLs for SQLite and a real PostgreSQL server on loopback.

``db_url`` is parametrized over both stores, so a test that takes it runs twice.
PostgreSQL is the server from ``IMMEX_TEST_PG_URL`` when set (CI may start one),
otherwise the fixture starts a throw-away cluster with the Debian binaries on
a free loopback port and stops it at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

# Timing is measured in benchmarks/, never asserted: no per-example deadline, which a
# loaded 2-core CI machine would turn into flaky failures.
settings.register_profile("immex", deadline=None)
settings.load_profile("immex")


def _pg_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres_user(args: list[str]) -> list[str]:
    """initdb refuses to run as root: drop to the ``postgres`` system user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    given = os.environ.get("IMMEX_TEST_PG_URL")
    if given:
        yield given
        return
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL binaries not found: install postgresql (see .ci/run)")
    workdir = Path(tempfile.mkdtemp(prefix="immex-pg-"))
    datadir = workdir / "data"
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    subprocess.run(
        _as_postgres_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                "immex",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ]
        ),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={workdir} -c fsync=off"
    subprocess.run(
        _as_postgres_user(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(datadir),
                "-o",
                opts,
                "-l",
                str(workdir / "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://immex@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres_user([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = pg_server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'immex.db'}"
    return str(request.getfixturevalue("pg_url"))
