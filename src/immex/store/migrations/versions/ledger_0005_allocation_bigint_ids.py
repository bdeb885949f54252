"""Ledger: 8-byte ids for allocation rows and their withdrawals (PostgreSQL).

A stored run writes one allocation row per (export requirement, import lot) and
one per shortfall: a full discharge of 1,000,000 x 1,000,000 lines writes about
22 M rows (``benchmarks/results/store.md``). The rows are append-only, so a
4-byte ``integer`` id (at most 2,147,483,647) runs out after about 98 such
runs, and ``nextval`` then refuses every new run. ``bigint`` ids do not run
out. PostgreSQL rewrites both tables once (``ALTER TABLE ... TYPE``) and the
serial sequences are widened with ``ALTER SEQUENCE ... AS bigint`` (PostgreSQL
documentation, "ALTER SEQUENCE": ``AS data_type`` changes the sequence's maximum
to the new type's). SQLite's ``INTEGER PRIMARY KEY`` is already 8 bytes: nothing
to do there.

The downgrade narrows them again; it fails, as it must, once an id is beyond 4 bytes.

Revision ID: ledger_0005
Revises: ledger_0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ledger_0005"
down_revision: str | None = "ledger_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> its id columns; the first is the serial primary key
_COLUMNS = {"allocation": ("id",), "allocation_reversal": ("id", "allocation_id")}


def _retype(kind: type[sa.Integer]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    sql_type = "bigint" if kind is sa.BigInteger else "integer"
    for table, columns in _COLUMNS.items():
        retyped = ", ".join(f"ALTER COLUMN {column} TYPE {sql_type}" for column in columns)
        op.execute(f"ALTER TABLE {table} {retyped}")  # one rewrite of the table for all its columns
        sequence = op.get_bind().scalar(sa.text(f"SELECT pg_get_serial_sequence('{table}', 'id')"))
        op.execute(f"ALTER SEQUENCE {sequence} AS {sql_type}")


def upgrade() -> None:
    _retype(sa.BigInteger)


def downgrade() -> None:
    _retype(sa.Integer)
