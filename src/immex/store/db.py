"""Engines and schema upgrades. SQLite (embedded) by default, PostgreSQL for a plant.

Use cases do not call these directly: they open a :class:`immex.store.uow.UnitOfWork`.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy import exc as sa_exc

from immex.core.problems import InputError, Problem
from immex.store.errors import StoreBusy, StoreMissing

if TYPE_CHECKING:  # Alembic is imported when a store is opened (a command without --db never loads it)
    from alembic.config import Config
    from alembic.script import ScriptDirectory

DEFAULT_DB = "sqlite:///immex.db"
LOCK_WAIT_ENV = "IMMEX_LOCK_WAIT"
DEFAULT_LOCK_WAIT_S = 30.0
# The advisory-lock namespace of immex on PostgreSQL ("IMMX" as an int4); key 0 is the schema.
LOCK_CLASS = 0x494D4D58
SCHEMA_LOCK_KEY = 0


def database_url(url: str | None) -> str:
    """The URL given, else ``IMMEX_DB``, else an SQLite file in the working directory."""
    return url or os.environ.get("IMMEX_DB") or DEFAULT_DB


def lock_wait_s() -> float:
    """How long a writer waits for another one (``IMMEX_LOCK_WAIT`` seconds, default 30)."""
    raw = os.environ.get(LOCK_WAIT_ENV, "")
    try:
        return max(0.0, float(raw)) if raw.strip() else DEFAULT_LOCK_WAIT_S
    except ValueError:
        return DEFAULT_LOCK_WAIT_S


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


STORE_BACKENDS = ("sqlite", "postgresql")
_URL_FORMS = (
    "write sqlite:///FILE.db (a file here), sqlite:////ABSOLUTE/FILE.db or postgresql+psycopg://USER@HOST/DB"
)


def check_database_url(url: str) -> None:
    """InputError naming ``db`` unless ``url`` is a store immex keeps (an SQLite file or PostgreSQL).

    SQLAlchemy would raise on a typo (``plant.db``, ``sqlite:/x.db``, ``sqllite://``,
    ``mysql://``) with a traceback; every command gets one line with the forms that work instead.
    """
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError, ValueError):
        raise InputError([Problem("", None, "db", f"{url!r} is not a database URL: {_URL_FORMS}")]) from None
    backend = parsed.get_backend_name()
    if backend not in STORE_BACKENDS:
        message = f"{url!r}: immex keeps its ledger in SQLite or PostgreSQL, not {backend}: {_URL_FORMS}"
        raise InputError([Problem("", None, "db", message)])
    if backend == "sqlite" and parsed.host:
        message = f"{url!r} names a host; an SQLite store is a file: {_URL_FORMS}"
        raise InputError([Problem("", None, "db", message)])


def make_engine(url: str) -> Engine:
    """An engine; on SQLite every statement waits up to the lock wait for a busy file (busy timeout)."""
    check_database_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": lock_wait_s()})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_engine(url)


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def shown_url(url: str) -> str:
    """The URL as a message may show it (no password)."""
    return make_url(url).render_as_string(hide_password=True)


def require_existing(engine: Engine) -> None:
    """Refuse a store that does not exist yet instead of creating an empty one.

    An SQLite file must exist; a PostgreSQL database must hold the immex schema
    (its ``alembic_version`` table). Raises StoreMissing.
    """
    url = engine.url.render_as_string(hide_password=False)
    path = sqlite_path(url)
    if path is not None:
        if not path.is_file():
            raise StoreMissing(_missing(url))
        return
    if engine.dialect.name == "sqlite":
        return  # in memory: nothing to find
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            raise StoreMissing(_missing(url))


def _missing(url: str) -> str:
    return (
        f"the store {shown_url(url)} does not exist (nothing was created): check --db or IMMEX_DB, "
        "or create it with `immex discharge --db ...` or `immex demo`"
    )


@cache
def _alembic_config_path() -> Path:
    return Path(str(resources.files("immex.store").joinpath("alembic.ini")))


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config(str(_alembic_config_path()))
    config.set_main_option("script_location", str(_alembic_config_path().parent / "migrations"))
    return config


@cache
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def _current_heads(engine: Engine) -> frozenset[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads())


def is_current(engine: Engine) -> bool:
    """Every revision of the package applied? (A branch another depends on is not listed as a head.)

    An unknown revision in the store is "not current": the upgrade then says so.
    """
    from alembic.util.exc import CommandError

    script, current = _script(), _current_heads(engine)
    try:
        applied = {rev.revision for rev in script.iterate_revisions(tuple(current), "base")}
    except CommandError:
        return False
    return set(script.get_heads()) <= applied


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision of every branch (``heads``), safely under concurrency.

    Nothing is locked when the schema is already current (the usual case: a
    report never waits behind a writer for this). Otherwise the upgrade runs
    in one transaction holding the schema lock — an advisory lock on
    PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite — so two commands on a new
    store do not both create the tables: the second waits, then finds the
    schema current (Alembic reads the version table again under the lock).
    """
    if is_current(engine):
        return
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        schema_lock(connection, lock_wait_s())
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def schema_lock(connection: Connection, wait_s: float) -> None:
    """Serialize schema changes (first use of a store, upgrades) in this transaction."""
    if connection.dialect.name == "sqlite":
        begin_immediate(connection, wait_s, "the store's schema")
    elif connection.dialect.name == "postgresql":
        advisory_lock(connection, SCHEMA_LOCK_KEY, wait_s, "the store's schema")


def begin_immediate(connection: Connection, wait_s: float, what: str) -> None:
    """Take SQLite's write lock now (not at the first write), waiting at most ``wait_s``.

    The driver starts transactions lazily, before the first INSERT; issuing
    BEGIN IMMEDIATE ourselves makes every read that follows see the last
    committed writer's data and keeps any other writer out until commit.
    """
    from sqlalchemy.exc import OperationalError

    connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as error:
        if "locked" in str(error.orig) or "busy" in str(error.orig):
            raise StoreBusy(busy_message(what, wait_s)) from None
        raise


def advisory_lock(connection: Connection, key: int, wait_s: float, what: str) -> None:
    """PostgreSQL transaction-level advisory lock ``(LOCK_CLASS, key)``, waiting at most ``wait_s``."""
    from sqlalchemy.exc import OperationalError

    params = {"cls": LOCK_CLASS, "key": key}
    if wait_s <= 0:  # do not wait at all (the API answers 409 instead)
        taken = connection.execute(text("SELECT pg_try_advisory_xact_lock(:cls, :key)"), params).scalar()
        if not taken:
            raise StoreBusy(busy_message(what, wait_s))
        return
    # lock_timeout bounds this wait (and any later lock wait of the same transaction).
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_s * 1000)}ms'")
    try:
        connection.execute(text("SELECT pg_advisory_xact_lock(:cls, :key)"), params)
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == "55P03":
            raise StoreBusy(busy_message(what, wait_s)) from None
        raise


def busy_message(what: str, wait_s: float) -> str:
    return (
        f"another immex command is writing to {what} (waited {wait_s:g} s): nothing was done; "
        f"run this again when it has finished ({LOCK_WAIT_ENV} sets how many seconds to wait)"
    )


def open_database(url: str | None, *, must_exist: bool = False) -> Engine:
    """Engine for ``url`` (or the default) with its schema up to date.

    ``must_exist``: refuse (StoreMissing) a store that does not exist instead of creating it.
    """
    engine = make_engine(database_url(url))
    try:
        if must_exist:
            require_existing(engine)
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine
