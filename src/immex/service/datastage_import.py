"""Use cases of the Data Stage: import a ZIP into the store, summarize a ZIP or the store.

``import_datastage`` validates the whole ZIP with :func:`immex.intake.datastage.read_zip`
(raising :class:`~immex.intake.problems.InputError` with every problem, the store
untouched), then, in ONE transaction: deletes every stored row of every pedimento
(``Patente``, ``Pedimento``, ``SeccionAduanera``) that occurs in any file of the ZIP
and every stored Resumen of the ZIP's folios, and inserts the ZIP's lines, streamed
a second time from the ZIP in batches (executemany on SQLite, COPY on PostgreSQL).
Re-importing the same ZIP leaves the same rows with the same values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, union

from immex.intake import datastage as ds
from immex.intake.datastage_layout import TABLE_NAMES, TYPES
from immex.intake.datastage_summary import DataStageSummary, SummaryBuilder
from immex.intake.problems import InputError, Problem
from immex.store.datastage_models import DELETE_ORDER, PARTIDA_TYPES, TABLES
from immex.store.db import open_database

Progress = Callable[[str], None]
BATCH = 10_000
INSERT_ORDER: tuple[str, ...] = ("501", "551", *(t for t in TYPES if t not in ("501", "551")))


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import stored."""

    zip_name: str
    counts: dict[str, int]
    """Lines stored per record type."""
    pedimentos: int
    """Pedimentos (keys) of the ZIP, in any file."""
    replaced: int
    """Of those, how many the store already had (their old rows were replaced)."""
    warnings: tuple[Problem, ...]


def _quiet(_: str) -> None:
    return None


def validated(zip_path: Path, progress: Progress = _quiet) -> ds.DataStageRead:
    """Read and validate; raise InputError with every problem."""
    progress(f"validating {zip_path.name}")
    read = ds.read_zip(zip_path)
    if not read.ok:
        raise InputError(read.problems)
    return read


def import_datastage(zip_path: str | Path, db_url: str | None,
                     progress: Progress = _quiet) -> ImportResult:
    """Validate ``zip_path`` and store it (replace semantics per pedimento and per Resumen folio)."""
    zip_path = Path(zip_path)
    read = validated(zip_path, progress)
    engine = open_database(db_url)
    try:
        with engine.begin() as conn:
            replaced = _delete_existing(conn, read, progress)
            counts = {}
            payment = ds.payment_dates(read)
            for tipo in INSERT_ORDER:
                if tipo not in read.entries:
                    continue
                progress(f"storing {tipo}")
                counts[tipo] = _insert(conn, tipo, _rows(read, tipo, payment))
    finally:
        engine.dispose()
    return ImportResult(zip_path.name, counts, len(read.keys), replaced, read.warnings)


# --------------------------------------------------------------------------- delete


def _delete_existing(conn: Connection, read: ds.DataStageRead, progress: Progress) -> int:
    key_tables = [TABLES[t] for t in ("501", "Sel", "Inci")]
    stored_query = union(*(select(t.c.patente, t.c.pedimento, t.c.seccion_aduanera) for t in key_tables))
    stored = {tuple(row) for row in conn.execute(stored_query)}
    doomed = sorted(k for k in read.keys if k in stored)
    if doomed:
        progress(f"replacing {len(doomed)} stored pedimentos")
        for tipo in DELETE_ORDER:
            name = TABLE_NAMES[tipo]
            ph = _placeholder(conn)
            conn.exec_driver_sql(
                f"DELETE FROM {name} WHERE patente = {ph} AND pedimento = {ph} AND seccion_aduanera = {ph}",
                doomed)
    if read.folios:
        ph = _placeholder(conn)
        conn.exec_driver_sql(f"DELETE FROM {TABLE_NAMES['Resumen']} WHERE folio = {ph}",
                             [(f,) for f in sorted(set(read.folios))])
    return len(doomed)


# --------------------------------------------------------------------------- insert


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle in ("qmark", "numeric") else "%s"


