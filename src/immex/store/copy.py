"""Bulk inserts: PostgreSQL's COPY where it can serve, batched executemany elsewhere.

A discharge of a 1 M x 1 M ledger stores two million lines and some ten million
allocation rows. ``INSERT`` through SQLAlchemy's executemany sends them in
batches of bound parameters; COPY streams them as one data stream in the same
transaction (psycopg 3 ``cursor.copy``), several times faster. SQLite has no
COPY: it keeps executemany, which is fast there (no network round trips).

COPY skips SQLAlchemy's Python-side column defaults, so the rows are completed
here with each omitted column's scalar default; a table whose omitted column
has a callable default (a timestamp) is inserted with executemany instead.
Values go through each column type's bind processor, as an INSERT would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Table, insert
from sqlalchemy.orm import Session

from immex.core.progress import QUIET, Progress

BATCH = 5000  # rows per executemany statement (and per progress step)


def bulk_insert(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], progress: Progress = QUIET
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table in the session's transaction."""
    if not rows:
        return
    table: Table = model.__table__
    session.flush()  # pending ORM rows (a run these rows reference) reach the database first
    connection = session.connection()
    columns = _copy_columns(table, rows)
    if connection.dialect.name != "postgresql" or columns is None:
        # Core's executemany on the session's connection: the ORM's bulk insert would first
        # turn every dict into mapper state (four times slower on SQLite, profiled).
        statement = insert(table)
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            connection.execute(statement, chunk)
            progress.advance(len(chunk))
        return
    _copy(connection, table, columns, rows, progress)


def _copy_columns(table: Table, rows: Sequence[dict[str, Any]]) -> list[Column[Any]] | None:
    """The columns COPY fills: those given and those with a scalar default; None if COPY cannot."""
    given = rows[0].keys()
    columns = []
    for column in table.columns:
        if column.key in given:
            columns.append(column)
        elif column.primary_key and column.autoincrement in (True, "auto"):
            continue  # the database numbers the row, as with INSERT
        elif column.default is not None:
            if not column.default.is_scalar:
                return None  # a callable default (a timestamp): INSERT computes it
            columns.append(column)
        elif column.server_default is None and not column.nullable:
            return None  # INSERT would fail the same way; let it say so
    return columns


def _copy(
    connection: Any,
    table: Table,
    columns: list[Column[Any]],
    rows: Sequence[dict[str, Any]],
    progress: Progress,
) -> None:
    dialect = connection.dialect
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(column.name) for column in columns)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    getters = [_getter(column, dialect) for column in columns]
    driver = connection.connection.driver_connection  # psycopg 3, inside the session's transaction
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            for row in chunk:
                copy.write_row([get(row) for get in getters])
            progress.advance(len(chunk))


def _getter(column: Column[Any], dialect: Any) -> Callable[[dict[str, Any]], Any]:
    """The column's value of a row, through the type's bind processor (as INSERT would send it)."""
    key = column.key
    default = getattr(column.default, "arg", None) if column.default is not None else None
    process = column.type.bind_processor(dialect)
    if process is None:
        return lambda row: row.get(key, default)
    return lambda row: process(row.get(key, default))
