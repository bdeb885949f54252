"""Movements: sub-maquila shipments and waste disposals of a company.

Revision ID: movements_0001
Revises: ledger_0001
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from immex.store.types import ExactDecimal

revision: str = "movements_0001"
down_revision: str | None = "ledger_0001"
branch_labels: str | Sequence[str] | None = ("movements",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "submaquila_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("shipment", sa.String(length=80), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("moved_on", sa.Date(), nullable=False),
        sa.Column("part", sa.String(length=80), nullable=False),
        sa.Column("qty", ExactDecimal(), nullable=False),
        sa.Column("uom", sa.String(length=20), nullable=False),
        sa.Column("qty_given", ExactDecimal(), nullable=False),
        sa.Column("submaquilador_rfc", sa.String(length=13), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_submaquila_move_company_id_company")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submaquila_move")),
        sa.UniqueConstraint(
            "company_id",
            "shipment",
            "direction",
            "moved_on",
            "part",
            name=op.f("uq_submaquila_move_company_id"),
        ),
    )
    op.create_index(op.f("ix_submaquila_move_company_id"), "submaquila_move", ["company_id"], unique=False)
    op.create_table(
        "waste_disposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("disposed_on", sa.Date(), nullable=False),
        sa.Column("part", sa.String(length=80), nullable=False),
        sa.Column("qty", ExactDecimal(), nullable=False),
        sa.Column("uom", sa.String(length=20), nullable=False),
        sa.Column("qty_given", ExactDecimal(), nullable=False),
        sa.Column("disposition", sa.String(length=12), nullable=False),
        sa.Column("document", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_waste_disposal_company_id_company")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waste_disposal")),
        sa.UniqueConstraint(
            "company_id",
            "disposed_on",
            "part",
            "disposition",
            "document",
            name=op.f("uq_waste_disposal_company_id"),
        ),
    )
    op.create_index(op.f("ix_waste_disposal_company_id"), "waste_disposal", ["company_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_waste_disposal_company_id"), table_name="waste_disposal")
    op.drop_table("waste_disposal")
    op.drop_index(op.f("ix_submaquila_move_company_id"), table_name="submaquila_move")
    op.drop_table("submaquila_move")
