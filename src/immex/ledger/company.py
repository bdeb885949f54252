"""The IMMEX company whose ledger is kept: RFC, program, modality, validity, certification."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session
from stdnum.exceptions import ValidationError
from stdnum.mx import rfc as rfc_number

from immex.core.problems import InputError, Problem
from immex.ledger.orm import Company
from immex.ledger.service import DEFAULT_COMPANY, company_id
from immex.store.uow import UnitOfWork

# IMMEX modalities (Decreto IMMEX, Art. 3) and IVA/IEPS certification levels (RGCE Title 7).
MODALITIES = ("controladora", "industrial", "servicios", "albergue", "tercerizacion")
CERTIFICATIONS = ("", "A", "AA", "AAA")


@dataclass(frozen=True, slots=True)
class CompanyProfile:
    name: str
    rfc: str
    immex_program: str = ""
    modality: str = "industrial"
    program_valid_from: dt.date | None = None
    program_valid_to: dt.date | None = None
    certification: str = ""


def validate_profile(profile: CompanyProfile) -> list[Problem]:
    problems = []
    try:
        rfc_number.validate(profile.rfc, validate_check_digits=True)
    except ValidationError as error:
        problems.append(Problem("", None, "rfc", f"RFC {profile.rfc!r} is not valid: {error}"))
    if profile.modality not in MODALITIES:
        problems.append(
            Problem("", None, "modality", f"{profile.modality!r} is not one of {', '.join(MODALITIES)}")
        )
    if profile.certification not in CERTIFICATIONS:
        problems.append(Problem("", None, "certification", "use A, AA, AAA or nothing"))
    if (
        profile.program_valid_from
        and profile.program_valid_to
        and profile.program_valid_to < profile.program_valid_from
    ):
        problems.append(Problem("", None, "program_valid_to", "ends before program_valid_from"))
    return problems


def set_company(session: Session, profile: CompanyProfile, code: str = DEFAULT_COMPANY) -> int:
    """Validate and store the company's profile; raises InputError listing every problem."""
    problems = validate_profile(profile)
    if problems:
        raise InputError(problems)
    row = session.get(Company, company_id(session, code))
    assert row is not None
    row.name, row.rfc = profile.name, rfc_number.compact(profile.rfc)
    row.immex_program, row.modality = profile.immex_program, profile.modality
    row.program_valid_from, row.program_valid_to = profile.program_valid_from, profile.program_valid_to
    row.certification = profile.certification
    return row.id


def store_company(db_url: str | None, profile: CompanyProfile, code: str = DEFAULT_COMPANY) -> int:
    """The use case of ``immex company set``: validate and store the profile as the company's writer."""
    with UnitOfWork(db_url, write=True, company=code) as uow:
        return set_company(uow.session, profile, code)
