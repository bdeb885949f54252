"""Ledger: the append-only allocation tables keep their references without row-by-row foreign keys.

``allocation`` (run, export line, import line) and ``allocation_reversal``
(allocation, run) lose their foreign-key constraints. PostgreSQL checks a
foreign key of every COPYed row one by one, as a ``SELECT ... FOR KEY SHARE``
queued as an after-trigger event and fired at the end of the statement: on a
1 M x 1 M ledger that was some 14 minutes of server CPU for the 21.9 M rows of
one run (benchmarks/results/store.md). ``NOT VALID`` would not help (it skips
only the check of the rows already there; new rows are still checked one by
one), nor would ``DEFERRABLE INITIALLY DEFERRED`` (the same checks, at commit).
See the PostgreSQL documentation of ALTER TABLE (``ADD table_constraint [ NOT
VALID ]``) and of CREATE TABLE (``DEFERRABLE``), and "Populating a Database",
14.4.4 "Remove Foreign Key Constraints".

The references are checked instead by the commit's own checks, as a set
(``immex.ledger.invariants.dangling_references``: one anti-join over the rows
the transaction added, which also requires the lines to be the run's company's).
Nothing deletes ledger lines, runs or allocation rows, so rows that were
whole when written stay whole.

Revision ID: ledger_0003
Revises: ledger_0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "ledger_0003"
down_revision: str | None = "ledger_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, constraint, column, referred table) as ledger_0001 created them
_REFERENCES = (
    ("allocation", "fk_allocation_run_id_discharge_run", "run_id", "discharge_run"),
    ("allocation", "fk_allocation_export_line_id_export_line", "export_line_id", "export_line"),
    ("allocation", "fk_allocation_import_line_id_import_line", "import_line_id", "import_line"),
    (
        "allocation_reversal",
        "fk_allocation_reversal_allocation_id_allocation",
        "allocation_id",
        "allocation",
    ),
    ("allocation_reversal", "fk_allocation_reversal_run_id_discharge_run", "run_id", "discharge_run"),
)


def upgrade() -> None:
    for table in ("allocation", "allocation_reversal"):
        with op.batch_alter_table(table) as batch:  # SQLite: the table is copied without them
            for name in (n for t, n, _c, _r in _REFERENCES if t == table):
                batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table in ("allocation", "allocation_reversal"):
        with op.batch_alter_table(table) as batch:
            for _t, name, column, referred in (r for r in _REFERENCES if r[0] == table):
                batch.create_foreign_key(name, referred, [column], ["id"])
