"""Use cases of the Data Stage: import a ZIP into the store, summarize a ZIP or the store.

``import_datastage`` reads the ZIP once with :func:`immex.datastage.read.read_zip`,
handing each line that is valid so far to a writer, all inside ONE transaction: before
the first row of a pedimento (``Patente``, ``Pedimento``, ``SeccionAduanera``) that the
store already has, every stored row of that pedimento is deleted (every table), and the
same for a Resumen folio; the ZIP's rows are inserted in batches (executemany on SQLite,
COPY on PostgreSQL) by a writer thread. If the reader finds any problem the transaction
is rolled back and :class:`~immex.core.problems.InputError` lists every problem: the
store is unchanged. Re-importing the same ZIP leaves the same rows with the same values.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, make_url, select, union

from immex.core.problems import InputError, Problem
from immex.core.progress import QUIET, Progress, ProgressLike, as_progress, counted
from immex.datastage import read as ds
from immex.datastage.layout import LAYOUTS, TABLE_NAMES
from immex.datastage.orm import DELETE_ORDER, PARTIDA_TYPES, TABLES
from immex.datastage.summary import DataStageSummary, SummaryBuilder
from immex.store.db import database_url
from immex.store.uow import UnitOfWork

BATCH = 10_000
SQLITE_CACHE_KIB = 131_072


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import stored."""

    zip_name: str
    counts: dict[str, int]
    """Lines stored per record type."""
    pedimentos: int
    """Pedimentos of the file: its 501 lines (one per pedimento; the reader refuses a repeated key)."""
    replaced: int
    """Of those, how many the store already had (their old rows were replaced)."""
    warnings: tuple[Problem, ...]
    selection_only: int = 0
    """Pedimento keys that occur only in Sel/Inci (selection records of pedimentos this Data Stage
    does not declare, e.g. remesas of a consolidated pedimento paid later); stored as such, not
    counted in :attr:`pedimentos`."""


def validated(zip_path: Path, progress: ProgressLike = QUIET) -> ds.DataStageRead:
    """Read and validate; raise InputError with every problem (``progress``: bytes read)."""
    read = ds.read_zip(zip_path, progress=as_progress(progress))
    if not read.ok:
        raise InputError(read.problems)
    return read


