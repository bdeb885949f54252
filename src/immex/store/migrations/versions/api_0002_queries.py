"""API: failed log-ins shared by every server process; an index for the allocations list.

``api_login_failure`` holds the failed log-ins of the rate limit (per e-mail and per client
address, in a sliding window), so the limit holds across ``immex serve --workers N`` and
several servers on one database. ``ix_export_line_company_id_cleared_on`` lets a page of
the allocations and shortfalls lists (ordered by the export's clearance date) start from an
index instead of sorting every allocation of the company.

Revision ID: api_0002
Revises: api_0001
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "api_0002"
down_revision: str | None = "api_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "ledger_0001"


def upgrade() -> None:
    op.create_table(
        "api_login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_login_failure")),
    )
    op.create_index("ix_api_login_failure_kind_key_at", "api_login_failure", ["kind", "key", "at"])
    op.create_index("ix_export_line_company_id_cleared_on", "export_line", ["company_id", "cleared_on"])


def downgrade() -> None:
    op.drop_index("ix_export_line_company_id_cleared_on", table_name="export_line")
    op.drop_index("ix_api_login_failure_kind_key_at", table_name="api_login_failure")
    op.drop_table("api_login_failure")
