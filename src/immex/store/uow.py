"""The unit of work: one store, one session, one company — what every use case works in.

Entry points (the CLI, the API with one unit of work per request) never open
sessions: they call a use case, which opens a unit of work::

    with UnitOfWork(db_url) as uow:                       # read: the store must exist
        ledger = load_ledger(uow.session, company_id(uow.session, uow.company, create=False))

    with UnitOfWork(db_url, write=True, checks=[...]) as uow:   # one writer per company
        ...                                               # commits on a clean exit

A writing unit of work takes the company's writer lock before it reads
anything (``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock
on PostgreSQL), so what it reads is what the previous writer committed, and
a second writer waits at most ``IMMEX_LOCK_WAIT`` seconds, then fails with
:class:`~immex.store.errors.StoreBusy` (the API answers 409 with ``wait_s=0``).
The ``checks`` run just before the commit; one that raises rolls everything back.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from immex.store.db import (
    SCHEMA_LOCK_KEY,
    advisory_lock,
    begin_immediate,
    lock_wait_s,
    open_database,
)

DEFAULT_COMPANY = "default"

Check = Callable[[Session, str], None]
"""A rule of the stored data checked at commit: (session, company code); raises to refuse."""


def company_lock_key(company: str) -> int:
    """The advisory-lock key of a company code: a stable int4, never the schema's key (0)."""
    key = zlib.crc32(company.encode("utf-8"))
    key = key - (1 << 32) if key >= 1 << 31 else key
    return key if key != SCHEMA_LOCK_KEY else 1


def lock_company(connection: Connection, company: str, wait_s: float | None = None) -> None:
    """Make this transaction the company's only writer until it ends (see the module docstring).

    Call it first in the transaction, before reading what the write depends on.
    On SQLite the whole file is locked (one writer per store, a superset).
    """
    wait = lock_wait_s() if wait_s is None else wait_s
    what = f"company {company!r} in this store"
    if connection.dialect.name == "sqlite":
        begin_immediate(connection, wait, what)
    elif connection.dialect.name == "postgresql":
        advisory_lock(connection, company_lock_key(company), wait, what)


class UnitOfWork:
    """Engine, session and company of one use case; a context manager.

    ``url`` opens (and at the end disposes) an engine of its own; ``engine``
    reuses a long-lived one (the API's). ``write=False`` opens an existing
    store only: a mistyped ``--db`` is StoreMissing, never a new empty store.
    ``sqlite_pragmas`` run before the lock is taken (``foreign_keys`` cannot
    change inside a transaction).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        engine: Engine | None = None,
        write: bool = False,
        company: str = DEFAULT_COMPANY,
        wait_s: float | None = None,
        checks: Sequence[Check] = (),
        sqlite_pragmas: Sequence[str] = (),
    ) -> None:
        self._url, self._given_engine = url, engine
        self.write, self.company, self.wait_s = write, company, wait_s
        self.checks = list(checks)
        self.sqlite_pragmas = tuple(sqlite_pragmas)
        self._engine: Engine | None = None
        self._session: Session | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the unit of work is not open")
        return self._engine

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._engine = self._given_engine or open_database(self._url, must_exist=not self.write)
        try:
            self._session = Session(self._engine, expire_on_commit=False)
            if self.write:
                self._session.begin()
                connection = self._session.connection()
                if connection.dialect.name == "sqlite":
                    for pragma in self.sqlite_pragmas:  # before BEGIN: SQLite ignores some inside one
                        connection.exec_driver_sql(pragma)
                lock_company(connection, self.company, self.wait_s)
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        try:
            if kind is None and self.write:
                self.commit()
            else:
                self.session.rollback()
        finally:
            self._close()

    def commit(self) -> None:
        """Run the checks, then commit; a failing check (or commit) rolls the transaction back."""
        try:
            self.session.flush()
            for check in self.checks:
                check(self.session, self.company)
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise

    def _close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._engine is not None and self._given_engine is None:
            self._engine.dispose()
        self._engine = None
