"""The limits' storage: in the process, or Redis shared by replicas, falling back to the process while Redis is down."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.services import Redis
from faq_bot.errors import LoginThrottledError, RateLimitedError
from faq_bot.service.ratelimit import LoginThrottle, RateLimit, shared_storage


def test_two_replicas_on_one_redis_share_one_counter(redis_server: Redis) -> None:
    a, b = (RateLimit("2/minute", shared_storage(redis_server.url)) for _ in range(2))
    client = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex}"
    a.check(client)
    b.check(client)
    with pytest.raises(RateLimitedError) as err:
        a.check(client)
    assert err.value.retry_after >= 1


def test_an_unreachable_redis_falls_back_to_counting_in_the_process(caplog: pytest.LogCaptureFixture) -> None:
    throttle = LoginThrottle("1/minute", shared_storage("redis://127.0.0.1:1/0"))
    assert throttle.attempt("198.51.100.1", lambda: False) is False
    with pytest.raises(LoginThrottledError):
        throttle.check("198.51.100.1")  # still throttled, per replica
    assert caplog.text.count("Redis unreachable") == 1


def _parallel_guesses(throttles: list[LoginThrottle], client: str, n: int) -> list[str]:
    """``n`` wrong guesses at once on each of ``throttles`` (replicas), all judged at the same moment: what each
    was told."""
    judged_together = threading.Barrier(n * len(throttles), timeout=10)

    def wrong_guess() -> bool:
        judged_together.wait()  # every guess has passed the check before any is counted
        return False

    def guess(throttle: LoginThrottle) -> str:
        try:
            return "wrong" if throttle.attempt(client, wrong_guess) is False else "right"
        except LoginThrottledError:
            return "throttled"

    with ThreadPoolExecutor(n * len(throttles)) as pool:
        return sorted(pool.map(guess, [t for t in throttles for _ in range(n)]))


def test_parallel_guesses_are_told_wrong_no_more_often_than_the_limit() -> None:
    # A check before the guess and a count after it, apart, told every parallel guess it was wrong.
    told = _parallel_guesses([LoginThrottle("3/minute")], "198.51.100.7", 20)
    assert told.count("wrong") == 3 and told.count("throttled") == 17


def test_parallel_guesses_across_replicas_on_one_redis_share_the_limit(redis_server: Redis) -> None:
    replicas = [LoginThrottle("3/minute", shared_storage(redis_server.url)) for _ in range(2)]
    told = _parallel_guesses(replicas, f"198.51.100.8-{uuid.uuid4().hex}", 10)
    assert told.count("wrong") == 3 and told.count("throttled") == 17


def test_a_right_token_past_the_limit_is_refused_like_a_wrong_one() -> None:
    throttle = LoginThrottle("2/minute")
    assert throttle.attempt("198.51.100.9", lambda: True) is True  # a right token is never counted
    assert [throttle.attempt("198.51.100.9", lambda: False) for _ in range(2)] == [False, False]
    with pytest.raises(LoginThrottledError):
        throttle.attempt("198.51.100.9", lambda: True)


def test_the_settings_refuse_a_redis_url_that_is_not_one() -> None:
    from pydantic import ValidationError

    from faq_bot.config import Settings

    with pytest.raises(ValidationError, match="redis_url 'http://cache:6379' must start with redis://"):
        Settings(redis_url="http://cache:6379")
