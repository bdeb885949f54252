"""Database and file-system errors a user can meet, as one line saying what happened and what to do.

Every entry point (the CLI's error handler, later the API) asks :func:`store_message`
for the text of an exception; ``None`` means "not one of ours: a bug, let it surface".
The store's own refusals (:class:`StoreMissing`, :class:`StoreBusy`,
:class:`InvariantViolation`) carry their message already.
"""

from __future__ import annotations

import errno
import re
import sys

from sqlalchemy import exc as sa_exc

from immex.core.problems import InputError, Problem


class StoreError(Exception):
    """A store problem the user can act on; ``str()`` is the one-line message."""


class StoreMissing(StoreError, InputError):
    """A read-only use case was pointed at a store that does not exist (it is never created then).

    Also an InputError (column ``db``): a mistyped ``--db`` is bad input, exit 2 like any other.
    """

    def __init__(self, message: str) -> None:
        InputError.__init__(self, [Problem("", None, "db", message)])
        self.message = message

    def __str__(self) -> str:
        return self.message


class StoreBusy(StoreError):
    """Another writer holds the company's lock longer than this one may wait."""


class InvariantViolation(StoreError):
    """The transaction would break a rule of the stored ledger; it was rolled back."""


# Driver messages (SQLite text, PostgreSQL SQLSTATE) → what the user reads.
_SQLITE = (
    (
        "database is locked",
        "the store is busy: another immex command is writing to it; "
        "try again when it has finished (IMMEX_LOCK_WAIT sets how many seconds to wait)",
    ),
    (
        "readonly database",
        "the store is read-only (file or folder permissions, or a read-only disk): "
        "nothing was stored; use a writable --db",
    ),
    (
        "database or disk is full",
        "the disk holding the store is full: nothing was stored; free some space and run the command again",
    ),
    (
        "unable to open database file",
        "cannot open the store file: check that its folder exists and is writable, or give another --db",
    ),
    (
        "file is not a database",
        "the --db file is not an immex store (not an SQLite database): check the path",
    ),
    (
        "disk i/o error",
        "the disk holding the store failed to read or write (disk I/O error): "
        "nothing was stored; check the disk and run the command again",
    ),
)
_PG_STATES = {
    "55P03": _SQLITE[0][1],  # lock_not_available (lock_timeout)
    "53100": _SQLITE[2][1],  # disk_full
    "25006": "the PostgreSQL database is read-only (a standby, or default_transaction_read_only): "
    "nothing was stored; point --db at the primary",
    "28P01": "cannot log in to PostgreSQL: password authentication failed; "
    "check the user and password in --db or IMMEX_DB",
    "28000": "PostgreSQL refused the login (pg_hba.conf or role): check the user in --db or IMMEX_DB",
    "3D000": "the PostgreSQL database named in --db does not exist: create it (createdb) or fix the URL",
    "42501": "the PostgreSQL user of --db lacks a permission on the immex tables: grant it or use the owner",
    "57014": "the database cancelled the statement (statement_timeout): nothing was stored; "
    "raise the timeout or run the command again",
}
_RACE = (
    "the store changed under this command ({what}): nothing was stored; "
    "run the command again (another immex command was writing at the same time)"
)
_NUL = (
    "a text value contains a NUL (0x00) character, which PostgreSQL cannot store: "
    "nothing was stored; remove it from the input file"
)


def store_message(error: BaseException) -> str | None:
    """The one-line message for ``error``, or None when it is not a store or disk error."""
    if isinstance(error, StoreError):
        return str(error)
    if _is_alembic_error(error):
        return _alembic_message(error)
    if isinstance(error, sa_exc.DBAPIError):
        return _dbapi_message(error.orig, error)
    if isinstance(error, OSError):
        return _os_message(error)
    if _is_nul_error(error):
        return _NUL
    return _driver_message(error)


