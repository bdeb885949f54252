"""Store tables of the Data Stage: one table per record type, linked by the pedimento key.

Every table but ``ds_resumen`` starts with the pedimento key ``patente`` (left-padded
to 4 digits), ``pedimento`` (7 digits), ``seccion_aduanera`` (3 digits) — the store
identity of a pedimento. Each field of the layout becomes a column named in
snake_case (``SecuenciaFraccion`` → ``secuencia_fraccion``) holding the trimmed text
of the file exactly (NULL when blank): codes keep their leading zeros, amounts
keep their digits. Columns that the contract validates are typed:

- ``ds_pedimento`` (501): primary key (patente, pedimento, seccion_aduanera), plus
  ``numero`` (the 15-digit number), ``fecha_pago`` (the Data Stage date: 506
  ``TipoFecha`` 2, else the date of ``FechaPagoReal``) and ``folio`` (of the ZIP entry);
- ``ds_partida`` (551): primary key (pedimento key, ``secuencia_fraccion`` integer);
  ``valor_dolares`` and ``cantidad_um_comercial`` as exact decimals;
- partida-level tables (552–558): primary key (pedimento key, ``secuencia_fraccion``
  integer, ``linea``), ``linea`` being the line's ordinal among the lines of that
  partida in its file (1, 2, …); foreign key to ``ds_pedimento`` (the partida itself
  is checked by the reader: every line names a 551 partida);
- pedimento-level tables (502–512, 520, 701, 702): primary key (pedimento key,
  ``linea``), ``linea`` the ordinal among the lines of that pedimento in its file;
  foreign key to ``ds_pedimento``;
- ``ds_seleccion`` / ``ds_incidencia`` (Sel, Inci) have the same key columns and
  ``linea`` but no foreign key (the Data Stage lists selections of pedimentos
  that are not in 501);
- ``ds_resumen``: primary key (``folio``, ``linea``).

On SQLite the tables are ``WITHOUT ROWID``: the primary key is the table's own
B-tree, so a row is written once instead of into a table and an index (a third
less time for a million partidas).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)
from sqlalchemy.sql.schema import SchemaItem

from immex.datastage.layout import LAYOUTS, TABLE_NAMES, TYPES, column_name
from immex.store.base import Base
from immex.store.types import ExactDecimal

KEY_COLUMNS = ("patente", "pedimento", "seccion_aduanera")
PARTIDA_TYPES = frozenset(str(n) for n in range(552, 559))
UNLINKED_TYPES = frozenset({"Sel", "Inci"})
DECIMAL_COLUMNS = {"551": frozenset({"valor_dolares", "cantidad_um_comercial"})}
EXTRA_501 = ("numero", "fecha_pago", "folio")


def _table(tipo: str) -> Table:
    name = TABLE_NAMES[tipo]
    fields = LAYOUTS[tipo]
    columns: list[Column[Any]] = []
    constraints: list[SchemaItem] = []
    if tipo == "Resumen":
        columns.append(Column("folio", String(), nullable=False))
        columns.append(Column("linea", Integer(), nullable=False))
        columns += [Column(column_name(f), String()) for f in fields if f != "Folio"]
        constraints.append(PrimaryKeyConstraint("folio", "linea", name=f"pk_{name}"))
        return Table(name, Base.metadata, *columns, *constraints, sqlite_with_rowid=False)
    columns += [
        Column("patente", String(4), nullable=False),
        Column("pedimento", String(7), nullable=False),
        Column("seccion_aduanera", String(3), nullable=False),
    ]
    keyed_by_line = tipo not in ("501", "551")
    if keyed_by_line:
        columns.append(Column("linea", Integer(), nullable=False))
    for field in fields[3:]:
        column = column_name(field)
        if column == "secuencia_fraccion" and (tipo == "551" or tipo in PARTIDA_TYPES):
            columns.append(Column(column, Integer(), nullable=False))
        elif column in DECIMAL_COLUMNS.get(tipo, ()):
            columns.append(Column(column, ExactDecimal(), nullable=False))
        else:
            columns.append(Column(column, String()))
    if tipo == "501":
        columns += [
            Column("numero", String(15), nullable=False),
            Column("fecha_pago", Date(), nullable=False),
            Column("folio", String()),
        ]
        constraints.append(PrimaryKeyConstraint(*KEY_COLUMNS, name=f"pk_{name}"))
        constraints.append(Index(f"ix_{name}_numero", "numero"))
    elif tipo == "551":
        constraints.append(PrimaryKeyConstraint(*KEY_COLUMNS, "secuencia_fraccion", name=f"pk_{name}"))
        constraints.append(
            ForeignKeyConstraint(
                list(KEY_COLUMNS), [f"ds_pedimento.{c}" for c in KEY_COLUMNS], name=f"fk_{name}_pedimento"
            )
        )
    elif tipo in PARTIDA_TYPES:
        # The key leads with the partida, so joins to ds_partida use it. The foreign key goes to
        # ds_pedimento, not ds_partida: the reader checks that every line names a 551 partida,
        # and a foreign key to ds_partida makes PostgreSQL check 7 tables per deleted partida
        # when a pedimento is replaced (12 s for 100,000 partidas).
        constraints.append(
            PrimaryKeyConstraint(*KEY_COLUMNS, "secuencia_fraccion", "linea", name=f"pk_{name}")
        )
        constraints.append(
            ForeignKeyConstraint(
                list(KEY_COLUMNS), [f"ds_pedimento.{c}" for c in KEY_COLUMNS], name=f"fk_{name}_pedimento"
            )
        )
    else:
        constraints.append(PrimaryKeyConstraint(*KEY_COLUMNS, "linea", name=f"pk_{name}"))
        if tipo not in UNLINKED_TYPES:
            constraints.append(
                ForeignKeyConstraint(
                    list(KEY_COLUMNS), [f"ds_pedimento.{c}" for c in KEY_COLUMNS], name=f"fk_{name}_pedimento"
                )
            )
    return Table(name, Base.metadata, *columns, *constraints, sqlite_with_rowid=False)


TABLES: dict[str, Table] = {tipo: _table(tipo) for tipo in TYPES}
"""The table of every record type."""

DELETE_ORDER: tuple[str, ...] = (
    *sorted(PARTIDA_TYPES),
    *(t for t in TYPES if t not in PARTIDA_TYPES and t not in ("501", "551", "Resumen")),
    "551",
    "501",
)
"""Children before parents (foreign keys)."""
