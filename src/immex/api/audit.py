"""The append-only audit log: every change, who made it, when, on which company and entity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from immex.api.orm import AuditRow


def record(
    session: Session,
    actor: str,
    action: str,
    company: str | None = None,
    entity: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> None:
    """Add one audit record in the caller's transaction, so it exists exactly when the change does."""
    session.add(
        AuditRow(
            actor=actor,
            action=action,
            company_rfc=company,
            entity=entity,
            before=before,
            after=after,
            note=note,
        )
    )


def company_log(session: Session, company: str) -> list[AuditRow]:
    """The company's audit records, newest first."""
    query = select(AuditRow).where(AuditRow.company_rfc == company).order_by(AuditRow.id.desc())
    return list(session.scalars(query))
