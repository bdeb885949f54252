"""Login rate limiting: failed attempts per e-mail and per client address in a sliding window.

The failures are rows of the store (``api_login_failure``), so the limit holds across every
server process (``immex serve --workers N``) and every server on the same database, and
survives a restart. Successful logins do not count; rows older than the window are deleted
as new failures arrive.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select

from immex.api.orm import LoginFailureRow
from immex.api.store import Store


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives stored UTC times back without their offset."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class LoginLimiter:
    """At most ``per_user`` failures per e-mail and ``per_client`` per address in ``window_s``."""

    def __init__(
        self, store: Store, per_user: int = 10, per_client: int = 50, window_s: float = 300.0
    ) -> None:
        self.store = store
        self.limits = {"user": per_user, "client": per_client}
        self.window = dt.timedelta(seconds=window_s)

    def retry_after(self, email: str, client: str) -> int:
        """Seconds to wait before another attempt is heard; 0 when one may try now."""
        now = _now()
        wait = dt.timedelta(0)
        with self.store.reading() as session:
            for kind, key in (("user", email), ("client", client)):
                count, oldest = session.execute(
                    select(func.count(), func.min(LoginFailureRow.at)).where(
                        LoginFailureRow.kind == kind,
                        LoginFailureRow.key == key,
                        LoginFailureRow.at > now - self.window,
                    )
                ).one()
                if count >= self.limits[kind] and oldest is not None:
                    wait = max(wait, self.window - (now - _aware(oldest)))
        return int(wait.total_seconds()) + 1 if wait > dt.timedelta(0) else 0

    def failed(self, email: str, client: str) -> None:
        now = _now()
        with self.store.writing() as session:
            for kind, key in (("user", email), ("client", client)):
                session.execute(
                    delete(LoginFailureRow).where(
                        LoginFailureRow.kind == kind,
                        LoginFailureRow.key == key,
                        LoginFailureRow.at <= now - self.window,
                    )
                )
                session.add(LoginFailureRow(kind=kind, key=key[:254], at=now))
