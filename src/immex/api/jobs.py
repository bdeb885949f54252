"""Background jobs: stored, run on a small thread pool, with live progress.

A job row is written ``queued`` before the work is handed to the pool, so a restart finds
every job that did not finish and marks it failed (:func:`fail_interrupted`); the work's
own writes happen in one transaction that an interrupted process never committed.
A discharge run takes the company's ``active_key``: a unique column, so a second run of
the same company (from any server process) fails to insert and answers 409.

A server that stops (``immex serve`` on SIGTERM or Ctrl-C) does not wait for its jobs to
finish, which at plant size can take many minutes: a running job stops at its next step of
progress (:class:`JobStopped`), its transaction rolls back and it is marked failed, as a
restart would mark it (the contract: jobs a restart interrupted are failed, their writes
rolled back); jobs still queued are marked failed without starting.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from immex.api.orm import JobRow, now
from immex.api.problems import ApiProblem, problem_rows
from immex.api.store import Store
from immex.core.problems import InputError
from immex.core.progress import Progress
from immex.store.errors import StoreBusy, store_message

log = logging.getLogger("immex.api.jobs")
UNFINISHED = ("queued", "running")
SAVE_EVERY_S = 1.0


@dataclass
class LiveState:
    phase: str = ""
    done: int = 0
    total: int | None = None


# What a job that a stopped server interrupted says (at the stop, or found by the next start).
INTERRUPTED: dict[str, Any] = {
    "title": "Interrupted",
    "status": 500,
    "detail": "the server stopped before the job finished; its writes were rolled back: start it again",
}


class JobStopped(BaseException):
    """Raised in a job's thread at its next step of progress once the server is stopping.

    A BaseException, as asyncio's CancelledError: the work's own ``except Exception``
    handlers do not take it for a failure of theirs, and every transaction it passes
    through rolls back (they roll back on any exception).
    """


class JobProgress(Progress):
    """Keeps the job's current step in memory (what GET answers in this process) and, on a
    server store, saves it to the job row at most once a second for other processes.
    Each step first checks that the server is not stopping (else :class:`JobStopped`).

    SQLite allows one writer: the job's own transaction holds it, so the row is not updated
    there while the job runs (the in-memory state is what a one-process server answers).
    """

    def __init__(
        self, store: Store, job_id: int, state: LiveState, stopping: threading.Event | None = None
    ) -> None:
        self.store, self.job_id, self.state = store, job_id, state
        self.stopping = stopping or threading.Event()
        self.saved_at = 0.0
        self.shared = store.engine.dialect.name != "sqlite"

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        self.go_on()
        self.state.phase, self.state.done, self.state.total = name, 0, total
        self._save(force=True)

    def advance(self, n: int = 1) -> None:
        self.go_on()
        self.state.done += n
        self._save()

    def go_on(self) -> None:
        """Raise :class:`JobStopped` once the server is stopping."""
        if self.stopping.is_set():
            raise JobStopped

    def _save(self, force: bool = False) -> None:
        if not self.shared or (not force and time.monotonic() - self.saved_at < SAVE_EVERY_S):
            return
        self.saved_at = time.monotonic()
        try:
            with self.store.writing() as session:
                session.execute(
                    update(JobRow)
                    .where(JobRow.id == self.job_id)
                    .values(
                        phase=self.state.phase[:200],
                        done=self.state.done,
                        total=self.state.total,
                        updated_at=now(),
                    )
                )
        except Exception:  # progress is advisory: never let it break the work
            log.warning("could not save the progress of job %s", self.job_id, exc_info=True)


@dataclass(frozen=True)
class JobContext:
    job_id: int
    folder: Path
    progress: JobProgress


Work = Callable[[JobContext], dict[str, Any]]


class JobRunner:
    def __init__(self, store: Store, files: Path, workers: int = 2) -> None:
        self.store, self.files = store, files
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="immex-job")
        self.live: dict[int, LiveState] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def folder(self, job_id: int) -> Path:
        return self.files / "jobs" / str(job_id)

    def submit(
        self,
        user_id: int,
        kind: str,
        company: str | None,
        params: dict[str, Any],
        work: Work,
        exclusive: bool = False,
    ) -> int:
        """Store the job (``exclusive``: one unfinished job of this kind per company, else 409)."""
        key = f"{kind}:{company}" if exclusive else None
        try:
            with self.store.writing() as session:
                job = JobRow(
                    kind=kind,
                    company_rfc=company,
                    user_id=user_id,
                    status="queued",
                    params=params,
                    active_key=key,
                )
                session.add(job)
                session.flush()
                job_id = job.id
        except IntegrityError:
            raise ApiProblem(
                409, f"a {kind} of company {company} is already queued or running; wait for it to finish"
            ) from None
        with self.lock:
            self.live[job_id] = LiveState("queued")
        self.folder(job_id).mkdir(parents=True, exist_ok=True)
        self.pool.submit(self._run, job_id, work)
        return job_id

    def _finish(self, job_id: int, **values: Any) -> None:
        with self.store.writing() as session:
            session.execute(
                update(JobRow).where(JobRow.id == job_id).values(active_key=None, updated_at=now(), **values)
            )

    def _run(self, job_id: int, work: Work) -> None:
        state = self.live[job_id]
        progress = JobProgress(self.store, job_id, state, self.stopping)
        context = JobContext(job_id, self.folder(job_id), progress)
        try:
            # inside the try: a job that cannot even be marked running (SQLite's one writer busy
            # past its timeout) is failed and frees its company, instead of staying queued
            self._mark_running(job_id)
            progress.go_on()  # a job the stop caught before it began does not begin
            result = work(context)
        except JobStopped:
            self._finish(job_id, status="failed", phase=state.phase[:200], error=INTERRUPTED)
        except InputError as error:
            self._finish(
                job_id,
                status="failed",
                phase=state.phase[:200],
                done=state.done,
                total=state.total,
                error={
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": f"{len(error.problems)} input problem(s); nothing was stored",
                    "errors": problem_rows(error.problems),
                },
            )
        except Exception as error:
            self._finish(
                job_id,
                status="failed",
                phase=state.phase[:200],
                done=state.done,
                total=state.total,
                error=_unexpected(job_id, error),
            )
        else:
            self._finish(
                job_id,
                status="done",
                result=result,
                phase=state.phase[:200],
                done=state.done,
                total=state.total,
            )
        finally:
            with self.lock:
                self.live.pop(job_id, None)

    def _mark_running(self, job_id: int) -> None:
        with self.store.writing() as session:
            session.execute(
                update(JobRow).where(JobRow.id == job_id).values(status="running", updated_at=now())
            )

    def state_of(self, job: JobRow) -> dict[str, Any]:
        """The job as the API shows it, with this process's live progress when it runs here."""
        live = self.live.get(job.id)
        phase, done, total = (live.phase, live.done, live.total) if live else (job.phase, job.done, job.total)
        return {
            "id": job.id,
            "kind": job.kind,
            "company": job.company_rfc,
            "status": job.status,
            "progress": {"phase": phase, "done": done, "total": total},
            "result": job.result,
            "error": job.error,
            "created_at": _iso(job.created_at),
            "updated_at": _iso(job.updated_at),
        }

    def close(self) -> None:
        """Stop: running jobs stop at their next step and roll back, queued ones never start;
        every one of them is marked failed (:data:`INTERRUPTED`)."""
        self.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        with self.lock:
            never_started = list(self.live)  # a job that ran left ``live`` when it ended
            self.live.clear()
        for job_id in never_started:
            self._finish(job_id, status="failed", error=INTERRUPTED)