def _is_alembic_error(error: BaseException) -> bool:
    # Alembic is imported only by the code that upgrades a store: a command that never loaded
    # it (the in-memory discharge) cannot have met one of its errors, and does not pay for it.
    if "alembic" not in sys.modules:
        return False
    from alembic.script.revision import RevisionError
    from alembic.util.exc import CommandError

    return isinstance(error, CommandError | RevisionError)


def _alembic_message(error: BaseException) -> str | None:
    found = re.search(
        r"(?:Can't locate revision identified by|No such revision or branch) '([^']+)'", str(error)
    )
    if found is None:
        return None
    return (
        f"the store's schema revision {found.group(1)!r} is unknown to this immex "
        "(the store was written by a newer version): upgrade immex, or give another --db"
    )


def _dbapi_message(orig: BaseException | None, wrapper: sa_exc.DBAPIError) -> str | None:
    if orig is not None:
        found = _driver_message(orig)
        if found is not None:
            return found
    if isinstance(wrapper, sa_exc.IntegrityError):
        return _RACE.format(what=_first_line(str(orig or wrapper)))
    return None


def _driver_message(orig: BaseException) -> str | None:
    """SQLite's message text or PostgreSQL's SQLSTATE of a driver exception."""
    if _is_nul_error(orig):
        return _NUL
    state = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)
    if isinstance(state, str):
        if state in _PG_STATES:
            return _PG_STATES[state]
        if state.startswith("23"):  # integrity_constraint_violation: a racing writer
            return _RACE.format(what=_first_line(str(orig)))
        if state.startswith("08"):  # connection_exception
            return _connection_message(orig)
    text = str(orig).lower()
    module = type(orig).__module__
    if module.startswith("sqlite3"):
        for needle, message in _SQLITE:
            if needle in text:
                return message
        if "constraint failed" in text:
            return _RACE.format(what=_first_line(str(orig)))
    if module.startswith("psycopg") and type(orig).__name__ == "OperationalError":
        return _connection_message(orig)
    return None


# libpq's words for a server it could not reach, and for a connection that went away after
_UNREACHABLE = re.compile(
    r"connection refused|could not connect|could not translate host name|name or service not known|"
    r"no route to host|timeout expired|timed out|network is unreachable|no such file or directory|"
    r"connection to server .* failed",
    re.IGNORECASE,
)
_LOST = re.compile(
    r"server closed the connection|connection (is|was|has been) (closed|lost|terminated)|"
    r"terminating connection|consuming input failed|ssl syscall|connection reset",
    re.IGNORECASE,
)


def _connection_message(orig: BaseException) -> str:
    """A psycopg OperationalError (or SQLSTATE class 08): only a failed connection says "cannot reach"."""
    text = str(orig)
    line = _first_line(text)
    if "password authentication failed" in text:
        return _PG_STATES["28P01"]
    found = re.search(r'database "([^"]+)" does not exist', text)
    if found:
        return (
            f"the PostgreSQL database {found.group(1)!r} does not exist: "
            "create it (createdb) or fix the URL in --db"
        )
    if _LOST.search(text):
        return (
            f"the connection to the PostgreSQL server of --db was lost ({line}): the transaction was "
            "not committed; check the server and run the command again"
        )
    if _UNREACHABLE.search(text):
        where = f"cannot reach the PostgreSQL server of --db ({line})"
        return f"{where}: is it running, and are host and port right?"
    return (
        f"the PostgreSQL server of --db reported an operational error ({line}): the command stopped and "
        "its transaction was not committed; run it again, or set IMMEX_DEBUG=1 to see the details"
    )


def _is_nul_error(error: BaseException) -> bool:
    return "NUL (0x00)" in str(error)


def _os_message(error: OSError) -> str | None:
    where = f" ({error.filename})" if error.filename else ""
    if error.errno == errno.ENOSPC:
        return f"the disk is full{where}: free some space and run the command again"
    if error.errno == errno.EROFS:
        return f"the file system is read-only{where}: write somewhere else"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied{where}: check the file and folder permissions"
    return None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no detail"
