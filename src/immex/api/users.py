"""Users, roles and per-company grants: the use cases behind ``immex user …`` and ``/users``.

Every change writes an audit record in the same transaction. Roles (contract):
``admin`` everything; ``analyst`` read and write the companies granted; ``auditor`` read and
download; ``broker`` upload Data Stage files and pedimentos, read what it uploaded.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.orm import Session
from stdnum.exceptions import ValidationError
from stdnum.mx import rfc as rfc_number

from immex.api import audit
from immex.api.orm import GrantRow, TokenRow, UserRow, now
from immex.api.security import hash_password, new_token, token_digest, verify_password
from immex.core.problems import InputError, Problem

ROLES = ("admin", "analyst", "auditor", "broker")
MIN_PASSWORD = 12
TOKEN_SECONDS = 8 * 3600  # one working shift
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserExists(InputError):
    """The e-mail is already registered (the API answers 409)."""


class UnknownUser(InputError):
    """No user with that e-mail (the API answers 404)."""


def _problem(column: str, message: str) -> Problem:
    return Problem("", None, column, message)


def normal_email(email: str) -> str:
    return email.strip().lower()


def company_rfc(text: str) -> str:
    """The RFC in its compact upper-case form, check digit verified; else an InputError."""
    value = rfc_number.compact(text or "").upper()
    try:
        rfc_number.validate(value, validate_check_digits=True)
    except ValidationError as error:
        raise InputError([_problem("company", f"RFC {text!r} is not valid: {error}")]) from None
    return value


def _check_role(role: str | None, column: str = "role") -> list[Problem]:
    if role is None or role in ROLES:
        return []
    return [_problem(column, f"{role!r} is not a role; use one of {', '.join(ROLES)}")]


def password_problems(password: str) -> list[Problem]:
    if len(password) < MIN_PASSWORD:
        return [_problem("password", f"a password needs at least {MIN_PASSWORD} characters")]
    return []


def find_user(session: Session, email: str) -> UserRow:
    user = session.scalar(select(UserRow).where(UserRow.email == normal_email(email)))
    if user is None:
        raise UnknownUser([_problem("email", f"no user {normal_email(email)!r}")])
    return user


def add_user(
    session: Session, email: str, role: str, password: str, companies: list[str], actor: str
) -> UserRow:
    """Create a user with its grants; raises InputError listing every problem (nothing stored)."""
    address = normal_email(email)
    problems = [] if _EMAIL.match(address) else [_problem("email", f"{email!r} is not an e-mail address")]
    problems += _check_role(role) + password_problems(password)
    rfcs = []
    for text in companies:
        try:
            rfcs.append(company_rfc(text))
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    if session.scalar(select(UserRow.id).where(UserRow.email == address)) is not None:
        raise UserExists([_problem("email", f"user {address!r} already exists")])
    user = UserRow(email=address, role=role, password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", None, f"user {address}", None, {"role": role})
    for rfc in dict.fromkeys(rfcs):
        grant(session, address, rfc, None, actor)
    return user


def grant(session: Session, email: str, company: str, role: str | None, actor: str) -> None:
    """Let the user see ``company`` (with ``role`` there instead of its own, when given)."""
    problems = _check_role(role)
    if problems:
        raise InputError(problems)
    rfc = company_rfc(company)
    user = find_user(session, email)
    row = session.scalar(select(GrantRow).where(GrantRow.user_id == user.id, GrantRow.company_rfc == rfc))
    before = None if row is None else {"role": row.role or user.role}
    if row is None:
        row = GrantRow(user_id=user.id, company_rfc=rfc, role=role)
        session.add(row)
    else:
        row.role = role
    session.flush()
    audit.record(session, actor, "grant.add", rfc, f"user {user.email}", before, {"role": role or user.role})


def revoke(session: Session, email: str, company: str, actor: str) -> bool:
    """Withdraw the user's grant on ``company``; False when there was none."""
    rfc = company_rfc(company)
    user = find_user(session, email)
    row = session.scalar(select(GrantRow).where(GrantRow.user_id == user.id, GrantRow.company_rfc == rfc))
    if row is None:
        return False
    audit.record(session, actor, "grant.revoke", rfc, f"user {user.email}", {"role": row.role or user.role})
    session.delete(row)
    session.flush()
    return True


