"""Ledger: company, parts, units, BOM versions, pedimentos and lines, discharge runs, allocations.

Revision ID: ledger_0001
Revises:
Create Date: 2026-11-23
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from immex.store.types import ExactDecimal

revision: str = "ledger_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("ledger",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('company',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('rfc', sa.String(length=13), nullable=False),
    sa.Column('immex_program', sa.String(length=40), nullable=False),
    sa.Column('modality', sa.String(length=40), nullable=False),
    sa.Column('program_valid_from', sa.Date(), nullable=True),
    sa.Column('program_valid_to', sa.Date(), nullable=True),
    sa.Column('certification', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company')),
    sa.UniqueConstraint('code', name=op.f('uq_company_code'))
    )
    op.create_table('bom_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.String(length=80), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_bom_version_company_id_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bom_version')),
    sa.UniqueConstraint('company_id', 'product', 'valid_from', name=op.f('uq_bom_version_company_id'))
    )
    op.create_index(op.f('ix_bom_version_company_id'), 'bom_version', ['company_id'], unique=False)
    op.create_table('discharge_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('input_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('ledger_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_discharge_run_company_id_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discharge_run'))
    )
    op.create_index(op.f('ix_discharge_run_company_id'), 'discharge_run', ['company_id'], unique=False)
    op.create_table('part',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=80), nullable=False),
    sa.Column('uom', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=400), nullable=False),
    sa.Column('hs', sa.String(length=20), nullable=False),
    sa.Column('country_of_origin', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_part_company_id_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_part')),
    sa.UniqueConstraint('company_id', 'part', name=op.f('uq_part_company_id'))
    )
    op.create_index(op.f('ix_part_company_id'), 'part', ['company_id'], unique=False)
    op.create_table('pedimento',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=15), nullable=False),
    sa.Column('operation', sa.String(length=6), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_pedimento_company_id_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pedimento')),
    sa.UniqueConstraint('company_id', 'number', 'operation', name=op.f('uq_pedimento_company_id'))
    )
    op.create_index(op.f('ix_pedimento_company_id'), 'pedimento', ['company_id'], unique=False)
    op.create_table('uom_conversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=80), nullable=False),
    sa.Column('from_uom', sa.String(length=20), nullable=False),
    sa.Column('to_uom', sa.String(length=20), nullable=False),
    sa.Column('factor', ExactDecimal(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_uom_conversion_company_id_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uom_conversion')),
    sa.UniqueConstraint('company_id', 'part', 'from_uom', 'to_uom', name=op.f('uq_uom_conversion_company_id'))
    )
    op.create_index(op.f('ix_uom_conversion_company_id'), 'uom_conversion', ['company_id'], unique=False)
    op.create_table('bom_component',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bom_version_id', sa.Integer(), nullable=False),
    sa.Column('component', sa.String(length=80), nullable=False),
    sa.Column('qty_per', ExactDecimal(), nullable=False),
    sa.Column('uom', sa.String(length=20), nullable=False),
    sa.Column('qty_per_given', ExactDecimal(), nullable=True),
    sa.Column('merma_pct', ExactDecimal(), nullable=False),
    sa.Column('desperdicio_pct', ExactDecimal(), nullable=False),
    sa.ForeignKeyConstraint(['bom_version_id'], ['bom_version.id'], name=op.f('fk_bom_component_bom_version_id_bom_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bom_component')),
    sa.UniqueConstraint('bom_version_id', 'component', name=op.f('uq_bom_component_bom_version_id'))
    )
    op.create_index(op.f('ix_bom_component_bom_version_id'), 'bom_component', ['bom_version_id'], unique=False)
    op.create_table('export_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('pedimento_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('product', sa.String(length=80), nullable=False),
    sa.Column('clave', sa.String(length=4), nullable=False),
    sa.Column('cleared_on', sa.Date(), nullable=False),
    sa.Column('qty', ExactDecimal(), nullable=False),
    sa.Column('uom', sa.String(length=20), nullable=False),
    sa.Column('qty_given', ExactDecimal(), nullable=True),
    sa.Column('unit_value_usd', ExactDecimal(), nullable=True),
    sa.Column('destination_country', sa.String(length=3), nullable=False),
    sa.Column('hs', sa.String(length=20), nullable=False),
    sa.Column('import_pedimento', sa.String(length=15), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_export_line_company_id_company')),
    sa.ForeignKeyConstraint(['pedimento_id'], ['pedimento.id'], name=op.f('fk_export_line_pedimento_id_pedimento')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_line')),
    sa.UniqueConstraint('pedimento_id', 'line', 'product', name=op.f('uq_export_line_pedimento_id'))
    )
    op.create_index(op.f('ix_export_line_company_id'), 'export_line', ['company_id'], unique=False)
    op.create_index(op.f('ix_export_line_pedimento_id'), 'export_line', ['pedimento_id'], unique=False)
    op.create_index(op.f('ix_export_line_product'), 'export_line', ['product'], unique=False)
    op.create_table('import_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('pedimento_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=80), nullable=False),
    sa.Column('clave', sa.String(length=4), nullable=False),
    sa.Column('cleared_on', sa.Date(), nullable=False),
    sa.Column('qty', ExactDecimal(), nullable=False),
    sa.Column('uom', sa.String(length=20), nullable=False),
    sa.Column('qty_given', ExactDecimal(), nullable=True),
    sa.Column('unit_value_usd', ExactDecimal(), nullable=True),
    sa.Column('country_of_origin', sa.String(length=3), nullable=False),
    sa.Column('hs', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_import_line_company_id_company')),
    sa.ForeignKeyConstraint(['pedimento_id'], ['pedimento.id'], name=op.f('fk_import_line_pedimento_id_pedimento')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_line')),
    sa.UniqueConstraint('pedimento_id', 'line', 'part', name=op.f('uq_import_line_pedimento_id'))
    )
    op.create_index(op.f('ix_import_line_company_id'), 'import_line', ['company_id'], unique=False)
    op.create_index(op.f('ix_import_line_part'), 'import_line', ['part'], unique=False)
    op.create_index(op.f('ix_import_line_pedimento_id'), 'import_line', ['pedimento_id'], unique=False)
    op.create_table('run_reversal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reversed_by', sa.String(length=80), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['discharge_run.id'], name=op.f('fk_run_reversal_run_id_discharge_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_run_reversal')),
    sa.UniqueConstraint('run_id', name=op.f('uq_run_reversal_run_id'))
    )
    op.create_table('adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('import_line_id', sa.Integer(), nullable=False),
    sa.Column('qty', ExactDecimal(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_adjustment_company_id_company')),
    sa.ForeignKeyConstraint(['import_line_id'], ['import_line.id'], name=op.f('fk_adjustment_import_line_id_import_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustment'))
    )
    op.create_index(op.f('ix_adjustment_company_id'), 'adjustment', ['company_id'], unique=False)
    op.create_index(op.f('ix_adjustment_import_line_id'), 'adjustment', ['import_line_id'], unique=False)
    op.create_table('allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('export_line_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=80), nullable=False),
    sa.Column('import_line_id', sa.Integer(), nullable=True),
    sa.Column('qty', ExactDecimal(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['export_line_id'], ['export_line.id'], name=op.f('fk_allocation_export_line_id_export_line')),
    sa.ForeignKeyConstraint(['import_line_id'], ['import_line.id'], name=op.f('fk_allocation_import_line_id_import_line')),
    sa.ForeignKeyConstraint(['run_id'], ['discharge_run.id'], name=op.f('fk_allocation_run_id_discharge_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation'))
    )
    op.create_index(op.f('ix_allocation_export_line_id'), 'allocation', ['export_line_id'], unique=False)
    op.create_index(op.f('ix_allocation_import_line_id'), 'allocation', ['import_line_id'], unique=False)
    op.create_index(op.f('ix_allocation_run_id'), 'allocation', ['run_id'], unique=False)
    op.create_table('allocation_reversal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['allocation_id'], ['allocation.id'], name=op.f('fk_allocation_reversal_allocation_id_allocation')),
    sa.ForeignKeyConstraint(['run_id'], ['discharge_run.id'], name=op.f('fk_allocation_reversal_run_id_discharge_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_reversal'))
    )
    op.create_index(op.f('ix_allocation_reversal_allocation_id'), 'allocation_reversal', ['allocation_id'], unique=False)
    op.create_index(op.f('ix_allocation_reversal_run_id'), 'allocation_reversal', ['run_id'], unique=False)
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f('ix_allocation_reversal_run_id'), table_name='allocation_reversal')
    op.drop_index(op.f('ix_allocation_reversal_allocation_id'), table_name='allocation_reversal')
    op.drop_table('allocation_reversal')
    op.drop_index(op.f('ix_allocation_run_id'), table_name='allocation')
    op.drop_index(op.f('ix_allocation_import_line_id'), table_name='allocation')
    op.drop_index(op.f('ix_allocation_export_line_id'), table_name='allocation')
    op.drop_table('allocation')
    op.drop_index(op.f('ix_adjustment_import_line_id'), table_name='adjustment')
    op.drop_index(op.f('ix_adjustment_company_id'), table_name='adjustment')
    op.drop_table('adjustment')
    op.drop_table('run_reversal')
    op.drop_index(op.f('ix_import_line_pedimento_id'), table_name='import_line')
    op.drop_index(op.f('ix_import_line_part'), table_name='import_line')
    op.drop_index(op.f('ix_import_line_company_id'), table_name='import_line')
    op.drop_table('import_line')
    op.drop_index(op.f('ix_export_line_product'), table_name='export_line')
    op.drop_index(op.f('ix_export_line_pedimento_id'), table_name='export_line')
    op.drop_index(op.f('ix_export_line_company_id'), table_name='export_line')
    op.drop_table('export_line')
    op.drop_index(op.f('ix_bom_component_bom_version_id'), table_name='bom_component')
    op.drop_table('bom_component')
    op.drop_index(op.f('ix_uom_conversion_company_id'), table_name='uom_conversion')
    op.drop_table('uom_conversion')
    op.drop_index(op.f('ix_pedimento_company_id'), table_name='pedimento')
    op.drop_table('pedimento')
    op.drop_index(op.f('ix_part_company_id'), table_name='part')
    op.drop_table('part')
    op.drop_index(op.f('ix_discharge_run_company_id'), table_name='discharge_run')
    op.drop_table('discharge_run')
    op.drop_index(op.f('ix_bom_version_company_id'), table_name='bom_version')
    op.drop_table('bom_version')
    op.drop_table('company')
    # ### end Alembic commands ###
