"""The adjustment use case: withdraw (or give back) stock of an import line, never below zero.

An adjustment may withdraw stock the stored discharge already allocated: a
destruction certificate or a physical count can name any lot. Left alone, the
lot's balance would then be negative until the next stored run moved that
discharge to later lots. Instead, in the same transaction, the stored ledger
is discharged again with the adjustment counted (the method of the latest
active run), and only the export lines whose discharge changed get new rows,
exactly as a stored run records them. So after any sequence of runs,
reversals and adjustments, no balance is negative, and the store's rules
(:func:`~immex.ledger.invariants.check_ledger`) hold at every commit; the
commit checks them where this transaction wrote
(:func:`~immex.ledger.invariants.check_writes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from immex.core.numbers import parse_decimal
from immex.core.pedimento import canonical_pedimento
from immex.core.problems import InputError, Problem
from immex.discharge.service import latest_active_run, record_stored_discharge
from immex.ledger.invariants import check_writes, overdrawn_ids
from immex.ledger.orm import AdjustmentRow
from immex.ledger.service import add_adjustment, company_id, current_user
from immex.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class AdjustmentOutcome:
    adjustment_id: int
    rerun_id: int | None = None
    """The run that moved the discharge off the withdrawn stock, when one was needed."""
    export_lines_moved: int = 0


def adjust_stock(
    session: Session,
    company_code: str,
    pedimento: str,
    line: int,
    part: str,
    qty: Decimal,
    reason: str,
    user: str,
    as_of: dt.date | None = None,
) -> AdjustmentOutcome:
    """Store the adjustment; re-discharge at once when it withdrew allocated stock.

    Runs in the caller's writing unit of work (it holds the company's lock).
    """
    company = company_id(session, company_code)
    adjustment_id = add_adjustment(session, company, pedimento, line, part, qty, reason, user)
    # The ledger held the rules at its last commit, and an adjustment grows the use of its
    # own line only: whether that line is overdrawn is whether any is (not a whole-ledger sum).
    adjusted = select(AdjustmentRow.import_line_id).where(AdjustmentRow.id == adjustment_id)
    if not overdrawn_ids(session, company_code, lines=adjusted):
        return AdjustmentOutcome(adjustment_id)
    run_id, moved = record_stored_discharge(
        session, company, _latest_method(session, company), as_of or dt.date.today(), user
    )
    return AdjustmentOutcome(adjustment_id, run_id, moved)


def _latest_method(session: Session, company: int) -> str:
    """The method of the company's latest active run (the allocations being repaired)."""
    latest = latest_active_run(session, company)
    return "fifo" if latest is None else latest.method


def record_adjustment(
    db_url: str, pedimento: str, line: int, part: str, qty: str, reason: str
) -> AdjustmentOutcome:
    """The use case of ``immex adjust``: validate, store and repair the discharge in one transaction."""
    try:
        number, amount = canonical_pedimento(pedimento), parse_decimal(qty)
    except ValueError as error:
        raise InputError([Problem("", None, "pedimento/qty", str(error))]) from None
    with UnitOfWork(db_url, write=True) as uow:
        # the company's lock is held: the commit checks what this transaction wrote (the
        # adjusted line, and the repair's run if one was needed), as the API's writer does
        uow.checks.append(check_writes(uow.session))
        # the part as the reader keeps it: without the spaces a paste from a sheet brings along
        return adjust_stock(
            uow.session, uow.company, number, line, part.strip(), amount, reason, current_user()
        )
