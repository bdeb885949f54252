"""The API's access to the store: one engine per server process, a session per unit of work.

A thin adapter until ``immex.store.uow`` exists: ``reading`` opens a session, ``writing``
opens one inside a transaction that commits on success and rolls back on any error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from immex.store.db import database_url, open_database


class Store:
    def __init__(self, url: str | None) -> None:
        self.url = database_url(url)
        self.engine: Engine = open_database(self.url)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
