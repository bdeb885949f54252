"""Ledger: A3 regularizations are export lines naming the import partida they discharge.

``export_line.import_line`` (nullable) is the partida of ``import_pedimento``
an A3 line (``regularizations.csv``) discharges as is; NULL on every other line.

Revision ID: ledger_0002
Revises: ledger_0001
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ledger_0002"
down_revision: str | None = "ledger_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("export_line") as batch:
        batch.add_column(sa.Column("import_line", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("export_line") as batch:
        batch.drop_column("import_line")