def _iso(moment: Any) -> str:
    import datetime as dt

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return str(moment.isoformat(timespec="seconds"))


def _unexpected(job_id: int, error: Exception) -> dict[str, Any]:
    """The problem document of a job stopped by an exception: a store message when it is one
    (busy, disk full...: what to do), else only that it was logged; never the SQL or a path."""
    known = store_message(error)
    if isinstance(error, StoreBusy):
        return {"title": "Conflict", "status": 409, "detail": known}
    if known is not None:
        log.warning("job %s failed: %s", job_id, known)
        return {"title": "Service Unavailable", "status": 503, "detail": known}
    log.exception("job %s failed", job_id, exc_info=error)
    return {
        "title": "Internal Server Error",
        "status": 500,
        "detail": "the job stopped on an unexpected error; it was logged and its writes were rolled back",
    }


def fail_interrupted(store: Store) -> int:
    """Mark failed the jobs a stopped server left queued or running (their work was never committed)."""
    with store.writing() as session:
        result = session.execute(
            update(JobRow)
            .where(JobRow.status.in_(UNFINISHED))
            .values(
                status="failed",
                active_key=None,
                updated_at=now(),
                error=INTERRUPTED,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def remove_files(files: Path, job_id: int) -> None:
    shutil.rmtree(files / "jobs" / str(job_id), ignore_errors=True)
