"""A psycopg OperationalError without SQLSTATE says what happened ("cannot reach" only if it could not)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from immex.store.errors import store_message


def _message(text: str) -> str:
    found = store_message(OperationalError("SELECT secret FROM t", {}, psycopg.OperationalError(text)))
    assert found is not None
    return found


@pytest.mark.parametrize(
    "text",
    [
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused',
        'connection failed: could not translate host name "db.invalid" to address',
        "connection failed: timeout expired",
    ],
)
def test_a_failed_connection_cannot_reach_the_server(text: str) -> None:
    assert _message(text).startswith("cannot reach the PostgreSQL server of --db (connection failed: ")


@pytest.mark.parametrize(
    "text",
    [
        "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally",
        "consuming input failed: SSL SYSCALL error: EOF detected",
        "the connection is closed",
    ],
)
def test_a_connection_lost_on_the_way_says_so(text: str) -> None:
    message = _message(text)
    assert message.startswith("the connection to the PostgreSQL server of --db was lost (")
    assert "not committed" in message and "cannot reach" not in message


def test_another_operational_error_says_what_happened_without_sql_or_trace() -> None:
    message = _message("sending query failed: another command is already in progress\nLINE 1: SELECT x")
    assert message.startswith(
        "the PostgreSQL server of --db reported an operational error "
        "(sending query failed: another command is already in progress): "
    )
    assert "cannot reach" not in message
    assert "SELECT" not in message and "LINE 1" not in message and "Traceback" not in message
