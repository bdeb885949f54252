"""The API's access to the store: one engine per server process, a session per unit of work.

``reading`` opens a session; ``writing`` a transaction for the API's own tables (users,
tokens, jobs, audit) that commits on success and rolls back on any error; ``company_writer``
is the store's :class:`~immex.store.uow.UnitOfWork` on the server's engine: the company's
writer lock (the same one the CLI takes) and the ledger's invariants checked at commit.

On PostgreSQL the engine's connection pool is sized for the server (:func:`pool_settings`):
every server process keeps at most ``IMMEX_DB_POOL_SIZE`` connections (default: 60 shared
by the ``immex serve --workers`` processes, at most 20 each), and a request waits at most
``IMMEX_DB_POOL_TIMEOUT`` seconds (default 10) for one; then it answers 503 with
``Retry-After`` (:mod:`immex.api.problems`). Connections are not pinged before use (a round
trip on every request): after a database restart the first request on a stale connection
answers 503 and SQLAlchemy replaces the pool's connections. SQLite keeps SQLAlchemy's
default pool.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.orm import Session

from immex.ledger.invariants import check_writes
from immex.store.db import database_url, open_database, upgrade
from immex.store.uow import UnitOfWork

if TYPE_CHECKING:
    from immex.api.companies import CompanyRef

POOL_SIZE_ENV, POOL_TIMEOUT_ENV, WORKERS_ENV = "IMMEX_DB_POOL_SIZE", "IMMEX_DB_POOL_TIMEOUT", "IMMEX_WORKERS"
# PostgreSQL allows 100 connections by default: the server's processes share 60 of them,
# leaving the rest to CLI commands, other servers and the administrator.
SERVER_CONNECTIONS = 60
MAX_PER_PROCESS = 20  # about the requests one process serves at once on 2 cores, with room
DEFAULT_POOL_TIMEOUT_S = 10.0


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def pool_settings(workers: int | None = None) -> dict[str, Any]:
    """Pool of one server process: ``IMMEX_DB_POOL_SIZE``, else 60 // workers (at most 20, at least 2)."""
    count = workers or int(_positive(WORKERS_ENV, 1))
    size = int(_positive(POOL_SIZE_ENV, max(2, min(MAX_PER_PROCESS, SERVER_CONNECTIONS // count))))
    return {
        "pool_size": size,
        "max_overflow": 0,  # the size is the limit: PostgreSQL's connections are counted above
        # the connection used last is taken first: a server that is not busy keeps reusing a few
        # connections, whose backends have prepared and planned its statements, instead of
        # cycling through the whole pool (each backend plans a statement itself, the first
        # five times it runs it)
        "pool_use_lifo": True,
        "pool_timeout": _positive(POOL_TIMEOUT_ENV, DEFAULT_POOL_TIMEOUT_S),
    }


# PostgreSQL settings of the server's sessions, sent when each connection opens (libpq's
# ``options``: no round trip). jit=off: the server's statements are short page reads, and
# PostgreSQL compiles a statement when its cost estimate passes jit_above_cost, which the
# per-line sums of a filtered balances batch do: at 1,000,000 lines compiling one batch
# took 2.4-2.8 s for a statement that ran in 0.5 s ("JIT compilation ... short queries":
# PostgreSQL documentation, 32.2 "When to JIT?"). A status=open page: 23 s -> 6 s.
SESSION_OPTIONS = "-c jit=off"


def _session_settings(url: str) -> dict[str, str]:
    given = make_url(url).query.get("options")
    if given:  # the administrator's own options in the URL come first; ours are added
        joined = given if isinstance(given, str) else " ".join(given)
        return {"options": f"{joined} {SESSION_OPTIONS}"}
    return {"options": SESSION_OPTIONS}


# psycopg prepares a statement on the server after it ran it this many times on a connection
# (default 5). The server's statements are few and run thousands of times; prepared, PostgreSQL
# skips their parse and plan (most of a trace's cost: 2.7 -> 0.7 ms of its CPU per request at
# 1,000,000 lines). At 5, a pool of 20 connections per process planned every statement 100 times
# over before it was prepared everywhere, and a ROLLBACK forgets a connection's statements.
PREPARE_THRESHOLD = 0


def _connect_args(url: str) -> dict[str, Any]:
    """libpq's session options; psycopg 3's prepare threshold (another driver has none)."""
    if make_url(url).get_driver_name() != "psycopg":
        return dict(_session_settings(url))
    return {**_session_settings(url), "prepare_threshold": PREPARE_THRESHOLD}


def server_engine(url: str) -> Engine:
    """The engine of a server process, its schema upgraded (the pool above on PostgreSQL)."""
    if make_url(url).get_backend_name() != "postgresql":
        return open_database(url)
    engine = create_engine(url, connect_args=_connect_args(url), **pool_settings())
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


class Store:
    def __init__(self, url: str | None) -> None:
        self.url = database_url(url)
        self.engine: Engine = server_engine(self.url)
        self._autocommit: tuple[Engine, Engine] | None = None
        # Companies found by RFC: a company is never renamed nor deleted, so a found one is kept
        # (a lookup less per request); one not found is asked again next time.
        self.companies: dict[str, CompanyRef] = {}

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @property
    def autocommit(self) -> Engine:
        """The engine without transactions (its pool is the engine's), made once per engine."""
        if self._autocommit is None or self._autocommit[0] is not self.engine:
            self._autocommit = (self.engine, self.engine.execution_options(isolation_level="AUTOCOMMIT"))
        return self._autocommit[1]

    @contextmanager
    def looking_up(self) -> Iterator[Session]:
        """A session without a transaction (no BEGIN and ROLLBACK round trips): each statement
        sees the data committed when it runs. For the reads of one statement each that every
        request makes (its token, its company) and for list pages (each page is one query)."""
        with Session(self.autocommit, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def company_writer(self, company_code: str) -> Iterator[Session]:
        """A transaction that is the company's only writer (CLI or API) until it ends."""
        with UnitOfWork(engine=self.engine, write=True, company=company_code) as uow:
            # the rules checked where this transaction's rows reach (the lock is held: they are its own)
            uow.checks.append(check_writes(uow.session))
            yield uow.session

    def close(self) -> None:
        self.engine.dispose()
