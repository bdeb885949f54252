"""API: users, per-company grants, bearer tokens, background jobs, append-only audit log.

Revision ID: api_0001
Revises:
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "api_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("api",)
depends_on: str | Sequence[str] | None = None

_APPEND_ONLY = "the audit log is append-only"


def upgrade() -> None:
    op.create_table('api_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_user')),
    sa.UniqueConstraint('email', name=op.f('uq_api_user_email'))
    )
    op.create_table('api_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('company_rfc', sa.String(length=13), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['api_user.id'], name=op.f('fk_api_grant_user_id_api_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_grant')),
    sa.UniqueConstraint('user_id', 'company_rfc', name=op.f('uq_api_grant_user_id'))
    )
    op.create_index(op.f('ix_api_grant_user_id'), 'api_grant', ['user_id'], unique=False)
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['api_user.id'], name=op.f('fk_api_token_user_id_api_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    op.create_index(op.f('ix_api_token_user_id'), 'api_token', ['user_id'], unique=False)
    op.create_table('api_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('company_rfc', sa.String(length=13), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('phase', sa.String(length=200), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active_key', sa.String(length=60), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['api_user.id'], name=op.f('fk_api_job_user_id_api_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_job')),
    sa.UniqueConstraint('active_key', name=op.f('uq_api_job_active_key'))
    )
    op.create_index(op.f('ix_api_job_company_rfc'), 'api_job', ['company_rfc'], unique=False)
    op.create_index(op.f('ix_api_job_user_id'), 'api_job', ['user_id'], unique=False)
    op.create_table('api_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('company_rfc', sa.String(length=13), nullable=True),
    sa.Column('entity', sa.String(length=200), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_audit'))
    )
    op.create_index(op.f('ix_api_audit_company_rfc'), 'api_audit', ['company_rfc'], unique=False)
    _append_only_triggers()


def _append_only_triggers() -> None:
    """The database itself refuses to change or delete an audit record, whoever connects."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION api_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER api_audit_append_only BEFORE UPDATE OR DELETE ON api_audit "
            "FOR EACH ROW EXECUTE FUNCTION api_audit_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER api_audit_no_{event.lower()} BEFORE {event} ON api_audit "
            f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS api_audit_append_only ON api_audit")
        op.execute("DROP FUNCTION IF EXISTS api_audit_append_only()")
    op.drop_table('api_audit')
    op.drop_table('api_job')
    op.drop_table('api_token')
    op.drop_table('api_grant')
    op.drop_table('api_user')
