"""Migrations are append-only, and a store made by every released schema upgrades cleanly.

``migration_hashes.txt`` lists the SHA-256 of every migration file. A released
revision never changes (``datastage_0001`` was edited in place three times and
stores made before the edits were never upgraded: issue 15, point 4); a new
revision appends its line to the list.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from immex.datastage.service import import_datastage
from immex.store.db import is_current, open_database
from tests.datastage.helpers import small_lines, zip_of
from tests.store.releases import MIGRATIONS, RELEASES, build_release_store, sqlite_fixture

MANIFEST = Path(__file__).with_name("migration_hashes.txt")


def _listed() -> dict[str, str]:
    pairs = (line.split() for line in MANIFEST.read_text().splitlines() if line.strip())
    return {name: digest for digest, name in pairs}


def test_no_released_migration_changes() -> None:
    listed = _listed()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert path.name in listed, f"{path.name} is new: append `{digest}  {path.name}` to {MANIFEST.name}"
        assert listed[path.name] == digest, (
            f"{path.name} changed after release: add a new revision instead of editing it"
        )


def test_no_listed_migration_disappears() -> None:
    present = {p.name for p in (MIGRATIONS / "versions").glob("*.py")}
    assert set(_listed()) <= present


def _assert_upgraded(url: str, commit: str, tmp_path: Path) -> None:
    engine = open_database(url)
    try:
        assert is_current(engine)
        key = inspect(engine).get_pk_constraint("ds_partida_contribucion")["constrained_columns"]
        assert "secuencia_fraccion" in key
        fks = {fk["referred_table"] for fk in inspect(engine).get_foreign_keys("ds_partida_contribucion")}
        assert fks == {"ds_pedimento"}
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(text("import_line"))) == 1
            kept = connection.scalar(select(func.count()).select_from(text("ds_partida_contribucion")))
            assert kept == (0 if commit == "bca9cf4" else 1)  # the Data Stage rows survive the rebuild
    finally:
        engine.dispose()
    result = import_datastage(zip_of(tmp_path, small_lines()), url)  # failed with IntegrityError before
    assert result.pedimentos > 0


@pytest.mark.parametrize("commit", RELEASES)
def test_a_sqlite_store_of_every_release_upgrades(commit: str, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copy(sqlite_fixture(commit), path)
    _assert_upgraded(f"sqlite:///{path}", commit, tmp_path)


@pytest.mark.postgres
@pytest.mark.parametrize("commit", RELEASES)
def test_a_postgresql_store_of_every_release_upgrades(commit: str, pg_url: str, tmp_path: Path) -> None:
    build_release_store(pg_url, commit)
    _assert_upgraded(pg_url, commit, tmp_path)


def test_an_unknown_revision_is_one_line(tmp_path: Path) -> None:
    from immex.store.errors import store_message

    path = tmp_path / "new.db"
    shutil.copy(sqlite_fixture("9139308"), path)
    url = f"sqlite:///{path}"
    open_database(url).dispose()
    engine = open_database(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE alembic_version SET version_num = 'datastage_0099' "
                "WHERE version_num = 'datastage_0002'"
            )
        )
    engine.dispose()
    with pytest.raises(Exception) as caught:
        open_database(url)
    assert store_message(caught.value) == (
        "the store's schema revision 'datastage_0099' is unknown to this immex "
        "(the store was written by a newer version): upgrade immex, or give another --db"
    )
