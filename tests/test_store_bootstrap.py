from sqlalchemy import inspect

from immex.store.db import open_database


def test_schema_upgrade_creates_alembic_version_on_every_store(db_url: str) -> None:
    engine = open_database(db_url)
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()
