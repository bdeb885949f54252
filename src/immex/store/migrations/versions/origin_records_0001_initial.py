"""Origin records: supplier certifications, solicitations, stored values, issued certificates.

Revision ID: origin_records_0001
Revises:
Create Date: 2026-11-23
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from immex.store.types import ExactDecimal

revision: str = "origin_records_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("origin_records",)
depends_on: str | Sequence[str] | None = ("ledger_0001",)  # company table


def _company(table: str) -> list[Any]:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f(f'fk_{table}_company_id_company')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    ]


def upgrade() -> None:
    op.create_table('origin_supplier_certification', *_company('origin_supplier_certification'),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('part', sa.String(length=80), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('criterion', sa.String(length=1), nullable=False),
    sa.Column('document_ref', sa.String(length=200), nullable=False),
    sa.Column('supplier_country', sa.String(length=2), nullable=False),
    sa.Column('certifier_type', sa.String(length=10), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint('company_id', 'supplier', 'part', 'valid_from',
                        name=op.f('uq_origin_supplier_certification_company_id')),
    )
    op.create_index(op.f('ix_origin_supplier_certification_company_id'), 'origin_supplier_certification',
                    ['company_id'], unique=False)
    op.create_index(op.f('ix_origin_supplier_certification_part'), 'origin_supplier_certification',
                    ['part'], unique=False)
    op.create_table('origin_solicitation', *_company('origin_solicitation'),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('part', sa.String(length=80), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('status_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    )
    op.create_index(op.f('ix_origin_solicitation_company_id'), 'origin_solicitation', ['company_id'], unique=False)
    op.create_index(op.f('ix_origin_solicitation_part'), 'origin_solicitation', ['part'], unique=False)
    op.create_table('origin_stored_value', *_company('origin_stored_value'),
    sa.Column('item', sa.String(length=80), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('unit_value_usd', ExactDecimal(), nullable=False),
    sa.Column('net_cost_usd', ExactDecimal(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.UniqueConstraint('company_id', 'item', 'valid_from', name=op.f('uq_origin_stored_value_company_id')),
    )
    op.create_index(op.f('ix_origin_stored_value_company_id'), 'origin_stored_value', ['company_id'], unique=False)
    op.create_index(op.f('ix_origin_stored_value_item'), 'origin_stored_value', ['item'], unique=False)
    op.create_table('origin_certificate', *_company('origin_certificate'),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('product', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('certifier_type', sa.String(length=10), nullable=False),
    sa.Column('criterion', sa.String(length=1), nullable=False),
    sa.Column('hs', sa.String(length=20), nullable=False),
    sa.Column('retention_until', sa.Date(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint('number', name=op.f('uq_origin_certificate_number')),
    )
    op.create_index(op.f('ix_origin_certificate_company_id'), 'origin_certificate', ['company_id'], unique=False)
    op.create_index(op.f('ix_origin_certificate_product'), 'origin_certificate', ['product'], unique=False)


def downgrade() -> None:
    op.drop_table('origin_certificate')
    op.drop_table('origin_stored_value')
    op.drop_table('origin_solicitation')
    op.drop_table('origin_supplier_certification')
