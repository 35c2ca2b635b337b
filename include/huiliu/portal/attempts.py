"""Failed token attempts, counted per token prefix and per client address, in a sliding window.

A prefix or an address with too many failures in the window is refused before its token is even
checked (HTTP 429 with ``Retry-After``), which caps guessing and spares argon2. The counts live in
the portal process: behind several workers, each counts its own.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 10
WINDOW_SECONDS = 300.0


class FailedAttempts:
    """Sliding-window counts of failures per key (``prefix:…`` or ``client:…``)."""

    def __init__(
        self,
        limit: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, keys: list[str]) -> int | None:
        """Seconds until the first of these keys may try again, None when none is blocked."""
        now = self._clock()
        waits = []
        with self._lock:
            for key in keys:
                failures = self._recent(key, now)
                if len(failures) >= self.limit:
                    waits.append(failures[0] + self.window - now)
        return max(1, int(max(waits)) + 1) if waits else None

    def fail(self, keys: list[str]) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
