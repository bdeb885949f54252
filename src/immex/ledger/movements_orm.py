"""Stored sub-maquila movements and waste disposals (Alembic branch ``movements``).

They are merged into a company's store like the ledger's lines
(:mod:`immex.ledger.service`): a row already stored with the same key and
the same values is left alone, so running the same input again stores
nothing new; a row whose key is stored with other values is a problem,
never a silent overwrite. Keys: ``(shipment, direction, date, part)`` for a
movement, ``(date, part, disposition, document)`` for a disposal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from immex.core.problems import Problem
from immex.ledger.movements import (
    SUBMAQUILA,
    WASTE,
    Direction,
    Disposal,
    Disposition,
    Movements,
    SubmaquilaMove,
)
from immex.store.base import Base
from immex.store.types import ExactDecimal


class SubmaquilaMoveRow(Base):
    """Goods sent to (``out``) or received back from (``in``) a sub-maquiladora."""

    __tablename__ = "submaquila_move"
    __table_args__ = (UniqueConstraint("company_id", "shipment", "direction", "moved_on", "part"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    shipment: Mapped[str] = mapped_column(String(80))
    direction: Mapped[str] = mapped_column(String(3))
    moved_on: Mapped[dt.date] = mapped_column(Date)
    part: Mapped[str] = mapped_column(String(80))
    qty: Mapped[Decimal] = mapped_column(ExactDecimal())
    uom: Mapped[str] = mapped_column(String(20))
    qty_given: Mapped[Decimal] = mapped_column(ExactDecimal())
    submaquilador_rfc: Mapped[str] = mapped_column(String(13))


class WasteDisposalRow(Base):
    """Waste of a part destroyed, donated, returned or changed to definitive on a day."""

    __tablename__ = "waste_disposal"
    __table_args__ = (UniqueConstraint("company_id", "disposed_on", "part", "disposition", "document"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    disposed_on: Mapped[dt.date] = mapped_column(Date)
    part: Mapped[str] = mapped_column(String(80))
    qty: Mapped[Decimal] = mapped_column(ExactDecimal())
    uom: Mapped[str] = mapped_column(String(20))
    qty_given: Mapped[Decimal] = mapped_column(ExactDecimal())
    disposition: Mapped[str] = mapped_column(String(12))
    document: Mapped[str] = mapped_column(String(80), default="")


_MOVE_FIELDS = ("qty", "uom", "qty_given", "submaquilador_rfc")
_DISPOSAL_FIELDS = ("qty", "uom", "qty_given")


def _differ(stored: Any, given: Any, fields: Sequence[str]) -> list[str]:
    return [name for name in fields if getattr(stored, name) != getattr(given, name)]


def _conflict(label: str, row: int, what: str, fields: list[str]) -> Problem:
    return Problem(
        label,
        row or None,
        fields[0],
        f"{what} is already stored with a different {', '.join(fields)}"
        "; a stored movement is never overwritten",
    )


def store_movements(session: Session, movements: Movements, company: int) -> list[Problem]:
    """Insert the movements not stored yet; a problem for each that contradicts a stored one.

    Does not commit: the caller's unit of work does, or rolls back on a problem.
    """
    problems: list[Problem] = []
    stored_moves = {
        (r.shipment, r.direction, r.moved_on, r.part): r
        for r in session.scalars(select(SubmaquilaMoveRow).where(SubmaquilaMoveRow.company_id == company))
    }
    new_moves = []
    for move in movements.submaquila:
        existing = stored_moves.get(move.key)
        if existing is None:
            new_moves.append(_move_values(move, company))
        elif differ := _differ(existing, move, _MOVE_FIELDS):
            what = f"shipment {move.shipment!r} {move.direction} {move.date} {move.part!r}"
            problems.append(_conflict(SUBMAQUILA.name, move.row, what, differ))
    stored_disposals = {
        (r.disposed_on, r.part, r.disposition, r.document): r
        for r in session.scalars(select(WasteDisposalRow).where(WasteDisposalRow.company_id == company))
    }
    new_disposals = []
    for disposal in movements.disposals:
        existing_disposal = stored_disposals.get(disposal.key)
        if existing_disposal is None:
            new_disposals.append(_disposal_values(disposal, company))
        elif differ := _differ(existing_disposal, disposal, _DISPOSAL_FIELDS):
            what = f"the disposal of {disposal.part!r} on {disposal.date} ({disposal.disposition})"
            problems.append(_conflict(WASTE.name, disposal.row, what, differ))
    _insert(session, SubmaquilaMoveRow, new_moves)
    _insert(session, WasteDisposalRow, new_disposals)
    return problems


def _move_values(move: SubmaquilaMove, company: int) -> dict[str, Any]:
    return {
        "company_id": company,
        "shipment": move.shipment,
        "direction": move.direction,
        "moved_on": move.date,
        "part": move.part,
        "qty": move.qty,
        "uom": move.uom,
        "qty_given": move.qty_given,
        "submaquilador_rfc": move.submaquilador_rfc,
    }


def _disposal_values(disposal: Disposal, company: int) -> dict[str, Any]:
    return {
        "company_id": company,
        "disposed_on": disposal.date,
        "part": disposal.part,
        "qty": disposal.qty,
        "uom": disposal.uom,
        "qty_given": disposal.qty_given,
        "disposition": disposal.disposition,
        "document": disposal.document,
    }


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        session.execute(insert(model), rows[start : start + 5000])


def load_movements(session: Session, company: int, given: Movements | None = None) -> Movements:
    """Every stored movement and disposal of the company (row numbers of ``given`` kept for messages).

    ``waste_given``/``submaquila_given``: the store holds such rows, or ``given`` had the file.
    """
    rows = {m.key: m.row for m in given.submaquila} if given else {}
    moves = tuple(
        SubmaquilaMove(
            r.shipment,
            cast(Direction, r.direction),
            r.moved_on,
            r.part,
            r.qty,
            r.uom,
            r.qty_given,
            r.submaquilador_rfc,
            rows.get((r.shipment, r.direction, r.moved_on, r.part), 0),
        )
        for r in session.scalars(
            select(SubmaquilaMoveRow)
            .where(SubmaquilaMoveRow.company_id == company)
            .order_by(SubmaquilaMoveRow.id)
        )
    )
    disposal_rows = {d.key: d.row for d in given.disposals} if given else {}
    disposals = tuple(
        Disposal(
            r.disposed_on,
            r.part,
            r.qty,
            r.uom,
            r.qty_given,
            cast(Disposition, r.disposition),
            r.document,
            disposal_rows.get((r.disposed_on, r.part, r.disposition, r.document), 0),
        )
        for r in session.scalars(
            select(WasteDisposalRow)
            .where(WasteDisposalRow.company_id == company)
            .order_by(WasteDisposalRow.id)
        )
    )
    return Movements(
        moves,
        disposals,
        bool(disposals) or bool(given and given.waste_given),
        bool(moves) or bool(given and given.submaquila_given),
    )
