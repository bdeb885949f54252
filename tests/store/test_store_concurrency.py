"""Two writers at once (issue 15, point 1): nothing doubled, nothing lost, on SQLite and PostgreSQL.

Each scenario starts two threads at a barrier so the commands really overlap,
then checks the invariants of the stored allocation ledger: no import line
discharged beyond its quantity, no requirement allocated twice, and the
stored discharge equal to the discharge of everything stored, done once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from immex.cli import app
from immex.datastage.service import import_datastage
from immex.discharge.adjust import record_adjustment
from immex.discharge.methods import discharge
from immex.discharge.service import reverse_run, run_discharge, stored_result
from immex.ledger.invariants import doubled_requirements, overdrawn_lines
from immex.ledger.orm import DischargeRunRow
from immex.ledger.service import company_id, load_ledger
from immex.store.errors import StoreBusy
from immex.store.uow import UnitOfWork
from tests.datastage.helpers import small_lines, zip_of
from tests.ledger.ledger_files import exp, imp, part, write_ledger

AS_OF = "2025-12-31"
PARTS = [part(f"P{p}") for p in range(4)]


def _imports() -> list[dict[str, str]]:
    return [imp(f"25 47 3456 5{n:06d}", 1, f"P{n % 4}", "10", f"2025-01-{1 + n % 28:02d}") for n in range(40)]


def _exports(first: int, count: int) -> list[dict[str, str]]:
    return [
        exp(f"25 47 3456 6{n:06d}", 1, f"P{n % 4}", "7", f"2025-03-{1 + n % 28:02d}")
        for n in range(first, first + count)
    ]


def _folder(path: Path, exports: list[dict[str, str]]) -> Path:
    return write_ledger(path, PARTS, _imports(), exports)


def _together(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs on threads released at the same instant; results (or exceptions) in order."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = job()
        except Exception as error:  # returned, so the test can assert what it was
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def _run(folder: Path, out: Path, db_url: str) -> dict[str, Any]:
    import datetime as dt

    return run_discharge(folder, out, "fifo", dt.date.fromisoformat(AS_OF), db_url).run


def assert_store_sound(db_url: str) -> None:
    """Invariants after a scenario, and the stored discharge equal to one discharge of the stored ledger."""
    with UnitOfWork(db_url) as uow:
        company = company_id(uow.session, uow.company, create=False)
        assert overdrawn_lines(uow.session, company) == []
        assert doubled_requirements(uow.session, company) == []
        ledger = load_ledger(uow.session, company)
        stored = stored_result(uow.session, company)
    once = discharge(ledger, "fifo")
    assert sorted(stored.allocations, key=repr) == sorted(once.allocations, key=repr)
    assert sorted(stored.shortfalls, key=repr) == sorted(once.shortfalls, key=repr)


def _runs(db_url: str) -> int:
    with UnitOfWork(db_url) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(DischargeRunRow)) or 0)


def test_two_runs_with_disjoint_new_exports_allocate_each_lot_once(tmp_path: Path, db_url: str) -> None:
    _run(_folder(tmp_path / "base", _exports(0, 10)), tmp_path / "o0", db_url)
    a = _folder(tmp_path / "a", _exports(0, 10) + _exports(10, 20))
    b = _folder(tmp_path / "b", _exports(0, 10) + _exports(30, 20))
    results = _together(lambda: _run(a, tmp_path / "oa", db_url), lambda: _run(b, tmp_path / "ob", db_url))
    assert all(isinstance(r, dict) for r in results), results
    assert_store_sound(db_url)
    assert _runs(db_url) == 3


@pytest.mark.parametrize("change", ["reverse", "adjust"])
def test_the_same_input_twice_at_once_records_one_run(tmp_path: Path, db_url: str, change: str) -> None:
    folder = _folder(tmp_path / "in", _exports(0, 30))
    _run(folder, tmp_path / "o0", db_url)
    if change == "reverse":
        reverse_run(db_url, 1, "wrong input")
        expected_reuse = [False, True]  # one of the two records run 2, the other reuses it
    else:
        # The oldest lot is allocated: the adjustment re-discharges at once (run 2), so both reuse it.
        repaired = record_adjustment(db_url, "25 47 3456 5000000", 1, "P0", "2", "destroyed")
        assert repaired.rerun_id == 2
        expected_reuse = [True, True]
    results = _together(
        lambda: _run(folder, tmp_path / "o1", db_url), lambda: _run(folder, tmp_path / "o2", db_url)
    )
    assert all(isinstance(r, dict) for r in results), results
    assert sorted(r["reused_existing_run"] for r in results) == expected_reuse
    assert _runs(db_url) == 2
    assert_store_sound(db_url)


def test_a_run_and_a_reversal_at_once_leave_a_sound_store(tmp_path: Path, db_url: str) -> None:
    _run(_folder(tmp_path / "base", _exports(0, 10)), tmp_path / "o0", db_url)
    later = _folder(tmp_path / "later", _exports(0, 30))
    results = _together(lambda: _run(later, tmp_path / "o1", db_url), lambda: reverse_run(db_url, 1, "test"))
    # Whichever went first, the other saw its result: the reversal of run 1 is refused once
    # run 2 exists (it is later and active), or run 2 discharges everything after it.
    assert isinstance(results[0], dict)
    assert results[1] is None or "later and still active" in str(results[1].problems[0].message)
    assert_store_sound(db_url)


def test_two_data_stage_imports_at_once_both_succeed(tmp_path: Path, db_url: str) -> None:
    path = zip_of(tmp_path, small_lines())
    results = _together(lambda: import_datastage(path, db_url), lambda: import_datastage(path, db_url))
    assert [type(r).__name__ for r in results] == ["ImportResult", "ImportResult"]
    assert sorted(r.replaced for r in results) == [0, results[0].pedimentos]


def test_a_second_writer_waits_for_the_first_then_sees_its_commit(tmp_path: Path, db_url: str) -> None:
    _run(_folder(tmp_path / "base", _exports(0, 10)), tmp_path / "o0", db_url)
    held, released = threading.Event(), [0.0]

    def holder() -> None:
        with UnitOfWork(db_url, write=True):
            held.set()
            time.sleep(1.0)
            released[0] = time.monotonic()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait()
    reverse_run(db_url, 1, "after the holder")  # waits on the lock, well within IMMEX_LOCK_WAIT
    done = time.monotonic()
    thread.join()
    assert done >= released[0] > 0


def test_a_writer_that_waits_too_long_fails_with_one_line(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path / "in", _exports(0, 10))
    _run(folder, tmp_path / "o0", db_url)
    monkeypatch.setenv("IMMEX_LOCK_WAIT", "0.5")
    held, finish = threading.Event(), threading.Event()

    def holder() -> None:
        with UnitOfWork(db_url, write=True):
            held.set()
            finish.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait()
    try:
        # The API's 409: no wait at all.
        with (
            pytest.raises(StoreBusy, match="another immex command is writing"),
            UnitOfWork(db_url, write=True, wait_s=0),
        ):
            pass
        result = CliRunner().invoke(app, ["run", "reverse", "1", "--reason", "x", "--db", db_url])
    finally:
        finish.set()
        thread.join()
    assert result.exit_code == 1
    assert result.stderr.startswith("error: another immex command is writing to company 'default'")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert _runs(db_url) == 1  # nothing was reversed
    assert CliRunner().invoke(app, ["run", "reverse", "1", "--reason", "x", "--db", db_url]).exit_code == 0


@pytest.mark.postgres
def test_two_commands_on_a_new_postgresql_database_create_the_schema_once(pg_url: str) -> None:
    from immex.store.db import open_database

    results = _together(lambda: open_database(pg_url), lambda: open_database(pg_url))
    assert [type(r).__name__ for r in results] == ["Engine", "Engine"], results
    assert "alembic_version" in inspect(results[0]).get_table_names()
    for engine in results:
        engine.dispose()
