"""Per-client limits (moving window): visitor API requests, and failed admin logins.

Both keep their counters in a ``limits`` storage: in this process by default; with
``FAQ_BOT_REDIS_URL``, in Redis, so that a limit holds across replicas (a visitor gets
the limit, not the limit times the number of replicas). While Redis cannot be reached
the counters fall back to this process (warned once per outage): chat keeps answering
and failed logins are still throttled, per replica.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from faq_bot.errors import LoginThrottledError, RateLimitedError

log = logging.getLogger("faq_bot.service")
#: How long one Redis call may take before the request goes on with the local counters (seconds).
REDIS_TIMEOUT = 0.5


def shared_storage(redis_url: str) -> Storage:
    """A Redis storage for limits shared by replicas (errors wrapped, short timeouts: never a stuck request)."""
    storage = storage_from_string(
        redis_url, wrap_exceptions=True, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )
    assert isinstance(storage, Storage), "a redis:// URL gives a synchronous storage"
    return storage


class _Window:
    #: Keeps the counters of different limits apart in a shared storage.
    kind = "requests"

    def __init__(self, spec: str, storage: Storage | None = None) -> None:
        self.item: RateLimitItem | None = parse(spec) if spec.strip() else None
        self.shared = storage is not None
        self.limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self.local = MovingWindowRateLimiter(MemoryStorage()) if storage is not None else self.limiter
        self._failing = False
        self._lock = threading.Lock()

    def _call(self, method: str, client: str, cost: int = 1) -> bool:
        """``hit`` or ``test`` on the shared storage, or on the local one while it fails."""
        assert self.item is not None
        try:
            ok: bool = getattr(self.limiter, method)(self.item, self.kind, client, cost=cost)
        except StorageError as exc:
            self._failed(exc)
            ok = getattr(self.local, method)(self.item, self.kind, client, cost=cost)
            return ok
        if self._failing:
            with self._lock:
                self._failing = False
            log.warning("rate limits shared again (Redis answers)")
        return ok

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            first, self._failing = not self._failing, True
        if first:
            log.warning("Redis unreachable, rate limits counted per replica until it answers: %s", exc)

    def retry_after(self, client: str) -> int:
        assert self.item is not None
        try:
            reset = self.limiter.get_window_stats(self.item, self.kind, client).reset_time
        except StorageError:
            reset = self.local.get_window_stats(self.item, self.kind, client).reset_time
        return max(1, math.ceil(reset - time.time()))


#: A question longer than this counts as one more request for every so many characters beyond it (the encoder's
#: time grows with its length: a 1,000-character question took 0.45 s of the encoder every visitor shares).
CHARS_PER_REQUEST = 200


def extra_cost(chars: int) -> int:
    """How many requests more than one a question of ``chars`` characters counts as (0 up to CHARS_PER_REQUEST)."""
    return max(0, (chars - 1) // CHARS_PER_REQUEST)


class RateLimit(_Window):
    """Per-client moving-window limit on the visitor API (an empty spec disables it)."""

    def check(self, client: str, cost: int = 1) -> None:
        """Count a request (``cost``: as that many); raise ``RateLimitedError`` when the client is over its limit."""
        if self.item is None or cost <= 0 or self._call("hit", client, cost):
            return
        raise RateLimitedError(self.retry_after(client))


class LoginThrottle(_Window):
    """Failed admin logins per client: past the limit every attempt is refused (even a right token) until it clears."""

    kind = "failed-logins"

    def attempt(self, client: str, succeeds: Callable[[], bool]) -> bool:
        """One try: refused with ``LoginThrottledError`` while the client has used up its failed attempts (the
        token is then never compared), else ``succeeds()``; a failure counted.

        A failure is counted and checked against the limit again in one step of the storage (``hit``: a lock in
        this process, a script in Redis): parallel guesses that all passed the first check are told "wrong" no
        more often than the limit allows; the others get the throttled answer."""
        if self.item is None:
            return succeeds()
        self.check(client)
        ok = succeeds()
        if not ok and not self._call("hit", client):
            raise LoginThrottledError(self.retry_after(client))
        return ok

    def check(self, client: str) -> None:
        """Raise ``LoginThrottledError`` while the client has used up its failed attempts."""
        if self.item is not None and not self._call("test", client):
            raise LoginThrottledError(self.retry_after(client))
