"""Per-client rate limiting with token buckets.

https://www.rfc-editor.org/rfc/rfc6585#section-4 (429 Too Many Requests)

Each key (OAuth client id, or the remote address before authentication) has
a bucket of ``burst`` requests refilled at ``per_minute / 60`` per second.
:meth:`RateLimiter.take` answers 0 when the request may go on, else the
seconds to wait (for ``Retry-After``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Token buckets by key.

    >>> clock = iter([0.0, 0.0, 0.0, 30.0]).__next__
    >>> limiter = RateLimiter(per_minute=2, burst=2, clock=clock)
    >>> limiter.take("a"), limiter.take("a"), limiter.take("a"), limiter.take("a")
    (0, 0, 30, 0)
    """

    def __init__(self, per_minute: int, burst: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(per_minute // 6, 10))
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> int:
        """Take one request from ``key``'s bucket: 0, or seconds until one is available."""
        if self.rate <= 0:
            return 0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
            return max(1, math.ceil((1 - tokens) / self.rate))