def disable(session: Session, email: str, actor: str) -> None:
    """Disable the user and drop every token it holds: they stop working at once."""
    user = find_user(session, email)
    if user.active:
        audit.record(
            session, actor, "user.disable", None, f"user {user.email}", {"active": True}, {"active": False}
        )
    user.active = False
    session.execute(delete(TokenRow).where(TokenRow.user_id == user.id))
    session.flush()


def set_role(session: Session, email: str, role: str, actor: str) -> None:
    problems = _check_role(role)
    if problems:
        raise InputError(problems)
    user = find_user(session, email)
    audit.record(session, actor, "user.role", None, f"user {user.email}", {"role": user.role}, {"role": role})
    user.role = role


def set_password(session: Session, email: str, password: str, actor: str) -> None:
    problems = password_problems(password)
    if problems:
        raise InputError(problems)
    user = find_user(session, email)
    user.password_hash = hash_password(password)
    session.execute(delete(TokenRow).where(TokenRow.user_id == user.id))
    audit.record(session, actor, "user.password", None, f"user {user.email}")


def authenticate(session: Session, email: str, password: str) -> UserRow | None:
    """The active user with this e-mail and password; None otherwise (same cost either way)."""
    user = session.scalar(select(UserRow).where(UserRow.email == normal_email(email)))
    ok = verify_password(None if user is None else user.password_hash, password)
    return user if ok and user is not None and user.active else None


def issue_token(session: Session, user: UserRow) -> str:
    token = new_token()
    expires = now() + dt.timedelta(seconds=TOKEN_SECONDS)
    session.add(TokenRow(token_hash=token_digest(token), user_id=user.id, expires_at=expires))
    return token


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive timestamps; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def user_for_token(session: Session, token: str) -> UserRow | None:
    """The active user holding this unexpired token (looked up on every request)."""
    row = session.execute(
        select(UserRow, TokenRow.expires_at)
        .join(TokenRow, TokenRow.user_id == UserRow.id)
        .where(TokenRow.token_hash == token_digest(token))
    ).first()
    if row is None or not row[0].active or _aware(row[1]) <= now():
        return None
    return row[0]


@dataclass(frozen=True, slots=True)
class Access:
    """What one user may reach: its role, and its role on each granted company."""

    email: str
    role: str
    grants: dict[str, str]

    def role_on(self, rfc: str) -> str | None:
        """The role on ``rfc``, None when the company is not visible to the user."""
        if self.role == "admin":
            return "admin"
        return self.grants.get(rfc)


def access_of(session: Session, user: UserRow) -> Access:
    rows = session.scalars(select(GrantRow).where(GrantRow.user_id == user.id))
    return Access(user.email, user.role, {g.company_rfc: g.role or user.role for g in rows})


# The token check of every API request in one statement (user, token and grants joined), built
# once: SQLAlchemy compiles it once per dialect, so a request pays one round trip and no
# statement building. A row per grant; a user without grants gives one row of NULL grant columns.
_TOKEN_ACCESS = (
    select(
        UserRow.id,
        UserRow.email,
        UserRow.role,
        UserRow.active,
        TokenRow.expires_at,
        GrantRow.company_rfc,
        GrantRow.role,
    )
    .select_from(TokenRow)
    .join(UserRow, UserRow.id == TokenRow.user_id)
    .outerjoin(GrantRow, GrantRow.user_id == UserRow.id)
    .where(TokenRow.token_hash == bindparam("digest"))
)


def access_for_token(connection: Connection, token: str) -> tuple[int, Access] | None:
    """The id and access of the active user holding this unexpired token, else None.

    The same answer as :func:`user_for_token` then :func:`access_of`, read in one round trip;
    nothing is cached, so a disabled user, a revoked grant or a dropped token counts at once.
    """
    rows = connection.execute(_TOKEN_ACCESS, {"digest": token_digest(token)}).all()
    if not rows:
        return None
    user_id, email, role, active, expires_at = rows[0][:5]
    if not active or _aware(expires_at) <= now():
        return None
    grants = {rfc: grant_role or role for *_, rfc, grant_role in rows if rfc is not None}
    return user_id, Access(email, role, grants)
