"""The API's access to the store: one engine per server process, a session per unit of work.

``reading`` opens a session; ``writing`` a transaction for the API's own tables (users,
tokens, jobs, audit) that commits on success and rolls back on any error; ``company_writer``
is the store's :class:`~immex.store.uow.UnitOfWork` on the server's engine: the company's
writer lock (the same one the CLI takes) and the ledger's invariants checked at commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from immex.ledger.invariants import check_ledger
from immex.store.db import database_url, open_database
from immex.store.uow import UnitOfWork


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

    @contextmanager
    def company_writer(self, company_code: str) -> Iterator[Session]:
        """A transaction that is the company's only writer (CLI or API) until it ends."""
        with UnitOfWork(engine=self.engine, write=True, company=company_code, checks=[check_ledger]) as uow:
            yield uow.session

    def close(self) -> None:
        self.engine.dispose()
