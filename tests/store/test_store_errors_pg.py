"""PostgreSQL's own read-only and full-disk errors reach the user as one line (issue 15, point 6).

Both errors are real: the read-only one from ``default_transaction_read_only``
on the test's database, the full disk from a tablespace on a tiny tmpfs that
the test's tables are created in. The store is left as it was: nothing of the
refused run is stored.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from immex.cli import app
from immex.store.db import open_database
from tests.ledger.ledger_files import exp, imp, part, write_ledger

pytestmark = pytest.mark.postgres


def _ledger(folder: Path, lines: int) -> Path:
    return write_ledger(
        folder,
        [part(f"PART-{n:05d}-{'x' * 40}") for n in range(lines)],
        [
            imp(f"25 47 3456 {5000000 + n}", 1, f"PART-{n:05d}-{'x' * 40}", "10", "2025-01-01")
            for n in range(lines)
        ],
        [exp("25 47 3456 6000001", 1, "PART-00000-" + "x" * 40, "4", "2025-02-01")],
    )


def _discharge(folder: Path, out: Path, url: str) -> tuple[int, str]:
    args = ["discharge", "--input", str(folder), "--output", str(out), "--as-of", "2025-03-01", "--db", url]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stderr


def _stored_imports(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM import_line")).scalar_one())
    engine.dispose()
    return count


def _admin(url: str, statement: str) -> None:
    engine = create_engine(url.rpartition("/")[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def test_a_read_only_postgresql_database_is_one_line_and_stores_nothing(tmp_path: Path, pg_url: str) -> None:
    open_database(pg_url).dispose()  # the schema exists; then the database turns read-only
    name = pg_url.rpartition("/")[2]
    _admin(pg_url, f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    code, stderr = _discharge(_ledger(tmp_path / "in", 3), tmp_path / "out", pg_url)
    assert code == 1
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith("error: the PostgreSQL database is read-only")
    assert not (tmp_path / "out").exists()
    _admin(pg_url, f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')
    assert _stored_imports(pg_url) == 0


@pytest.fixture
def tiny_tablespace(pg_url: str) -> Iterator[str]:
    """A 4 MiB tmpfs as the default tablespace of the test's database (root only, else skipped)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    base = Path(tempfile.mkdtemp(prefix="immex-tiny-pg-"))
    base.chmod(0o755)  # the postgres user walks into it
    mount = base / "disk"
    mount.mkdir()
    postgres = pwd.getpwnam("postgres")
    options = f"size=4m,uid={postgres.pw_uid},gid={postgres.pw_gid},mode=0700"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    space, name = f"tiny_{base.name[-8:].lower()}", pg_url.rpartition("/")[2]
    try:
        _admin(pg_url, f"CREATE TABLESPACE {space} LOCATION '{mount}'")
        _admin(pg_url, f'ALTER DATABASE "{name}" SET default_tablespace = {space}')
        yield space
    finally:
        _admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(pg_url, f"DROP TABLESPACE IF EXISTS {space}")
        subprocess.run(["umount", "-l", str(mount)], check=False)
        shutil.rmtree(base, ignore_errors=True)


def test_a_full_postgresql_disk_is_one_line_and_stores_nothing(
    tmp_path: Path, pg_url: str, tiny_tablespace: str
) -> None:
    open_database(pg_url).dispose()  # the empty schema fits in the tiny tablespace
    code, stderr = _discharge(_ledger(tmp_path / "in", 6000), tmp_path / "out", pg_url)  # ~2 MB of rows
    assert code == 1, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert stderr == (
        "error: the disk holding the store is full: nothing was stored; "
        "free some space and run the command again\n"
    )
    assert not (tmp_path / "out").exists()
    assert _stored_imports(pg_url) == 0
