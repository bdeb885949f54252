"""The API's company writer checks the rules where its writes reach and refuses what the whole ledger would.

``Store.company_writer`` serves uploads, the run job and adjustments. Its commit
check (``invariants.check_writes``) finds the transaction's runs and adjustments
by their ids (the company's lock is held) and checks only what they reach. Every
test here runs the writer's check and ``check_ledger`` on the same uncommitted
state and requires the same outcome and message; a refused write leaves the
store as it was. On both stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from immex.api.store import Store
from immex.discharge import service, stored_frames
from immex.ledger import invariants
from immex.ledger.orm import AdjustmentRow, AllocationRow, DischargeRunRow, ImportLineRow
from immex.ledger.read import read_ledger
from immex.ledger.service import company_id, store_ledger
from immex.store.errors import InvariantViolation
from immex.store.uow import DEFAULT_COMPANY
from tests.store.test_store_references import AS_OF, _counts, _folder, _stored_run
from tests.store.test_store_scoped_checks import _longer, _lot_shared_by_two_lines, _outcome


@contextmanager
def _writer(url: str, outcomes: list[str | None]) -> Iterator[Session]:
    """``company_writer``'s transaction; before its commit, both checks' outcomes go to ``outcomes``."""
    store = Store(url)
    try:
        with store.company_writer(DEFAULT_COMPANY) as session:
            scoped = invariants.check_writes(session)  # marks taken as the writer's own are
            yield session
            session.flush()
            outcomes.append(_outcome(scoped, session, DEFAULT_COMPANY))  # first: it notes unnoted runs
            assert outcomes[-1] == _outcome(invariants.check_ledger, session, DEFAULT_COMPANY)
    finally:
        store.close()


def test_an_upload_of_lines_passes_without_the_whole_ledger_check(tmp_path: Path, db_url: str) -> None:
    _stored_run(_folder(tmp_path), tmp_path / "first", db_url)
    longer = read_ledger(_longer(tmp_path)).ledger
    assert longer is not None
    outcomes: list[str | None] = []
    with mock.patch.object(invariants, "check_ledger", wraps=invariants.check_ledger) as whole:
        with _writer(db_url, outcomes) as session:
            _counts_added, problems = store_ledger(session, longer, company_id(session, DEFAULT_COMPANY))
            assert not problems
        assert whole.call_count == 1  # the test's own comparison, not the writer's commit
    assert outcomes == [None]


def test_a_run_over_allocating_a_lot_across_two_runs_is_refused(tmp_path: Path, db_url: str) -> None:
    _stored_run(_folder(tmp_path), tmp_path / "first", db_url)
    before = _counts(db_url)
    longer = read_ledger(_longer(tmp_path)).ledger
    assert longer is not None
    real = stored_frames.wanted_rows
    outcomes: list[str | None] = []
    with (
        mock.patch.object(service, "wanted_rows", lambda *a: _lot_shared_by_two_lines(real(*a))),
        pytest.raises(InvariantViolation, match="discharged beyond their quantity"),
        _writer(db_url, outcomes) as session,
    ):
        company = company_id(session, DEFAULT_COMPANY)
        store_ledger(session, longer, company)
        service.discharge_stored(session, company, "fifo", AS_OF, tmp_path / "refused")
    assert outcomes[0] is not None
    assert _counts(db_url) == before


def test_a_run_naming_a_missing_line_is_refused_even_unnoted(tmp_path: Path, db_url: str) -> None:
    _stored_run(_folder(tmp_path), tmp_path / "first", db_url)
    before = _counts(db_url)
    outcomes: list[str | None] = []
    with (
        pytest.raises(InvariantViolation, match="not the company's"),
        _writer(db_url, outcomes) as session,
    ):
        run = DischargeRunRow(
            company_id=company_id(session, DEFAULT_COMPANY),
            method="fifo",
            as_of=AS_OF,
            input_fingerprint="test",
            ledger_fingerprint="test",
            created_by="test",
            summary={},
        )
        session.add(run)
        session.flush()  # not noted with note_new_run: found by its id
        row = {"run_id": run.id, "export_line_id": 10**9, "part": "X", "qty": Decimal(1), "seq": 0}
        session.add(AllocationRow(**row, import_line_id=None, late=False))
    assert outcomes[0] is not None and "allocation row(s)" in outcomes[0]
    assert _counts(db_url) == before


def _allocated_line(session: Session) -> tuple[int, Decimal]:
    """An import line with active allocations, and how much of it is left."""
    rows = select(AllocationRow.import_line_id, AllocationRow.qty).where(
        AllocationRow.import_line_id.is_not(None)
    )
    used: dict[int, Decimal] = {}
    for line, qty in session.execute(rows):
        assert line is not None
        used[line] = used.get(line, Decimal(0)) + Decimal(qty)
    line = min(used)
    imported = session.scalar(select(ImportLineRow.qty).where(ImportLineRow.id == line))
    assert imported is not None
    return line, Decimal(imported) - used[line]


@pytest.mark.parametrize(("extra", "refused"), [(Decimal(0), False), (Decimal("0.000001"), True)])
def test_an_adjustment_is_checked_on_its_line(
    tmp_path: Path, db_url: str, extra: Decimal, refused: bool
) -> None:
    _stored_run(_folder(tmp_path), tmp_path / "first", db_url)
    before = _counts(db_url)
    outcomes: list[str | None] = []
    adjustment: dict[str, Any] = {"reason": "count", "created_by": "test"}

    def adjust() -> None:
        with _writer(db_url, outcomes) as session:
            line, left = _allocated_line(session)
            company = company_id(session, DEFAULT_COMPANY)
            session.add(
                AdjustmentRow(company_id=company, import_line_id=line, qty=left + extra, **adjustment)
            )

    if refused:
        with pytest.raises(InvariantViolation, match="discharged beyond their quantity"):
            adjust()
        assert _counts(db_url) == before
        assert _adjustments(db_url) == 0
    else:
        adjust()
    assert (outcomes[0] is not None) == refused


def _adjustments(url: str) -> int:
    store = Store(url)
    try:
        with store.reading() as session:
            return len(session.scalars(select(AdjustmentRow.id)).all())
    finally:
        store.close()
