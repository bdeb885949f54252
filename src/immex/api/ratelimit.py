"""Login rate limiting: failed attempts per e-mail and per client address in a sliding window."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginLimiter:
    """At most ``per_user`` failures per e-mail and ``per_client`` per address in ``window_s``.

    Kept in the memory of each server process: enough to make guessing passwords slow,
    without a shared store. Successful logins do not count.
    """

    def __init__(self, per_user: int = 10, per_client: int = 50, window_s: float = 300.0) -> None:
        self.limits = {"user": per_user, "client": per_client}
        self.window_s = window_s
        self.failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self.failures[key]
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def retry_after(self, email: str, client: str) -> int:
        """Seconds to wait before another attempt is heard; 0 when one may try now."""
        now = time.monotonic()
        wait = 0.0
        with self.lock:
            for kind, value in (("user", email), ("client", client)):
                times = self._recent((kind, value), now)
                if len(times) >= self.limits[kind]:
                    wait = max(wait, self.window_s - (now - times[0]))
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, email: str, client: str) -> None:
        now = time.monotonic()
        with self.lock:
            for key in (("user", email), ("client", client)):
                self._recent(key, now).append(now)
