"""Every database error a user can meet is one line saying what to do (issue 15, point 6).

The errors are real ones, raised by the drivers, except the failed PostgreSQL
login: the suite's server trusts every local connection, so that one is the
driver's exception built by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from immex.cli import app
from immex.ledger.orm import PartRow
from immex.ledger.service import company_id
from immex.store.db import open_database
from immex.store.errors import store_message
from immex.store.uow import UnitOfWork
from tests.ledger.ledger_files import exp, imp, part, write_ledger


def _ledger(tmp_path: Path) -> Path:
    return write_ledger(
        tmp_path / "in",
        [part("A")],
        [imp("25 47 3456 5000001", 1, "A", "10", "2025-01-01")],
        [exp("25 47 3456 6000001", 1, "A", "4", "2025-02-01")],
    )


def _one_line(stderr: str) -> str:
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    return stderr


@pytest.mark.parametrize("command", [["report", "balances"], ["report", "runs"], ["datastage", "summary"]])
def test_a_report_on_a_missing_store_says_so_and_creates_nothing(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(app, [*command, "--db", f"sqlite:///{missing}"])
    assert result.exit_code == 2
    assert "does not exist (nothing was created)" in result.stderr
    assert not missing.exists()


def test_a_report_without_db_creates_no_store_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IMMEX_DB", raising=False)
    result = CliRunner().invoke(app, ["report", "balances"])
    assert result.exit_code == 2 and "sqlite:///immex.db does not exist" in result.stderr
    assert os.listdir(tmp_path) == []


def test_a_read_only_store_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    open_database(url).dispose()
    read_only = f"sqlite:///file:{tmp_path / 'ro.db'}?mode=ro&uri=true"
    args = ["discharge", "--input", str(_ledger(tmp_path)), "--output", str(tmp_path / "o")]
    result = CliRunner().invoke(app, [*args, "--db", read_only])
    assert result.exit_code == 1
    assert _one_line(result.stderr).startswith("error: the store is read-only")


def test_a_full_disk_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'full.db'}"
    open_database(url).dispose()
    with pytest.raises(DBAPIError) as caught, UnitOfWork(url, write=True) as uow:
        pages = uow.session.execute(text("PRAGMA page_count")).scalar()
        uow.session.execute(text(f"PRAGMA max_page_count = {pages}"))  # the "disk" is full now
        company = company_id(uow.session, uow.company)
        uow.session.add_all(
            PartRow(company_id=company, part=f"P{n}", uom="pcs", kind="raw", description="x" * 300)
            for n in range(2000)
        )
        uow.session.flush()
    assert store_message(caught.value) == (
        "the disk holding the store is full: nothing was stored; free some space and run the command again"
    )


def test_a_unique_violation_from_a_race_is_one_line(db_url: str) -> None:
    with pytest.raises(DBAPIError) as caught, UnitOfWork(db_url, write=True) as uow:
        company = company_id(uow.session, uow.company)
        for _ in range(2):  # what two writers without the lock would have done
            uow.session.add(PartRow(company_id=company, part="A", uom="pcs", kind="raw"))
        uow.session.flush()
    message = store_message(caught.value)
    assert message is not None and message.startswith("the store changed under this command (")
    assert message.endswith("run the command again (another immex command was writing at the same time)")


@pytest.mark.postgres
def test_nul_in_text_for_postgresql_is_one_line(pg_url: str) -> None:
    with pytest.raises(DBAPIError) as caught, UnitOfWork(pg_url, write=True) as uow:
        company = company_id(uow.session, uow.company)
        uow.session.add(PartRow(company_id=company, part="A\x00B", uom="pcs", kind="raw"))
        uow.session.flush()
    assert store_message(caught.value) == (
        "a text value contains a NUL (0x00) character, which PostgreSQL cannot store: "
        "nothing was stored; remove it from the input file"
    )


@pytest.mark.postgres
def test_a_missing_postgresql_database_is_one_line(pg_server_url: str) -> None:
    url = pg_server_url.rpartition("/")[0] + "/no_such_database"
    result = CliRunner().invoke(app, ["report", "runs", "--db", url])
    assert result.exit_code == 1
    assert _one_line(result.stderr) == (
        "error: the PostgreSQL database 'no_such_database' does not exist: "
        "create it (createdb) or fix the URL in --db\n"
    )


def test_a_wrong_password_is_one_line() -> None:
    error = psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
        'FATAL:  password authentication failed for user "immex"'
    )
    assert store_message(DBAPIError("SELECT 1", {}, error)) == (
        "cannot log in to PostgreSQL: password authentication failed; "
        "check the user and password in --db or IMMEX_DB"
    )


def test_an_unreachable_server_is_one_line() -> None:
    result = CliRunner().invoke(app, ["report", "runs", "--db", "postgresql+psycopg://immex@127.0.0.1:1/x"])
    assert result.exit_code == 1
    assert _one_line(result.stderr).startswith("error: cannot reach the PostgreSQL server of --db (")


def test_other_errors_are_not_ours() -> None:
    assert store_message(ValueError("a bug")) is None
    assert store_message(KeyError("x")) is None


@pytest.mark.parametrize("url", ["plant.db", "sqllite:///x.db", "mysql://u@h/x", "sqlite://plant.db"])
@pytest.mark.parametrize(
    "command",
    [
        ["run", "reverse", "1", "--reason", "x"],
        [
            "adjust",
            "--pedimento",
            "25 47 3456 5000001",
            "--line",
            "1",
            "--part",
            "A",
            "--qty",
            "1",
            "--reason",
            "x",
        ],
        ["datastage", "summary"],
        ["company", "set", "--name", "X", "--rfc", "EKU9003173C9"],
        ["report", "runs"],
    ],
)
def test_a_mistyped_db_url_is_one_input_error_in_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [*command, "--db", url])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr and ",,db," in result.stderr
    assert "sqlite:///FILE.db" in result.stderr
    assert os.listdir(tmp_path) == []  # nothing created


def test_a_mistyped_db_url_in_discharge_writes_errors_csv_and_stores_nothing(tmp_path: Path) -> None:
    args = ["discharge", "--input", str(_ledger(tmp_path)), "--output", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--db", "sqllite:///plant.db"])
    assert result.exit_code == 2
    assert (tmp_path / "out" / "errors.csv").read_text().startswith("file,row,column,message\n,,db,")
    assert not (tmp_path / "plant.db").exists()
