"""The real server process: ``immex serve`` started, stopped hard mid-run, and started again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from immex.api.jobs import INTERRUPTED
from immex.api.orm import AuditRow, JobRow
from immex.cli import app as cli
from immex.ledger.orm import AllocationRow, DischargeRunRow
from immex.store.db import open_database
from tests.api.conftest import COMPANY_A, PASSWORD
from tests.ledger.ledger_files import exp, imp, part, write_ledger

pytestmark = pytest.mark.slow


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(db: str, files: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _port()
    env = {**os.environ, "IMMEX_FILES": str(files)}
    log = (files.parent / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from immex.cli import main; main()",
            "serve",
            "--db",
            db,
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the server did not start:\n" + Path(log.name).read_text()[-3000:])
            time.sleep(0.2)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(60)  # its jobs stop at their next step: seconds, whatever their size
        log.close()


def _big_ledger(folder: Path, lots: int) -> Path:
    days = [f"2025-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    imports = [imp(f"25 47 3456 5{i:06d}", 1, f"P{i % 50}", "10", days[i % 100]) for i in range(lots)]
    exports = [exp(f"25 47 3456 6{i:06d}", 1, f"P{i % 50}", "3", days[100 + i % 200]) for i in range(lots)]
    return write_ledger(folder, [part(f"P{i}") for i in range(50)], imports, exports)


def _count(db: str, model: Any) -> int:
    engine = open_database(db)
    with Session(engine) as session:
        value = int(session.scalar(select(func.count()).select_from(model)) or 0)
    engine.dispose()
    return value


def test_a_run_interrupted_by_a_hard_stop_is_failed_and_left_nothing(tmp_path: Path) -> None:
    db, files = f"sqlite:///{tmp_path / 's.db'}", tmp_path / "files"
    for email, role in (("admin@example.mx", "admin"), ("ana@example.mx", "analyst")):
        added = CliRunner().invoke(
            cli,
            ["user", "add", email, "--role", role, "--company", COMPANY_A, "--password-stdin", "--db", db],
            input=PASSWORD + "\n",
        )
        assert added.exit_code == 0, added.output
    folder = _big_ledger(tmp_path / "in", 20_000)
    with server(db, files) as (base, process):
        admin = _login(base, "admin@example.mx")
        assert (
            httpx.post(
                f"{base}/api/v1/companies", json={"rfc": COMPANY_A, "name": "Acme"}, headers=admin
            ).status_code
            == 201
        )
        ana = _login(base, "ana@example.mx")
        payload = {
            n: (n, (folder / n).read_bytes(), "text/csv")
            for n in ("parts.csv", "imports.csv", "exports.csv", "bom.csv")
        }
        uploaded = httpx.post(
            f"{base}/api/v1/companies/{COMPANY_A}/ledger", files=payload, headers=ana, timeout=300
        )
        assert uploaded.status_code == 201, uploaded.text
        started = httpx.post(
            f"{base}/api/v1/companies/{COMPANY_A}/runs", json={"method": "lifo"}, headers=ana
        )
        location = base + started.headers["location"]
        while (job := httpx.get(location, headers=ana).json())["status"] == "queued":
            time.sleep(0.01)
        assert job["status"] == "running", job
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    assert _count(db, DischargeRunRow) == 0 and _count(db, AllocationRow) == 0
    with server(db, files) as (base, _process):
        ana = _login(base, "ana@example.mx")
        job = httpx.get(location.replace(location.split("/api/")[0], base), headers=ana).json()
        assert job["status"] == "failed" and "rolled back" in job["error"]["detail"]
        again = httpx.post(f"{base}/api/v1/companies/{COMPANY_A}/runs", json={"method": "fifo"}, headers=ana)
        assert again.status_code == 202  # the interrupted run no longer blocks the company
        second = base + again.headers["location"]
        while (job := httpx.get(second, headers=ana).json())["status"] == "queued":
            time.sleep(0.01)
        assert job["status"] == "running", job
    # SIGTERM mid-run: the server stopped without waiting for the run (server() waits for the
    # process), which rolled back and is failed as a restart would find it
    assert _count(db, DischargeRunRow) == 0 and _count(db, AllocationRow) == 0
    engine = open_database(db)
    with Session(engine) as session:
        stopped = session.get(JobRow, int(second.rsplit("/", 1)[1]))
        assert stopped is not None and stopped.status == "failed" and stopped.error == INTERRUPTED
    engine.dispose()
    assert _count(db, AuditRow) >= 3


def _login(base: str, email: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}
