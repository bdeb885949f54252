"""Companies addressed by RFC: created through ``set_company`` of the ledger feature."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from immex.api import audit
from immex.core.problems import InputError, Problem
from immex.ledger.company import CompanyProfile, set_company
from immex.ledger.orm import Company


@dataclass(frozen=True, slots=True)
class CompanyRef:
    id: int
    code: str
    rfc: str


def find(session: Session, rfc: str) -> CompanyRef | None:
    row = session.execute(
        select(Company.id, Company.code, Company.rfc).where(Company.rfc == rfc.upper()).order_by(Company.id)
    ).first()
    return None if row is None else CompanyRef(row[0], row[1], row[2])


COLUMNS = (
    "rfc",
    "name",
    "immex_program",
    "modality",
    "program_valid_from",
    "program_valid_to",
    "certification",
)


def as_json(row: Company) -> dict[str, Any]:
    return {
        "rfc": row.rfc,
        "name": row.name,
        "immex_program": row.immex_program,
        "modality": row.modality,
        "program_valid_from": row.program_valid_from.isoformat() if row.program_valid_from else None,
        "program_valid_to": row.program_valid_to.isoformat() if row.program_valid_to else None,
        "certification": row.certification,
    }


def listed(session: Session, visible: set[str] | None) -> list[dict[str, Any]]:
    """Companies with an RFC, those in ``visible`` only (None: every company)."""
    rows = session.scalars(select(Company).where(Company.rfc != "").order_by(Company.rfc))
    return [as_json(r) for r in rows if visible is None or r.rfc in visible]


def _date(value: str | None, column: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError([Problem("", None, column, f"{value!r} is not a YYYY-MM-DD date")]) from None


def create(session: Session, body: dict[str, Any], actor: str) -> dict[str, Any] | None:
    """Validate and store a new company (code = its RFC); None when the RFC is already stored."""
    profile = CompanyProfile(
        str(body.get("name") or "").strip(),
        str(body.get("rfc") or "").strip().upper(),
        str(body.get("immex_program") or ""),
        str(body.get("modality") or "industrial"),
        _date(body.get("program_valid_from"), "program_valid_from"),
        _date(body.get("program_valid_to"), "program_valid_to"),
        str(body.get("certification") or "").upper(),
    )
    problems = [] if profile.name else [Problem("", None, "name", "a company needs a name")]
    if problems:
        raise InputError(problems)
    if find(session, profile.rfc) is not None:
        return None
    company_id = set_company(session, profile, code=profile.rfc)
    row = session.get(Company, company_id)
    assert row is not None
    created = as_json(row)
    audit.record(session, actor, "company.create", row.rfc, f"company {row.rfc}", None, created)
    return created
