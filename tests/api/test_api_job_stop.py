"""A stopping server does not wait for its jobs: they stop at their next step and roll back.

``immex serve`` stopped (SIGTERM, Ctrl-C) closes the job runner. A running job stops at its
next step of progress, its transaction rolls back, and it is marked failed as a restart
would mark it; a queued job never starts and is marked failed too (the contract: jobs a
restart interrupted are failed, their writes rolled back).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from immex.api.jobs import INTERRUPTED, JobContext
from immex.api.orm import JobRow, UserRow
from tests.api.conftest import COMPANY_A, Api

PROBE = "stop-probe"  # the kind of the rows the interrupted jobs write


def _count_probes(api: Api) -> int:
    with Session(api.app.state.store.engine) as session:
        return int(session.scalar(select(func.count()).where(JobRow.kind == PROBE)) or 0)


def test_closing_the_runner_stops_running_jobs_rolls_them_back_and_fails_queued_ones(api: Api) -> None:
    runner, store = api.app.state.jobs, api.app.state.store
    with Session(store.engine) as session:
        owner = session.scalar(select(UserRow.id).where(UserRow.email == "analyst@example.mx"))
    started, other_running, submitted = threading.Semaphore(0), threading.Event(), threading.Event()

    def endless(context: JobContext) -> dict[str, Any]:
        context.progress.phase("working", None)
        other_running.set()
        started.release()
        while True:
            context.progress.advance()
            time.sleep(0.005)

    def writing(context: JobContext) -> dict[str, Any]:
        # SQLite has one writer: every job stored and the other one marked running first
        submitted.wait(60)
        other_running.wait(60)
        with store.writing() as session:  # a write the stop must roll back
            session.add(JobRow(kind=PROBE, company_rfc=COMPANY_A, user_id=owner, status="done", params={}))
            session.flush()
            return endless(context)

    # the runner has 2 threads: two jobs run (one writing), the third waits in the queue
    jobs = [runner.submit(owner, "run", COMPANY_A, {}, work) for work in (writing, endless, endless)]
    submitted.set()
    assert started.acquire(timeout=60) and started.acquire(timeout=60)
    begun = time.monotonic()
    runner.close()
    assert time.monotonic() - begun < 10  # it did not wait for endless work
    assert _count_probes(api) == 0
    for job_id in jobs:
        job = api.get("analyst", f"/api/v1/jobs/{job_id}").json()
        assert job["status"] == "failed", job
        assert job["error"] == INTERRUPTED


def test_a_job_that_cannot_be_marked_running_fails_and_frees_its_company(api: Api, monkeypatch: Any) -> None:
    """The store refusing the 'running' mark (SQLite's writer busy past its timeout) fails the job
    with its reason; the company's next run is accepted instead of a 409 until a restart."""
    runner, store = api.app.state.jobs, api.app.state.store
    with Session(store.engine) as session:
        owner = session.scalar(select(UserRow.id).where(UserRow.email == "analyst@example.mx"))
    refused = threading.Event()

    def busy(job_id: int) -> None:
        refused.set()
        raise OperationalError("UPDATE job", {}, Exception("database is locked"))

    monkeypatch.setattr(runner, "_mark_running", busy)
    first = runner.submit(owner, "run", COMPANY_A, {}, lambda context: {}, exclusive=True)
    assert refused.wait(30)
    deadline = time.monotonic() + 30
    while (job := api.get("analyst", f"/api/v1/jobs/{first}").json())["status"] != "failed":
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    monkeypatch.undo()
    second = runner.submit(owner, "run", COMPANY_A, {}, lambda context: {"ok": True}, exclusive=True)
    deadline = time.monotonic() + 30
    while (job := api.get("analyst", f"/api/v1/jobs/{second}").json())["status"] != "done":
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    assert job["result"] == {"ok": True}
