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

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import polars as pl
import psycopg
from sqlalchemy import Column, Select, Table, insert
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


# ---- whole columns: a Polars frame in, a Polars frame out -----------------------------------------

FRAME_BLOCK = 200_000  # rows per CSV block handed to COPY (bounds the text held at once)


def insert_frame(session: Session, model: Any, frame: pl.DataFrame, progress: Progress = QUIET) -> None:
    """Insert a frame whose columns are named as ``model``'s and hold the stored values.

    Decimal columns hold their exact text (``1.50``), dates are dates, booleans
    booleans. PostgreSQL receives the rows as one COPY stream in CSV (a null is an
    unquoted empty field, an empty text a quoted one); SQLite gets executemany of
    tuples, no Python object per cell beyond what the driver needs.
    """
    if frame.height == 0:
        return
    table: Table = model.__table__
    session.flush()  # pending ORM rows (a run these rows reference) reach the database first
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy_frame(connection, table, frame, progress)
        return
    _executemany_frame(connection, table, frame, progress)


def _copy_frame(connection: Any, table: Table, frame: pl.DataFrame, progress: Progress) -> None:
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(table.c[name].name) for name in frame.columns)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN WITH (FORMAT csv)"
    driver = connection.connection.driver_connection  # psycopg 3, inside the session's transaction
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for block in frame.iter_slices(FRAME_BLOCK):
            copy.write(block.write_csv(include_header=False, quote_style="non_numeric").encode())
            progress.advance(block.height)


def _executemany_frame(connection: Any, table: Table, frame: pl.DataFrame, progress: Progress) -> None:
    # SQLite keeps dates as ISO text and booleans as 0/1 (what SQLAlchemy's types would send)
    frame = frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"), pl.col(pl.Boolean).cast(pl.Int64))
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(table.c[name].name) for name in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    statement = f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({marks})"
    for block in frame.iter_slices(BATCH):
        connection.exec_driver_sql(statement, block.rows())
        progress.advance(block.height)


def read_frame(session: Session, query: Select[*tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of ``query`` as a frame of ``schema`` (its columns in the query's order).

    Integers come as Int64, dates as Date, everything else as the database's text
    (a decimal's exact digits): select booleans cast to integers. PostgreSQL streams
    the rows with ``COPY (query) TO STDOUT`` as CSV; SQLite returns the raw tuples.
    """
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = {name: pl.Int64 if dtype == pl.Int64 else pl.String for name, dtype in schema.items()}
    if connection.dialect.name != "postgresql":
        frame = pl.DataFrame(connection.exec_driver_sql(sql).all(), schema=raw, orient="row")
    else:
        frame = _copy_out(connection, sql, raw)
    dates = [name for name, dtype in schema.items() if dtype == pl.Date]
    return frame.with_columns(pl.col(name).str.to_date("%Y-%m-%d") for name in dates)


def _copy_out(connection: Any, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    buffer = io.BytesIO()
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for data in copy:
            buffer.write(data)
    if buffer.tell() == 0:
        return pl.DataFrame(schema=schema)
    buffer.seek(0)
    # a quoted "" stays an empty text; an unquoted empty field is a null
    return pl.read_csv(buffer, has_header=False, schema=schema)


READ_BLOCK_BYTES = 64 << 20  # CSV text parsed at once by read_frame_blocks
READ_BLOCK_ROWS = 500_000  # rows fetched at once from SQLite by read_frame_blocks


def read_frame_blocks(
    session: Session,
    query: Select[*tuple[Any, ...]],
    schema: dict[str, Any],
    convert: Callable[[pl.DataFrame], pl.DataFrame],
) -> pl.DataFrame:
    """``read_frame`` block by block, each block passed through ``convert`` before the next is read.

    For big results kept in a compact form (integers instead of text): the text of
    the whole result is never held at once. ``schema`` holds Int64 and String
    columns only; the result is the concatenation of the converted blocks.
    """
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    blocks = [convert(block) for block in _raw_blocks(connection, sql, schema)]
    if not blocks:
        return convert(pl.DataFrame(schema=schema))
    return pl.concat(blocks, rechunk=False)  # chunks kept: a rechunk would hold every block twice


def _raw_blocks(connection: Any, sql: str, schema: dict[str, Any]) -> Iterator[pl.DataFrame]:
    if connection.dialect.name != "postgresql":
        cursor = connection.exec_driver_sql(sql)
        while rows := cursor.fetchmany(READ_BLOCK_ROWS):
            yield pl.DataFrame(rows, schema=schema, orient="row")
        return
    buffer = io.BytesIO()
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for data in copy:  # the server sends one CopyData message per row: a block ends on a row
            buffer.write(data)
            if buffer.tell() >= READ_BLOCK_BYTES:
                yield _parsed(buffer, schema)
                buffer = io.BytesIO()
    if buffer.tell():
        yield _parsed(buffer, schema)


def _parsed(buffer: io.BytesIO, schema: dict[str, Any]) -> pl.DataFrame:
    buffer.seek(0)
    return pl.read_csv(buffer, has_header=False, schema=schema)


# ---- an empty table filled at once: its indexes built after the COPY -------------------------------


class _Occupied(Exception):
    """The table holds rows: its indexes stay."""


@contextmanager
def indexes_built_after(session: Session, model: Any) -> Iterator[bool]:
    """Inside: an empty table's secondary indexes are dropped; built again on leaving. Yields whether.

    Building an index over rows already in place costs a fraction of maintaining it
    row by row: COPYing a first run's 2.2 M allocation rows took 18.2 s of server CPU
    with the table's four indexes, 7.1 s with the primary key alone and the other
    three built afterwards (``benchmarks/results/store.md``). Once the table holds
    earlier runs, rebuilding reads them all again, so this serves only an empty table.
    PostgreSQL only (its DDL is transactional: a rollback brings the indexes back);
    the constraints' indexes (the primary key) stay. The table is locked ``ACCESS
    EXCLUSIVE`` until the transaction ends, taken with ``NOWAIT`` in a savepoint: if
    another transaction uses the table, or it holds rows, the savepoint is rolled back
    (which releases the lock) and the rows go in with the indexes in place.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield False
        return
    table = connection.dialect.identifier_preparer.format_table(model.__table__)
    driver: Any = connection.connection.driver_connection  # psycopg 3: transaction() is a savepoint here
    try:
        with driver.transaction(), driver.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE NOWAIT")
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
            if (row := cursor.fetchone()) is None or row[0]:
                raise _Occupied  # rolls back to the savepoint, which releases the lock
    except (_Occupied, psycopg.errors.LockNotAvailable):
        yield False
        return
    indexes = connection.exec_driver_sql(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        f" WHERE x.indrelid = '{table}'::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY 1"
    ).all()
    for name, _definition in indexes:
        connection.exec_driver_sql(f"DROP INDEX {connection.dialect.identifier_preparer.quote(name)}")
    yield True
    for _name, definition in indexes:
        connection.exec_driver_sql(definition)
