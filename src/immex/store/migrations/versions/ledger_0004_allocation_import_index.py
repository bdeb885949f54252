"""Ledger: drop ``ix_allocation_import_line_id``; the covering index of ``api_0003`` serves its queries.

``ix_allocation_import_line_sums`` (migration ``api_0003``) has ``import_line_id``
as its first (on PostgreSQL its only) key column, so every query that looked
allocations up by import line through ``ix_allocation_import_line_id`` (the
balances, a lot's trace, the overdrawn check of the commit, reversals and
adjustments) can read the covering index instead. ``tests/store/test_store_indexes.py``
checks the plans on SQLite; on the 100,000-line benchmark ledger on PostgreSQL the
traces, the allocations of a lot and the balances read it (1-14 ms, EXPLAIN ANALYZE in
``benchmarks/results/store.md``). The single-column index still cost every
stored run: PostgreSQL inserts one entry per COPYed allocation row into every
index of the table. At 100,000 x 100,000 lines (2.19 M rows) the COPY took
18.0-18.6 s of server CPU with it and 12.6-13.5 s without it
(``benchmarks/results/store.md``). See the PostgreSQL documentation, 14.4.3
"Remove Indexes" ("Populating a Database"), and 11.9 "Index-Only Scans and
Covering Indexes".

The downgrade creates the index again (what ``ledger_0001`` made).

Revision ID: ledger_0004
Revises: ledger_0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "ledger_0004"
down_revision: str | None = "ledger_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "api_0003"  # the covering index that takes over

_NAME = "ix_allocation_import_line_id"


def upgrade() -> None:
    op.drop_index(_NAME, table_name="allocation")


def downgrade() -> None:
    op.create_index(_NAME, "allocation", ["import_line_id"], unique=False)
