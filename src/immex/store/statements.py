"""Statements built once and shared by the server's threads.

SQLAlchemy completes an alias (its column collection, the attributes adapted to
it) on first use, and that is not safe for two threads at once: a statement
built in one thread while another builds on the same aliases can name the base
table instead of the alias (``FROM ..., export_line``: a cross join, wrong
rows). The API's load test showed it at 20 users on a fresh server (wrong SQL,
500s, one trace at 3 s); ``tests/api/test_api_shared_statements.py`` shows it in
a fresh interpreter with many threads. A built statement is only read (compiling
it from many threads gave the right SQL every time), so building under one lock
is enough, and a cached statement costs a request one uncontended lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from functools import lru_cache, wraps
from typing import TypeVar

Built = TypeVar("Built")

_BUILDING = threading.RLock()  # re-entrant: a builder may call another


def built_once(maxsize: int) -> Callable[[Callable[..., Built]], Callable[..., Built]]:
    """``functools.lru_cache(maxsize)`` whose builds hold one lock (see the module's text)."""

    def decorate(build: Callable[..., Built]) -> Callable[..., Built]:
        cached = lru_cache(maxsize=maxsize)(build)

        @wraps(build)
        def statement(*shape: Hashable) -> Built:
            with _BUILDING:
                return cached(*shape)

        return statement

    return decorate
