"""`immex user …`: argon2 hashes, the 12-character minimum, grants, revocation, the audit log."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from immex.api.orm import AuditRow, GrantRow, UserRow
from immex.cli import app
from immex.store.db import open_database

RUN = CliRunner()


def user(db: str, *args: str, password: str | None = None) -> tuple[int, str]:
    result = RUN.invoke(app, ["user", *args, "--db", db], input=None if password is None else password + "\n")
    return result.exit_code, result.output


def rows(db: str) -> tuple[list[UserRow], list[GrantRow], list[str]]:
    engine = open_database(db)
    with Session(engine) as session:
        found = (
            list(session.scalars(select(UserRow))),
            list(session.scalars(select(GrantRow))),
            [a.action for a in session.scalars(select(AuditRow).order_by(AuditRow.id))],
        )
    engine.dispose()
    return found


def test_a_password_under_12_characters_exits_2_and_stores_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    code, output = user(
        db, "add", "a@example.mx", "--role", "analyst", "--password-stdin", password="elevenchars"
    )
    assert code == 2 and "at least 12 characters" in output
    assert rows(db) == ([], [], [])


def test_add_grant_revoke_with_an_argon2_hash_and_an_audit_trail(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert (
        user(
            db,
            "add",
            "A@Example.mx",
            "--role",
            "broker",
            "--company",
            "ACM010101AB0",
            "--password-stdin",
            password="twelve chars!",
        )[0]
        == 0
    )
    assert user(db, "grant", "a@example.mx", "--company", "BMX020202AB4", "--role", "auditor")[0] == 0
    assert user(db, "revoke", "a@example.mx", "--company", "ACM010101AB0")[0] == 0
    people, grants, actions = rows(db)
    assert [(p.email, p.role, p.active) for p in people] == [("a@example.mx", "broker", True)]
    assert people[0].password_hash.startswith("$argon2id$") and "twelve" not in people[0].password_hash
    assert [(g.company_rfc, g.role) for g in grants] == [("BMX020202AB4", "auditor")]
    assert actions == ["user.add", "grant.add", "grant.add", "grant.revoke"]
    assert user(db, "disable", "a@example.mx")[0] == 0
    assert not rows(db)[0][0].active


def test_bad_role_bad_rfc_duplicate_and_unknown_user_exit_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert user(db, "add", "a@example.mx", "--role", "boss", "--password-stdin", password="x" * 12)[0] == 2
    assert (
        user(
            db,
            "add",
            "a@example.mx",
            "--role",
            "analyst",
            "--company",
            "ACM010101AB1",
            "--password-stdin",
            password="x" * 12,
        )[0]
        == 2
    )
    assert user(db, "add", "a@example.mx", "--role", "analyst", "--password-stdin", password="x" * 12)[0] == 0
    assert user(db, "add", "a@example.mx", "--role", "analyst", "--password-stdin", password="y" * 12)[0] == 2
    assert user(db, "grant", "ghost@example.mx", "--company", "ACM010101AB0")[0] == 2
