"""An adjustment asks whether its own import line is overdrawn, and gets the whole ledger's answer.

``adjust.adjust_stock`` re-discharges when the adjustment withdrew allocated
stock. It asks ``invariants.overdrawn_ids`` about the adjusted line alone (the
ledger held the rules at its last commit, and an adjustment grows only its own
line's use), not about every line of the ledger. Here every question it asks is
also put to the whole ledger and the answers must be equal, over withdrawals
that overdraw a line and ones that do not, and a give-back; and the scoped
function itself is compared with the whole-ledger one on a state with several
overdrawn lines. On both stores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import select
from sqlalchemy.orm import Session

from immex.discharge import adjust
from immex.discharge.adjust import record_adjustment
from immex.ledger import invariants
from immex.ledger.invariants import active_rows_query, doubled_requirements, overdrawn_ids, overdrawn_lines
from immex.ledger.orm import AllocationRow, ImportLineRow, PedimentoRow
from immex.ledger.service import add_adjustment, company_id
from immex.store.uow import UnitOfWork
from tests.store.test_store_references import _folder, _stored_run

Line = tuple[int, str, int, str, Decimal, Decimal]  # id, pedimento, line, part, qty, allocated


def _lines(session: Session, company: int) -> list[Line]:
    """Every import line of the company with what its active allocations take from it."""
    used: dict[int, Decimal] = defaultdict(Decimal)
    rows = active_rows_query(company).with_only_columns(AllocationRow.import_line_id, AllocationRow.qty)
    for line_id, qty in session.execute(rows):
        if line_id is not None:
            used[line_id] += Decimal(qty)
    query = (
        select(
            ImportLineRow.id, PedimentoRow.number, ImportLineRow.line, ImportLineRow.part, ImportLineRow.qty
        )
        .join(PedimentoRow, ImportLineRow.pedimento_id == PedimentoRow.id)
        .where(ImportLineRow.company_id == company)
        .order_by(ImportLineRow.id)
    )
    return [(i, n, line, part, Decimal(q), used[i]) for i, n, line, part, q in session.execute(query)]


def _stored_lines(db_url: str) -> list[Line]:
    with UnitOfWork(db_url) as uow:
        return _lines(uow.session, company_id(uow.session, uow.company, create=False))


def _both(answers: list[set[int]]) -> Callable[..., set[int]]:
    """``overdrawn_ids`` that also asks the whole ledger and requires the same answer."""
    real = invariants.overdrawn_ids

    def ask(session: Session, company_code: str, lines: Any = None) -> set[int]:
        assert lines is not None  # adjust_stock asks about its line, not the ledger
        scoped = real(session, company_code, lines=lines)
        assert scoped == real(session, company_code)
        answers.append(scoped)
        return scoped

    return ask


def _assert_rules_hold(db_url: str) -> None:
    with UnitOfWork(db_url) as uow:
        company = company_id(uow.session, uow.company, create=False)
        assert overdrawn_lines(uow.session, company) == []
        assert doubled_requirements(uow.session, company) == []


def test_each_adjustment_gets_the_whole_ledgers_answer(tmp_path: Path, db_url: str) -> None:
    _stored_run(_folder(tmp_path), tmp_path / "first", db_url)
    lines = _stored_lines(db_url)
    allocated = [line for line in lines if line[5] > 0]
    free = [line for line in lines if line[5] == 0]
    assert len(allocated) >= 2 and free
    _id, ped, number, part, qty, _used = allocated[0]
    other = allocated[1]
    steps = [
        (ped, number, part, qty),  # the whole line: its allocations are moved off it
        (ped, number, part, -qty / 2),  # half of it given back
        (free[0][1], free[0][2], free[0][3], free[0][4] / 2),  # stock nobody took
        (other[1], other[2], other[3], other[4] - other[5]),  # what the allocations left of it
        (other[1], other[2], other[3], other[5]),  # then what they took
    ]
    answers: list[set[int]] = []
    reruns = []
    with mock.patch.object(adjust, "overdrawn_ids", _both(answers)):
        for pedimento, line, item, amount in steps:
            outcome = record_adjustment(db_url, pedimento, line, item, str(amount), "count")
            reruns.append(outcome.rerun_id is not None)
            _assert_rules_hold(db_url)
    assert reruns == [bool(found) for found in answers]
    assert reruns[0] and not reruns[1] and not reruns[2]  # both answers occur
    assert reruns[4]


def test_the_scoped_question_matches_the_whole_ledger_with_lines_overdrawn(
    tmp_path: Path, db_url: str
) -> None:
    _stored_run(_folder(tmp_path), tmp_path / "first", db_url)
    with UnitOfWork(db_url, write=True) as uow:
        session = uow.session
        company = company_id(session, uow.company, create=False)
        lines = _lines(session, company)
        taken = [line for line in lines if line[5] > 0][:3]
        for _id, ped, number, part, qty, _used in taken:  # withdrawn whole, not repaired
            add_adjustment(session, company, ped, number, part, qty, "count", "test")
        whole = overdrawn_ids(session, uow.company)
        assert whole == {line[0] for line in taken}
        for line in lines:
            one = select(ImportLineRow.id).where(ImportLineRow.id == line[0])
            assert overdrawn_ids(session, uow.company, lines=one) == whole & {line[0]}
        everything = select(ImportLineRow.id).where(ImportLineRow.company_id == company)
        assert overdrawn_ids(session, uow.company, lines=everything) == whole
        session.rollback()
