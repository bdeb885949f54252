"""No interleaving of stored runs, reversals and adjustments doubles stock or leaves it negative.

Hypothesis draws a sequence of operations on one SQLite store; each is
accepted or refused as a whole, and after each one:

- no import line is discharged beyond what was imported, and no requirement
  is allocated twice (whatever the operation);
- no balance is negative, whatever the operation: an adjustment that withdraws
  stock the stored discharge had allocated re-discharges in the same
  transaction;
- after a run, or an adjustment that re-discharged, the store holds exactly
  the discharge of the stored ledger.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from immex.core.problems import InputError
from immex.discharge.adjust import record_adjustment
from immex.discharge.methods import discharge
from immex.discharge.service import reverse_run, run_discharge, stored_result
from immex.ledger.invariants import doubled_requirements, overdrawn_ids, overdrawn_lines
from immex.ledger.orm import DischargeRunRow, RunReversalRow
from immex.ledger.service import company_id, load_ledger
from immex.store.errors import InvariantViolation
from immex.store.uow import UnitOfWork
from tests.ledger.ledger_files import exp, imp, part, write_ledger

LOTS = [
    ("25 47 3456 5000001", "A", "2025-01-01"),
    ("25 47 3456 5000002", "A", "2025-02-01"),
    ("25 47 3456 5000003", "B", "2025-01-01"),
    ("25 47 3456 5000004", "B", "2025-02-01"),
]
EXPORTS = [
    exp(f"25 47 3456 60000{n:02d}", 1, "AB"[n % 2], str(3 + n), f"2025-03-{1 + n:02d}") for n in range(6)
]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("run"), st.frozensets(st.integers(0, 5), min_size=1)),
        st.tuples(st.just("reverse")),
        st.tuples(st.just("adjust"), st.integers(0, 3), st.integers(-4, 8)),
    ),
    max_size=7,
)


def _run(base: Path, db_url: str, exports: frozenset[int], n: int) -> dict[str, Any]:
    folder = write_ledger(
        base / f"in{n}",
        [part("A"), part("B")],
        [imp(ped, 1, item, "10", day) for ped, item, day in LOTS],
        [EXPORTS[i] for i in sorted(exports)],
    )
    return run_discharge(folder, base / f"out{n}", "fifo", dt.date(2025, 12, 31), db_url).run


def _latest_active_run(db_url: str) -> int | None:
    with UnitOfWork(db_url) as uow:
        return uow.session.scalar(
            select(DischargeRunRow.id)
            .where(DischargeRunRow.id.not_in(select(RunReversalRow.run_id)))
            .order_by(DischargeRunRow.id.desc())
            .limit(1)
        )


def _short_lines(db_url: str) -> set[int]:
    with UnitOfWork(db_url) as uow:
        return overdrawn_ids(uow.session, uow.company)


def _assert_never_doubled_nor_negative(db_url: str) -> None:
    with UnitOfWork(db_url) as uow:
        company = company_id(uow.session, uow.company, create=False)
        assert overdrawn_lines(uow.session, company) == []  # adjustments counted: no negative balance
        assert doubled_requirements(uow.session, company) == []


def _assert_run_is_the_truth(db_url: str) -> None:
    with UnitOfWork(db_url) as uow:
        company = company_id(uow.session, uow.company, create=False)
        assert overdrawn_lines(uow.session, company) == []  # no negative balance
        ledger = load_ledger(uow.session, company)
        stored = stored_result(uow.session, company)
    once = discharge(ledger, "fifo")
    assert sorted(stored.allocations, key=repr) == sorted(once.allocations, key=repr)
    assert sorted(stored.shortfalls, key=repr) == sorted(once.shortfalls, key=repr)


def _apply(op: tuple[Any, ...], base: Path, db_url: str, n: int) -> None:
    if op[0] == "run":
        _run(base, db_url, op[1], n)
        _assert_run_is_the_truth(db_url)
    elif op[0] == "reverse":
        latest = _latest_active_run(db_url)
        if latest is None:
            return
        before = _short_lines(db_url)
        try:
            reverse_run(db_url, latest, "hypothesis")
        except InvariantViolation:
            return  # refused as a whole
        assert _short_lines(db_url) <= before
    else:
        ped, _item, _day = LOTS[op[1]]
        try:
            outcome = record_adjustment(db_url, ped, 1, LOTS[op[1]][1], str(op[2]), "count")
        except InputError:
            return  # refused: unknown line before the first run, zero, or more than the line has
        if outcome.rerun_id is not None:  # it withdrew allocated stock: the discharge was repaired
            _assert_run_is_the_truth(db_url)
    _assert_never_doubled_nor_negative(db_url)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(operations)
def test_no_interleaving_doubles_stock_or_leaves_it_negative(ops: list[tuple[Any, ...]]) -> None:
    base = Path(tempfile.mkdtemp(prefix="immex-interleave-"))
    db_url = f"sqlite:///{base / 's.db'}"
    try:
        for n, op in enumerate([("run", frozenset({0})), *ops, ("run", frozenset(range(6)))]):
            _apply(op, base, db_url, n)
    finally:
        shutil.rmtree(base, ignore_errors=True)
