"""Engines and schema upgrades. SQLite (embedded) by default, PostgreSQL for a plant."""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

DEFAULT_DB = "sqlite:///immex.db"


def database_url(url: str | None) -> str:
    """The URL given, else ``IMMEX_DB``, else an SQLite file in the working directory."""
    return url or os.environ.get("IMMEX_DB") or DEFAULT_DB


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


@cache
def _alembic_config_path() -> Path:
    return Path(str(resources.files("immex.store").joinpath("alembic.ini")))


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision of every branch (``heads``)."""
    config = Config(str(_alembic_config_path()))
    config.set_main_option("script_location", str(_alembic_config_path().parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def open_database(url: str | None) -> Engine:
    """Engine for ``url`` (or the default) with its schema up to date."""
    engine = make_engine(database_url(url))
    upgrade(engine)
    return engine
