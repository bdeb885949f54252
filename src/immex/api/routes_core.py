"""Health, tokens, the caller, companies, users and jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import select

from immex.api import companies, listing, users
from immex.api.deps import Caller, Id, caller, jobs_of, role, store_of
from immex.api.orm import GrantRow, JobRow, UserRow
from immex.api.problems import ApiProblem, not_found

router = APIRouter(prefix="/api/v1")
Limit = Annotated[int, listing.LimitQuery]
Cursor = Annotated[str | None, listing.CursorQuery]
Format = Annotated[str | None, listing.FormatQuery]
Who = Annotated[Caller, Depends(caller)]


@router.get("/health", tags=["server"])
def health() -> dict[str, str]:
    return {"status": "ok"}


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post(
    "/auth/token",
    response_model=Token,
    tags=["auth"],
    responses={
        401: {"description": "wrong e-mail or password"},
        429: {"description": "too many failed attempts"},
    },
)
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """The OAuth2 password flow: ``username`` (the e-mail) and ``password`` as form fields."""
    email = users.normal_email(form.username)
    client = request.client.host if request.client else ""
    limiter = request.app.state.login_limiter
    wait = limiter.retry_after(email, client)
    if wait:
        raise ApiProblem(429, "too many failed log-in attempts; try again later", {"Retry-After": str(wait)})
    with store_of(request).writing() as session:
        user = users.authenticate(session, email, form.password)
        if user is None:
            limiter.failed(email, client)
            raise ApiProblem(401, "wrong e-mail or password", {"WWW-Authenticate": "Bearer"})
        issued = users.issue_token(session, user)
    return Token(access_token=issued, expires_in=users.TOKEN_SECONDS)


@router.get("/me", tags=["auth"])
def me(who: Who) -> dict[str, Any]:
    return {"email": who.access.email, "role": who.access.role, "companies": sorted(who.access.grants)}


@router.get("/companies", tags=["companies"])
def list_companies(
    request: Request, who: Who, limit: Limit = 100, cursor: Cursor = None, format: Format = None
) -> Any:
    visible = None if who.access.role == "admin" else set(who.access.grants)
    with store_of(request).reading() as session:
        items = companies.listed(session, visible)
    header = companies.COLUMNS
    return listing.answer(
        "companies", header, [tuple(i[h] for h in header) for i in items], limit, cursor, format
    )


class NewCompany(BaseModel):
    rfc: str
    name: str
    immex_program: str = ""
    modality: str = "industrial"
    program_valid_from: str | None = None
    program_valid_to: str | None = None
    certification: str = ""


@router.post(
    "/companies",
    status_code=201,
    tags=["companies"],
    responses={409: {"description": "a company with this RFC exists"}},
)
def create_company(
    request: Request, who: Annotated[Caller, Depends(role("company.create"))], body: NewCompany
) -> dict[str, Any]:
    with store_of(request).writing() as session:
        created = companies.create(session, body.model_dump(), who.actor)
    if created is None:
        raise ApiProblem(409, f"company {body.rfc.upper()} already exists")
    return created


class NewUser(BaseModel):
    email: str
    role: str
    password: str
    companies: list[str] = Field(default_factory=list)


class GrantChange(BaseModel):
    company: str
    role: str | None = None


class UserChange(BaseModel):
    disabled: bool | None = None
    role: str | None = None
    password: str | None = None
    grant: list[GrantChange] = Field(default_factory=list)
    revoke: list[str] = Field(default_factory=list)


def _user_json(request: Request, email: str) -> dict[str, Any]:
    with store_of(request).reading() as session:
        user = users.find_user(session, email)
        grants = session.scalars(select(GrantRow).where(GrantRow.user_id == user.id))
        return {
            "email": user.email,
            "role": user.role,
            "disabled": not user.active,
            "grants": [{"company": g.company_rfc, "role": g.role or user.role} for g in grants],
        }


def _known(call: Any) -> Any:
    try:
        return call()
    except users.UserExists as error:
        raise ApiProblem(409, error.problems[0].message) from None
    except users.UnknownUser as error:
        raise not_found(error.problems[0].message.removeprefix("no ")) from None


@router.get("/users", tags=["users"])
def list_users(
    request: Request,
    who: Annotated[Caller, Depends(role("user.manage"))],
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Any:
    with store_of(request).reading() as session:
        emails = list(session.scalars(select(UserRow.email).order_by(UserRow.email)))
    people = [_user_json(request, e) for e in emails]
    header = ("email", "role", "disabled", "grants")
    as_text = format in ("csv", "xlsx")
    rows = [
        (
            p["email"],
            p["role"],
            p["disabled"],
            " ".join(f"{g['company']}:{g['role']}" for g in p["grants"]) if as_text else p["grants"],
        )
        for p in people
    ]
    return listing.answer("users", header, rows, limit, cursor, format)


@router.post("/users", status_code=201, tags=["users"])
def create_user(
    request: Request, who: Annotated[Caller, Depends(role("user.manage"))], body: NewUser
) -> dict[str, Any]:

    def change() -> None:
        with store_of(request).writing() as session:
            users.add_user(session, body.email, body.role, body.password, body.companies, who.actor)

    _known(change)
    return _user_json(request, body.email)


@router.patch("/users/{email}", tags=["users"])
def change_user(
    request: Request, who: Annotated[Caller, Depends(role("user.manage"))], email: str, body: UserChange
) -> dict[str, Any]:
    """Disable, change role or password, grant and revoke companies — as ``immex user`` does."""

    def change() -> None:
        with store_of(request).writing() as session:
            users.find_user(session, email)
            if body.role is not None:
                users.set_role(session, email, body.role, who.actor)
            if body.password is not None:
                users.set_password(session, email, body.password, who.actor)
            for item in body.grant:
                users.grant(session, email, item.company, item.role, who.actor)
            for rfc in body.revoke:
                users.revoke(session, email, rfc, who.actor)
            if body.disabled:
                users.disable(session, email, who.actor)

    _known(change)
    return _user_json(request, email)


def _job_for(request: Request, who: Caller, job_id: int) -> JobRow:
    with store_of(request).reading() as session:
        job = session.get(JobRow, job_id)
    if job is None or (job.user_id != who.user_id and who.access.role != "admin"):
        raise not_found(f"job {job_id}")
    return job


@router.get("/jobs/{job_id}", tags=["jobs"])
def get_job(request: Request, who: Who, job_id: Id) -> dict[str, Any]:
    """Status and live progress of a job started by the caller (admin: any job)."""
    return jobs_of(request).state_of(_job_for(request, who, job_id))


@router.get("/jobs/{job_id}/files/{name}", tags=["jobs"], response_class=FileResponse)
def get_job_file(request: Request, who: Who, job_id: Id, name: str) -> FileResponse:
    """A file the job wrote (``differences.csv`` of a compulsa, the discharge output files)."""
    job = _job_for(request, who, job_id)
    folder = jobs_of(request).folder(job.id)
    path = folder / name
    if job.status != "done" or Path(name).name != name or not path.is_file():
        raise not_found(f"file {name!r} of job {job_id}")
    media = "text/csv; charset=utf-8" if name.endswith(".csv") else "application/octet-stream"
    return FileResponse(path, media_type=media, filename=name)
