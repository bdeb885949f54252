"""Who is asking and what they may do: bearer tokens, company visibility (404), roles (403)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from immex.api import companies, users
from immex.api.companies import CompanyRef
from immex.api.jobs import JobRunner
from immex.api.problems import ApiProblem, forbidden, not_found
from immex.api.store import Store

# Who may act, by action (admin may do everything). The contract's table of endpoints.
PERMISSIONS: dict[str, frozenset[str]] = {
    "ledger.upload": frozenset({"analyst", "broker"}),
    "run.create": frozenset({"analyst"}),
    "run.read": frozenset({"analyst", "auditor"}),
    "run.reverse": frozenset({"analyst"}),
    "ledger.read": frozenset({"analyst", "auditor"}),
    "adjustment.create": frozenset({"analyst"}),
    "datastage.import": frozenset({"analyst", "broker"}),
    "compulsa.run": frozenset({"analyst"}),
    "case.compute": frozenset({"analyst", "auditor"}),
    "origin.batch": frozenset({"analyst", "auditor"}),
    "audit.read": frozenset({"auditor"}),
    "company.create": frozenset(),
    "user.manage": frozenset(),
}

# Ids and line numbers the store can hold (a 32-bit integer column on PostgreSQL and SQLite).
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def jobs_of(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: int
    access: users.Access

    @property
    def actor(self) -> str:
        return self.access.email

    def may(self, action: str, role: str | None = None) -> bool:
        role = role or self.access.role
        return role == "admin" or role in PERMISSIONS[action]


def unauthorized(detail: str = "a valid bearer token is needed") -> ApiProblem:
    return ApiProblem(401, detail, {"WWW-Authenticate": "Bearer"})


def caller(request: Request, token: str | None = Depends(bearer)) -> Caller:
    """The user holding the bearer token, looked up on every request (disabled: 401 at once)."""
    if not token:
        raise unauthorized()
    with store_of(request).autocommit.connect() as connection:  # one statement: no transaction
        found = users.access_for_token(connection, token)
    if found is None:
        raise unauthorized("the token is not valid (expired, revoked, or its user is disabled)")
    return Caller(*found)


def require(who: Caller, action: str) -> None:
    """403 when the caller's own role may not do ``action`` (for endpoints without a company)."""
    if not who.may(action):
        raise forbidden()


def _visible(who: Caller, rfc: str) -> tuple[str, str]:
    """The RFC as stored and the caller's role on it; 404 when the caller may not see it."""
    wanted = rfc.strip().upper()
    role = who.access.role_on(wanted)
    if role is None:
        raise not_found(f"company {wanted}")
    return wanted, role


def _stored_company(store: Store, rfc: str) -> CompanyRef | None:
    """The company of ``rfc``, kept once found (a company is never renamed nor deleted)."""
    found = store.companies.get(rfc)
    if found is None:
        with store.looking_up() as session:
            found = companies.find(session, rfc)
        if found is not None:
            store.companies[rfc] = found
    return found


def _permitted(who: Caller, rfc: str, role: str, action: str, found: CompanyRef | None) -> CompanyRef:
    if found is None:
        raise not_found(f"company {rfc}")
    if not who.may(action, role):
        raise forbidden(f"your role on {rfc} ({role}) may not do this")
    return found


def company_for(request: Request, who: Caller, rfc: str, action: str) -> CompanyRef:
    """The company the caller may see (404 otherwise, as if it did not exist), if its role there
    may do ``action`` (403 otherwise)."""
    wanted, role = _visible(who, rfc)
    return _permitted(who, wanted, role, action, _stored_company(store_of(request), wanted))


def allowed(action: str) -> Callable[..., Awaitable[CompanyRef]]:
    """Dependency: the ``{rfc}`` company of the path, resolved before the body is validated, so a
    caller who may not see it gets 404 and one whose role may not act 403, whatever it sent.

    A coroutine: a company already found is answered on the event loop, without the hop to a
    worker thread a plain function takes (a tenth of a list page's server CPU); one not found
    yet is read in a worker thread."""

    async def dependency(request: Request, rfc: str, who: Caller = Depends(caller)) -> CompanyRef:
        wanted, role = _visible(who, rfc)
        store = store_of(request)
        found = store.companies.get(wanted)
        if found is None:
            found = await run_in_threadpool(_stored_company, store, wanted)
        return _permitted(who, wanted, role, action, found)

    return dependency


def role(action: str) -> Callable[..., Caller]:
    """Dependency: the caller, if its own role may do ``action`` (403 before the body is read)."""

    def dependency(who: Caller = Depends(caller)) -> Caller:
        require(who, action)
        return who

    return dependency