def import_datastage(
    zip_path: str | Path, db_url: str | None, progress: ProgressLike = QUIET
) -> ImportResult:
    """Validate ``zip_path`` and store it (replace semantics per pedimento and per Resumen folio).

    One pass over the ZIP: lines are written while they are validated, inside one
    transaction that is rolled back when any problem is found. ``progress`` sees the
    reader's steps in bytes of the ZIP's entries, then the commit.
    """
    zip_path = Path(zip_path)
    progress = as_progress(progress)
    new_file = _new_sqlite_file(db_url)
    # The reader has checked every reference of the ZIP and a replaced pedimento loses
    # its rows in every table, so the foreign keys hold at commit; not checking them
    # row by row saves a third of the insert time. A larger page cache helps big files.
    pragmas = ("PRAGMA foreign_keys=OFF", f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    try:
        # One writer at a time: a second import waits for this one, then replaces what it stored.
        with UnitOfWork(db_url, write=True, sqlite_pragmas=pragmas) as uow:
            conn = uow.session.connection()
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            db = _DbThread(dbapi, conn.dialect.name == "postgresql")
            try:
                writer = _Writer(db, _placeholder(conn), _stored_keys(conn), _folio_501(zip_path))
                read = ds.read_zip(zip_path, writer, progress, "validating and storing")
                if read.ok:
                    progress.phase("writing the last rows")
                    writer.finish()
            finally:
                db.close()
            if not read.ok:
                raise InputError(read.problems)  # the unit of work rolls back: the store is unchanged
            progress.phase("committing")
    except InputError:
        if new_file is not None:  # the store did not exist: leave no empty one behind
            new_file.unlink(missing_ok=True)
        raise
    counts = {tipo: writer.counts.get(tipo, 0) for tipo in read.counts}
    declared = read.counts.get("501", 0)
    return ImportResult(
        zip_path.name, counts, declared, writer.replaced_501, read.warnings, len(read.keys) - declared
    )


def _new_sqlite_file(db_url: str | None) -> Path | None:
    """The file of an SQLite URL that does not exist yet (None otherwise)."""
    url = make_url(database_url(db_url))
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    return None if path.exists() else path


def _folio_501(zip_path: Path) -> str:
    """Folio of the ZIP's 501 entry (stored with each pedimento as its provenance)."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            for name in archive.namelist():
                found = ds.entry_type(name)
                if found is not None and found[1] == "501":
                    return found[0]
    except (OSError, zipfile.BadZipFile):
        pass
    return ""


def _stored_keys(conn: Connection) -> set[tuple[str, str, str]]:
    """Keys of every stored pedimento: 501, plus Sel/Inci (the only rows without a 501 row)."""
    key_tables = [TABLES[t] for t in ("501", "Sel", "Inci")]
    query = union(*(select(t.c.patente, t.c.pedimento, t.c.seccion_aduanera) for t in key_tables))
    return {(row[0], row[1], row[2]) for row in conn.execute(query)}


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle in ("qmark", "numeric") else "%s"


class _DbThread:
    """Runs the writes of an import in submission order: on PostgreSQL on a thread, while the reader
    validates; on SQLite inline.

    With the thread, the DB-API connection is used by it only, from the first submitted write
    until :meth:`close`. The first error is kept, later writes are skipped, and it is raised again by
    the next :meth:`submit` or by :meth:`close`.
    """

    def __init__(self, dbapi: Any, postgres: bool) -> None:
        self.dbapi = dbapi
        self.postgres = postgres
        self.queue: queue.Queue[tuple[Callable[..., None], tuple[Any, ...]] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        # Only PostgreSQL gains: the server works in its own process while we validate. SQLite
        # works in this process and mostly under the GIL, so a thread only adds contention
        # (measured: 62 s threaded against 55 s inline for a million partidas).
        self.thread: threading.Thread | None = None
        if postgres:
            self.thread = threading.Thread(target=self._run, name="datastage-writer", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:
                try:
                    item[0](*item[1])
                except BaseException as exc:  # re-raised in the main thread
                    self.error = exc

    def submit(self, function: Callable[..., None], *args: Any) -> None:
        if self.error is not None:
            raise self.error
        if self.thread is None:
            function(*args)
        else:
            self.queue.put((function, args))

    def close(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error

    # -- the writes (run on the thread)
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        cursor = self.dbapi.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def copy(self, sql: str, rows: Sequence[Sequence[Any]], keep: int) -> None:
        """PostgreSQL COPY of rows of text.

        ``keep`` = 0: the statement has ``NULL ''`` and the rows go as tab-separated text
        (escaped only where a value holds a backslash, tab or CR). ``keep`` = 1 (ds_resumen,
        whose NOT NULL folio may be blank): blanks after the first column are sent as NULL.
        """
        with self.dbapi.cursor() as cursor, cursor.copy(sql) as copy:
            if keep:
                for row in rows:
                    copy.write_row([*row[:keep], *[None if x == "" else x for x in row[keep:]]])
                return
            lines = []
            for row in rows:
                line = "\t".join(row)
                if "\\" in line or "\r" in line or line.count("\t") != len(row) - 1:
                    line = "\t".join(
                        x.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r") for x in row
                    )
                lines.append(line)
            lines.append("")
            copy.write("\n".join(lines))


class _Writer:
    """The ``on_line`` sink of the reader: builds store rows and writes them in batches.

    Before the first row of a pedimento that the store already has is written, every
    stored row of that pedimento is deleted (all tables), and the same for a Resumen
    folio; so the ZIP's rows replace the stored ones and nothing else is touched.
    """

    def __init__(
        self, db: _DbThread, placeholder: str, stored: set[tuple[str, str, str]], folio_501: str
    ) -> None:
        self.db = db
        self.postgres = db.postgres
        self.ph = placeholder
        self.stored = stored
        self.seen: set[tuple[str, str, str]] = set()
        self.doomed: list[tuple[str, str, str]] = []
        self.folios_done: set[str] = set()
        self.counts: dict[str, int] = {}
        self.replaced = 0
        self.replaced_501 = 0
        """Replaced pedimentos that have a 501 line (501 is written first, so seen there first)."""
        self.tipo = ""
        self.batch: list[Sequence[Any]] = []
        self.sql = ""
        self.build: Callable[[list[str], ds.PedimentoKey | None], Sequence[Any]] = self._row_other
        self.paid_i = self.tipo_fecha_i = self.fecha_i = -1
        self.ordinal: dict[tuple[str, str, str], int] = {}
        self.partida_ordinal: dict[int, int] = {}
        self.key_ids: dict[tuple[str, str, str], int] = {}
        self.last_key: tuple[str, str, str] | None = None
        self.last_partida: tuple[tuple[str, str, str] | None, str, int] = (None, "", 0)
        self.seq_i = -1
        self.paid_dates: dict[tuple[str, str, str], dt.date] = {}
        self.type2_dates: dict[tuple[str, str, str], dt.date] = {}
        self.folio_501 = folio_501

    # -- called by the reader
    def __call__(self, tipo: str, row: int, values: list[str], key: ds.PedimentoKey | None) -> None:
        if tipo != self.tipo:
            self._switch(tipo)
        if key is not None and key is not self.last_key:  # the reader reuses one tuple per key
            self.last_key = key
            if key not in self.seen:
                self.seen.add(key)
                if key in self.stored:
                    self.doomed.append(key)
                    self.replaced_501 += tipo == "501"
        self.batch.append(self.build(values, key))
        if len(self.batch) >= BATCH:
            self._flush()

    def finish(self) -> None:
        self._switch("")

    # -- internals
    def _switch(self, tipo: str) -> None:
        self._flush()
        if self.tipo == "506":
            self._update_fecha_pago()
        self.tipo = tipo
        self.ordinal = {}
        self.partida_ordinal = {}
        self.last_partida = (None, "", 0)
        if not tipo:
            return
        self.counts[tipo] = 0
        layout = LAYOUTS[tipo]
        self.build = {
            "501": self._row_501,
            "551": self._row_551,
            "506": self._row_506,
            "Resumen": self._row_resumen,
        }.get(tipo, self._row_other)
        if tipo in PARTIDA_TYPES:
            self.build = self._row_partida
            self.seq_i = layout.index("SecuenciaFraccion")
        self.paid_i = layout.index("FechaPagoReal") if tipo == "501" else -1
        if tipo == "506":
            self.tipo_fecha_i, self.fecha_i = layout.index("TipoFecha"), layout.index("FechaOperacion")
        table = TABLES[tipo]
        columns = ", ".join(c.name for c in table.columns)
        if self.postgres:  # COPY text format; an empty field is NULL (ds_resumen: see _flush)
            null = "" if tipo == "Resumen" else " WITH (NULL '')"
            self.sql = f"COPY {table.name} ({columns}) FROM STDIN{null}"
        else:  # blank text is stored as NULL
            marks = ", ".join(f"NULLIF({self.ph}, '')" if c.nullable else self.ph for c in table.columns)
            self.sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"

    # Rows are the file's text in table column order (see immex.datastage.orm); the
    # databases convert it (SQLite by column affinity, PostgreSQL by COPY), blanks become NULL.

    def _row_501(self, v: list[str], key: ds.PedimentoKey | None) -> Sequence[Any]:
        assert key is not None
        paid = v[self.paid_i]
        day = dt.date.fromisoformat(paid[:10])
        self.paid_dates[key] = day
        v[0] = key[0]
        v += (ds.pedimento_number(paid, key[2], key[0], key[1]), paid[:10], self.folio_501)
        return v

    def _row_551(self, v: list[str], key: ds.PedimentoKey | None) -> Sequence[Any]:
        assert key is not None
        v[0] = key[0]
        return v

    def _row_506(self, v: list[str], key: ds.PedimentoKey | None) -> Sequence[Any]:
        assert key is not None
        if key not in self.type2_dates and int(v[self.tipo_fecha_i]) == 2:
            parsed = ds.parse_datetime(v[self.fecha_i])
            if parsed is not None:
                self.type2_dates[key] = parsed.date()
        return self._row_other(v, key)

    def _row_other(self, v: list[str], key: ds.PedimentoKey | None) -> Sequence[Any]:
        assert key is not None
        n = self.ordinal[key] = self.ordinal.get(key, 0) + 1
        v[0] = key[0]
        v.insert(3, str(n))  # text: SQLite's INTEGER affinity and COPY both convert it
        return v

    def _partida_id(self, key: tuple[str, str, str], seq: str) -> int:
        """Compact: a million partidas fit in a dict of ints."""
        kid = self.key_ids.get(key)
        if kid is None:
            kid = self.key_ids[key] = len(self.key_ids)
        return (int(seq) << 32) | kid

    def _row_partida(self, v: list[str], key: ds.PedimentoKey | None) -> Sequence[Any]:
        """552–558: ``linea`` counts the lines of the same partida."""
        assert key is not None
        seq = v[self.seq_i]
        last_key, last_seq, last_n = self.last_partida
        if key is last_key and seq == last_seq:  # the usual case: lines of a partida are together
            n = last_n + 1
        else:
            if last_key is not None:
                self.partida_ordinal[self._partida_id(last_key, last_seq)] = last_n
            n = self.partida_ordinal.get(self._partida_id(key, seq), 0) + 1
        self.last_partida = (key, seq, n)
        v[0] = key[0]
        v.insert(3, str(n))  # text: SQLite's INTEGER affinity and COPY both convert it
        return v

    def _row_resumen(self, v: list[str], key: ds.PedimentoKey | None) -> Sequence[Any]:
        folio = v[0]
        if folio not in self.folios_done:
            self.folios_done.add(folio)
            self._flush()
            delete = f"DELETE FROM {TABLE_NAMES['Resumen']} WHERE folio = {self.ph}"
            self.db.submit(self.db.executemany, delete, [(folio,)])
        n = self.ordinal[(folio, "", "")] = self.ordinal.get((folio, "", ""), 0) + 1
        v.insert(1, str(n))
        return v

    def _flush(self) -> None:
        if self.doomed:
            self._delete(self.doomed)
            self.doomed = []
        if not self.batch:
            return
        if self.postgres:
            keep = 1 if self.tipo == "Resumen" else 0  # ds_resumen.folio is NOT NULL: "" stays ""
            self.db.submit(self.db.copy, self.sql, self.batch, keep)
        else:
            self.db.submit(self.db.executemany, self.sql, self.batch)
        self.counts[self.tipo] += len(self.batch)
        self.batch = []

    def _delete(self, keys: list[tuple[str, str, str]]) -> None:
        self.replaced += len(keys)
        ph = self.ph
        if self.postgres:  # one set-based statement per table
            columns = [[k[i] for k in keys] for i in range(3)]
            for tipo in DELETE_ORDER:
                self.db.submit(
                    self.db.executemany,
                    f"DELETE FROM {TABLE_NAMES[tipo]} t USING unnest(%s::text[], %s::text[],"
                    " %s::text[]) AS k(p, n, s) WHERE t.patente = k.p AND t.pedimento = k.n"
                    " AND t.seccion_aduanera = k.s",
                    [columns],
                )
            return
        for tipo in DELETE_ORDER:
            self.db.submit(
                self.db.executemany,
                f"DELETE FROM {TABLE_NAMES[tipo]} WHERE patente = {ph} AND pedimento = {ph}"
                f" AND seccion_aduanera = {ph}",
                keys,
            )

    def _update_fecha_pago(self) -> None:
        """The Data Stage date is 506 TipoFecha 2 when there is one (501 was stored with FechaPagoReal)."""
        changes = [
            (d if self.postgres else d.isoformat(), *key)
            for key, d in self.type2_dates.items()
            if self.paid_dates.get(key) != d
        ]
        if changes:
            ph = self.ph
            self.db.submit(
                self.db.executemany,
                f"UPDATE {TABLE_NAMES['501']} SET fecha_pago = {ph} WHERE patente = {ph}"
                f" AND pedimento = {ph} AND seccion_aduanera = {ph}",
                changes,
            )


# --------------------------------------------------------------------------- summary


def _builder(source: str) -> SummaryBuilder:
    """A summary builder with the contribution names (Apéndice 12) and formas de pago (Apéndice 13)."""
    from immex.rules.anexo22 import contribuciones, formas_pago

    return SummaryBuilder(
        source=source,
        names={code: entry.abbreviation for code, entry in contribuciones().entries.items()},
        formas={code: (entry.description, entry.settlement) for code, entry in formas_pago().entries.items()},
    )


def _date_or_none(text: str | None) -> dt.date | None:
    if not text:
        return None
    parsed = ds.parse_datetime(text)
    return parsed.date() if parsed is not None else None


CONTRIBUTION_FILES = (("510", "pedimento"), ("557", "partida"), ("702", "rectificacion"))


SUMMARY_TYPES = ("501", "551", *(tipo for tipo, _ in CONTRIBUTION_FILES), "Resumen")
"""The record types a summary reads (its progress counts their lines)."""


def summarize_zip(zip_path: str | Path, progress: ProgressLike = QUIET) -> DataStageSummary:
    """Summary of a Data Stage ZIP (validated first; InputError when invalid).

    ``progress``: the reader's steps in bytes, then the summary in records of the types it reads
    (their counts are known once the ZIP is validated).
    """
    zip_path = Path(zip_path)
    progress = as_progress(progress)
    read = validated(zip_path, progress)
    builder = _builder(zip_path.name)
    progress.phase("reading the pedimentos (501, 506)")
    found = ds.pedimentos(read)
    total = sum(read.counts.get(tipo, 0) for tipo in SUMMARY_TYPES)
    progress.phase("summarizing", total=total, unit="records")
    for ped in counted(found, progress):
        builder.pedimento(ped.clave, ped.fecha_pago, ped.tipo_operacion, ped.tipo_pedimento)
    usd_i = read.index("551", "ValorDolares")
    for line in counted(read.lines("551"), progress):
        builder.partida(Decimal(line.values[usd_i]))
    for tipo, level in CONTRIBUTION_FILES:
        code_i, amount_i = read.index(tipo, "ClaveContribucion"), read.index(tipo, "ImportePago")
        forma_i = read.index(tipo, "FormaPago")
        for line in counted(read.lines(tipo), progress):
            v = line.values
            builder.contribution(level, v[code_i], v[amount_i], v[forma_i])
    ini, fin = read.index("Resumen", "Fecha_Inicial"), read.index("Resumen", "Fecha_Final")
    for line in counted(read.lines("Resumen"), progress):
        builder.resumen(_date_or_none(line.values[ini]), _date_or_none(line.values[fin]))
    return builder.build()


def summarize_store(db_url: str | None, progress: Progress = QUIET) -> DataStageSummary:
    """Summary of every Data Stage row in the store (``progress``: rows read of the rows counted first)."""
    with UnitOfWork(db_url) as uow:  # an existing store only: a mistyped --db is an error
        builder = _builder(uow.engine.url.render_as_string(hide_password=True))
        conn = uow.session.connection()
        progress.phase("counting the stored rows")
        total = sum(_row_count(conn, TABLES[tipo]) for tipo in SUMMARY_TYPES)
        progress.phase("summarizing the store", total=total, unit="rows")
        p = TABLES["501"].c
        query = select(p.clave_documento, p.fecha_pago, p.tipo_operacion, p.tipo_pedimento)
        for row in counted(conn.execute(query), progress):
            builder.pedimento(row[0] or "", row[1], row[2] or "", row[3] or "")
        partidas = conn.execute(select(TABLES["551"].c.valor_dolares)).yield_per(BATCH)
        for (usd,) in counted(partidas, progress):
            builder.partida(usd)
        for tipo, level in CONTRIBUTION_FILES:
            c = TABLES[tipo].c
            query = select(c.clave_contribucion, c.importe_pago, c.forma_pago)
            for found in counted(conn.execute(query), progress):
                builder.contribution(level, found[0] or "", found[1], found[2] or "")
        r = TABLES["Resumen"].c
        for ini, fin in counted(conn.execute(select(r.fecha_inicial, r.fecha_final)), progress):
            builder.resumen(_date_or_none(ini), _date_or_none(fin))
    return builder.build()


def _row_count(conn: Connection, table: Table) -> int:
    return conn.scalar(select(func.count()).select_from(table)) or 0


__all__ = ["ImportResult", "import_datastage", "summarize_store", "summarize_zip", "validated"]
