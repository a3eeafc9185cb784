"""Per-client limits (moving window): visitor API requests, and failed admin logins.

Both keep their counters in a ``limits`` storage: in this process by default; a
shared one (``limits``' Redis storage) makes them hold across replicas.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from faq_bot.errors import LoginThrottledError, RateLimitedError


class _Window:
    #: Keeps the counters of different limits apart in a shared storage.
    kind = "requests"

    def __init__(self, spec: str, storage: Storage | None = None) -> None:
        self.item: RateLimitItem | None = parse(spec) if spec.strip() else None
        self.shared = storage is not None
        self.limiter = MovingWindowRateLimiter(storage or MemoryStorage())

    def retry_after(self, client: str) -> int:
        assert self.item is not None
        reset = self.limiter.get_window_stats(self.item, self.kind, client).reset_time
        return max(1, math.ceil(reset - time.time()))


class RateLimit(_Window):
    """Per-client moving-window limit on the visitor API (an empty spec disables it)."""

    def check(self, client: str) -> None:
        """Count a request; raise ``RateLimitedError`` when the client is over its limit."""
        if self.item is None or self.limiter.hit(self.item, self.kind, client):
            return
        raise RateLimitedError(self.retry_after(client))


class LoginThrottle(_Window):
    """Failed admin logins per client: past the limit every attempt is refused (even a right token) until it clears."""

    kind = "failed-logins"

    def check(self, client: str) -> None:
        """Raise ``LoginThrottledError`` while the client has used up its failed attempts."""
        if self.item is not None and not self.limiter.test(self.item, self.kind, client):
            raise LoginThrottledError(self.retry_after(client))

    def failed(self, client: str) -> None:
        """Count a failed attempt."""
        if self.item is not None:
            self.limiter.hit(self.item, self.kind, client)
