"""Data Stage: bring stores made by an earlier text of datastage_0001 to its final shape.

``datastage_0001`` was edited in place three times under the same revision
id (commits 23fbb59 → dc2afe8 → c8cf53f → 9139308 of the repository):
partida-level keys gained ``secuencia_fraccion``, their foreign keys moved
from ``ds_partida`` to ``ds_pedimento``, and on SQLite the tables became
WITHOUT ROWID. Alembic saw every such store as current, so the import
failed on them (IntegrityError). This revision finds an earlier shape and
rebuilds the Data Stage tables in the final one, keeping every row: the
columns never changed and each earlier key is stricter than the final one.

The final shape is ``datastage_0001`` as it stands now: that file is
frozen (``tests/store/test_store_migrations.py`` checks its hash), so this
revision can run its ``upgrade`` and ``downgrade`` to rebuild.

Revision ID: datastage_0002
Revises: datastage_0001
Create Date: 2026-12-07
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "datastage_0002"
down_revision: str | None = "datastage_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Parents first (the creation order of datastage_0001).
TABLES = (
    "ds_incidencia", "ds_pedimento", "ds_resumen", "ds_seleccion", "ds_contenedor", "ds_contribucion",
    "ds_cuenta_garantia", "ds_descargo", "ds_destinatario", "ds_factura", "ds_fecha", "ds_guia",
    "ds_identificador", "ds_observacion", "ds_partida", "ds_rectificacion",
    "ds_rectificacion_contribucion", "ds_tasa", "ds_transporte", "ds_partida_contribucion",
    "ds_partida_cuenta_garantia", "ds_partida_identificador", "ds_partida_observacion",
    "ds_partida_permiso", "ds_partida_tasa", "ds_partida_vehiculo",
)
PARTIDA_LEVEL = TABLES[TABLES.index("ds_partida_contribucion"):]


def _initial() -> ModuleType:
    path = Path(__file__).with_name("datastage_0001_initial.py")
    spec = importlib.util.spec_from_file_location("immex_datastage_0001_initial", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_final_shape(bind: sa.Connection) -> bool:
    """Partida-level keys with secuencia_fraccion, foreign keys to ds_pedimento, WITHOUT ROWID on SQLite."""
    inspector = sa.inspect(bind)
    for table in PARTIDA_LEVEL:
        key = inspector.get_pk_constraint(table)["constrained_columns"]
        targets = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        if "secuencia_fraccion" not in key or targets != {"ds_pedimento"}:
            return False
    if bind.dialect.name == "sqlite":
        sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'ds_pedimento'").scalar()
        return "WITHOUT ROWID" in str(sql).upper()
    return True


def upgrade() -> None:
    bind = op.get_bind()
    if is_final_shape(bind):
        return
    columns = {t: [c["name"] for c in sa.inspect(bind).get_columns(t)] for t in TABLES}
    for table in TABLES:
        op.execute(f"CREATE TABLE {table}__old AS SELECT * FROM {table}")
    initial = _initial()
    initial.downgrade()  # drops every Data Stage table (children first) and the index
    initial.upgrade()    # and creates them in the final shape
    for table in TABLES:
        names = ", ".join(columns[table])
        op.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {table}__old")
        op.execute(f"DROP TABLE {table}__old")


def downgrade() -> None:
    """Nothing to undo: the final shape is what datastage_0001 creates today."""
