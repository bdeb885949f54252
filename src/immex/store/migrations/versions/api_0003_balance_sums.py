"""API: the balances list sums a line's allocations from one index, never from the table.

A page of balances sums, for each of its import lines, the active allocations of that
line (``reports.stored``: quantity, run, id for the withdrawn rows). The allocations of
one import line are written by many export lines over the ledger's life, so they lie on
as many table pages: at 1,000,000 ledger lines (3.9 M allocations) the sums of a page of
100 lines read about 1,700 table pages, and a page took 30 ms, most of it PostgreSQL's.

``ix_allocation_import_line_sums`` holds what the sum reads, so PostgreSQL answers it
with an index-only scan (PostgreSQL documentation, 11.9 "Index-Only Scans and Covering
Indexes": ``CREATE INDEX ... INCLUDE``): about 4 index pages per line, and the page takes
5 ms. SQLite has no ``INCLUDE``; there the same columns form the key (the row id is in
every SQLite index), which SQLite uses as a covering index too.

Revision ID: api_0003
Revises: api_0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "api_0003"
down_revision: str | None = "api_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "ledger_0002"

_NAME = "ix_allocation_import_line_sums"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(_NAME, "allocation", ["import_line_id"], postgresql_include=["id", "run_id", "qty"])
    else:
        op.create_index(_NAME, "allocation", ["import_line_id", "run_id", "qty"])


def downgrade() -> None:
    op.drop_index(_NAME, table_name="allocation")
