"""``immex user add|grant|revoke|disable``: the users of ``immex serve`` and their grants."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import typer
from sqlalchemy.orm import Session

from immex.api import users
from immex.cli.common import DbOption, problems_exit, stdout
from immex.ledger.service import current_user
from immex.store.uow import UnitOfWork

app = typer.Typer(
    help="Users of the web application and API, their roles and company grants.", no_args_is_help=True
)

T = TypeVar("T")
RoleHelp = "admin, analyst, auditor or broker"


def _in_store(db: str | None, change: Callable[[Session, str], T]) -> T:
    """Run one change in its own transaction; problems exit 2 with nothing stored."""
    with problems_exit(), UnitOfWork(db, write=True) as uow:  # creates the store on first use
        return change(uow.session, f"cli:{current_user()}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("add")
def add(
    email: str = typer.Argument(..., help="The user's e-mail (its login name)"),
    role: str = typer.Option(..., "--role", help=RoleHelp),
    company: list[str] = typer.Option([], "--company", help="RFC of a company it may see (repeatable)"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password (one line) from standard input"
    ),
    db: str | None = DbOption,
) -> None:
    """Create a user; the password (at least 12 characters) is stored only as an argon2 hash."""
    password = _read_password(password_stdin)
    _in_store(db, lambda s, actor: users.add_user(s, email, role, password, company, actor))
    stdout.print(f"user {users.normal_email(email)} ({role}) added")


@app.command("grant")
def grant(
    email: str = typer.Argument(...),
    company: str = typer.Option(..., "--company", help="RFC of the company"),
    role: str | None = typer.Option(
        None, "--role", help=f"Role on this company ({RoleHelp}); default: the user's role"
    ),
    db: str | None = DbOption,
) -> None:
    """Let a user see a company (optionally with another role there)."""
    _in_store(db, lambda s, actor: users.grant(s, email, company, role, actor))
    stdout.print(f"{users.normal_email(email)} may see {company.upper()}")


@app.command("revoke")
def revoke(
    email: str = typer.Argument(...),
    company: str = typer.Option(..., "--company", help="RFC of the company"),
    db: str | None = DbOption,
) -> None:
    """Withdraw a user's grant on a company."""
    found = _in_store(db, lambda s, actor: users.revoke(s, email, company, actor))
    stdout.print(
        f"{users.normal_email(email)} "
        + ("no longer sees " if found else "had no grant on ")
        + company.upper()
    )


@app.command("disable")
def disable(email: str = typer.Argument(...), db: str | None = DbOption) -> None:
    """Disable a user: its tokens stop working at once."""
    _in_store(db, lambda s, actor: users.disable(s, email, actor))
    stdout.print(f"user {users.normal_email(email)} disabled")
