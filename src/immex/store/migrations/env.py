"""Alembic environment: runs on the connection handed over by immex.store.db.upgrade."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from immex.store.base import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # command-line alembic use: sqlalchemy.url from the ini file
        connectable = engine_from_config(
            context.config.get_section(context.config.config_ini_section) or {},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with connectable.connect() as connection:
            context.configure(connection=connection, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
