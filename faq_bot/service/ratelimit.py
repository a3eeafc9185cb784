"""The per-client rate limit on the visitor API (moving window, in this process)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from faq_bot.errors import RateLimitedError


class RateLimit:
    """Per-client moving-window limit (in this process) on the visitor API."""

    def __init__(self, spec: str) -> None:
        self.item: RateLimitItem | None = parse(spec) if spec.strip() else None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, client: str) -> None:
        """Raise ``RateLimitedError`` when the client is over its limit."""
        if self.item is None or self.limiter.hit(self.item, client):
            return
        reset = self.limiter.get_window_stats(self.item, client).reset_time
        raise RateLimitedError(max(1, math.ceil(reset - time.time())))
