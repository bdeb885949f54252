"""Tables of the API: users, per-company grants, tokens, background jobs and the audit log.

Grants and jobs name the company by its RFC (not a foreign key): an admin may grant a
company before it is created, and a grant outlives the company row it pointed at.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from immex.store.base import Base


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UserRow(Base):
    __tablename__ = "api_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class GrantRow(Base):
    __tablename__ = "api_grant"
    __table_args__ = (UniqueConstraint("user_id", "company_rfc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("api_user.id"), index=True)
    company_rfc: Mapped[str] = mapped_column(String(13))
    role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    """The role on this company when it differs from the user's role."""


class TokenRow(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the bearer token: a stolen copy of the store holds no usable token."""
    user_id: Mapped[int] = mapped_column(ForeignKey("api_user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class JobRow(Base):
    __tablename__ = "api_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    company_rfc: Mapped[str | None] = mapped_column(String(13), nullable=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("api_user.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    phase: Mapped[str] = mapped_column(String(200), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    active_key: Mapped[str | None] = mapped_column(String(60), unique=True, nullable=True)
    """``run:RFC`` while a discharge run is queued or running, else NULL: the unique
    constraint lets at most one such job exist per company, across server processes."""


class AuditRow(Base):
    """Append-only (triggers refuse UPDATE and DELETE): who did what, when, to which entity."""

    __tablename__ = "api_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    company_rfc: Mapped[str | None] = mapped_column(String(13), nullable=True, index=True)
    entity: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class LoginFailureRow(Base):
    """A failed log-in, kept for the rate limit: shared by every server process of the store."""

    __tablename__ = "api_login_failure"
    __table_args__ = (Index("ix_api_login_failure_kind_key_at", "kind", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "user" (the e-mail) or "client" (the address)
    key: Mapped[str] = mapped_column(String(254))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
