"""The limits' storage: in the process, or Redis shared by replicas, falling back to the process while Redis is down."""

from __future__ import annotations

import uuid

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
    throttle.check("198.51.100.1")
    throttle.failed("198.51.100.1")
    with pytest.raises(LoginThrottledError):
        throttle.check("198.51.100.1")  # still throttled, per replica
    assert caplog.text.count("Redis unreachable") == 1


def test_the_settings_refuse_a_redis_url_that_is_not_one() -> None:
    from pydantic import ValidationError

    from faq_bot.config import Settings

    with pytest.raises(ValidationError, match="redis_url 'http://cache:6379' must start with redis://"):
        Settings(redis_url="http://cache:6379")