def _rows(read: ds.DataStageRead, tipo: str, payment: dict[ds.PedimentoKey, dt.date]
          ) -> Iterator[tuple[Any, ...]]:
    """The store rows of one type, in table column order (see immex.store.datastage_models)."""
    lines = read.lines(tipo)
    if tipo == "Resumen":
        for n, line in enumerate(lines, start=1):
            v = line.values
            yield (v[0], n, *[x or None for x in v[1:]])
        return
    if tipo == "501":
        folio = read.entries["501"].folio
        paid_i = read.index("501", "FechaPagoReal")
        for line in lines:
            v = line.values
            key = ds.pedimento_key(v[0], v[1], v[2])
            paid = v[paid_i]
            fecha_pago = payment.get(key) or dt.date.fromisoformat(paid[:10])
            yield (*key, *[x or None for x in v[3:]],
                   ds.pedimento_number(paid, key[2], key[0], key[1]), fecha_pago, folio)
        return
    if tipo == "551":
        seq_i = read.index("551", "SecuenciaFraccion")
        for line in lines:
            v = line.values
            row: list[Any] = [x or None for x in v]
            row[0] = ds.pedimento_key(v[0], v[1], v[2])[0]
            row[seq_i] = int(v[seq_i])
            yield tuple(row)
        return
    seq_i = read.index(tipo, "SecuenciaFraccion") if tipo in PARTIDA_TYPES else -1
    ordinal: dict[ds.PedimentoKey, int] = {}
    for line in lines:
        v = line.values
        key = ds.pedimento_key(v[0], v[1], v[2])
        n = ordinal[key] = ordinal.get(key, 0) + 1
        rest: list[Any] = [x or None for x in v[3:]]
        if seq_i >= 0:
            rest[seq_i - 3] = int(v[seq_i])
        yield (*key, n, *rest)


def _insert(conn: Connection, tipo: str, rows: Iterable[tuple[Any, ...]]) -> int:
    table = TABLES[tipo]
    columns = [c.name for c in table.columns]
    count = 0
    if conn.dialect.name == "postgresql":
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        with dbapi.cursor() as cursor, cursor.copy(  # type: ignore[attr-defined]
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    ph = _placeholder(conn)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([ph] * len(columns))})"
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(_sqlite_row(row) if tipo == "501" else row)
        if len(batch) >= BATCH:
            conn.exec_driver_sql(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        conn.exec_driver_sql(sql, batch)
        count += len(batch)
    return count


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """SQLAlchemy stores a Date on SQLite as ``YYYY-MM-DD`` text: do the same."""
    return tuple(x.isoformat() if isinstance(x, dt.date) else x for x in row)


# --------------------------------------------------------------------------- summary


def _contribution_names() -> dict[str, str]:
    from immex.rules.anexo22 import contribuciones

    return {code: entry.abbreviation for code, entry in contribuciones().entries.items()}


def _date_or_none(text: str | None) -> dt.date | None:
    if not text:
        return None
    parsed = ds.parse_datetime(text)
    return parsed.date() if parsed is not None else None


CONTRIBUTION_FILES = (("510", "pedimento"), ("557", "partida"), ("702", "rectificacion"))


def summarize_zip(zip_path: str | Path, progress: Progress = _quiet) -> DataStageSummary:
    """Summary of a Data Stage ZIP (validated first; InputError when invalid)."""
    zip_path = Path(zip_path)
    read = validated(zip_path, progress)
    builder = SummaryBuilder(source=zip_path.name, names=_contribution_names())
    progress("pedimentos")
    for ped in ds.pedimentos(read):
        builder.pedimento(ped.clave, ped.fecha_pago, ped.tipo_operacion, ped.tipo_pedimento)
    progress("partidas")
    usd_i = read.index("551", "ValorDolares")
    for line in read.lines("551"):
        builder.partida(Decimal(line.values[usd_i]))
    for tipo, level in CONTRIBUTION_FILES:
        code_i, amount_i = read.index(tipo, "ClaveContribucion"), read.index(tipo, "ImportePago")
        for line in read.lines(tipo):
            builder.contribution(level, line.values[code_i], line.values[amount_i])
    ini, fin = read.index("Resumen", "Fecha_Inicial"), read.index("Resumen", "Fecha_Final")
    for line in read.lines("Resumen"):
        builder.resumen(_date_or_none(line.values[ini]), _date_or_none(line.values[fin]))
    return builder.build()


def summarize_store(db_url: str | None) -> DataStageSummary:
    """Summary of every Data Stage row in the store."""
    engine = open_database(db_url)
    try:
        builder = SummaryBuilder(source=engine.url.render_as_string(hide_password=True),
                                 names=_contribution_names())
        with engine.connect() as conn:
            p = TABLES["501"].c
            for row in conn.execute(select(p.clave_documento, p.fecha_pago, p.tipo_operacion,
                                           p.tipo_pedimento)):
                builder.pedimento(row[0] or "", row[1], row[2] or "", row[3] or "")
            for (usd,) in conn.execute(select(TABLES["551"].c.valor_dolares)).yield_per(BATCH):
                builder.partida(usd)
            for tipo, level in CONTRIBUTION_FILES:
                c = TABLES[tipo].c
                for code, amount in conn.execute(select(c.clave_contribucion, c.importe_pago)):
                    builder.contribution(level, code or "", amount)
            r = TABLES["Resumen"].c
            for ini, fin in conn.execute(select(r.fecha_inicial, r.fecha_final)):
                builder.resumen(_date_or_none(ini), _date_or_none(fin))
    finally:
        engine.dispose()
    return builder.build()


__all__ = ["ImportResult", "import_datastage", "summarize_store", "summarize_zip", "validated"]
