"""Abuse limits and web security headers: per-client rate limit, CSP and friends."""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faq_bot.config import Settings

#: Pages whose scripts FastAPI serves from a CDN: they keep FastAPI's defaults.
_DOCS = ("/docs", "/redoc")


def content_security_policy(frame_ancestors: list[str]) -> str:
    """No inline script anywhere; the widget's own files only; embedding limited to the given sites."""
    ancestors = " ".join(frame_ancestors) or "'none'"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        f"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )


class SecurityHeaders:
    """Adds CSP, nosniff, referrer and permissions policies to every response (unless already set)."""

    def __init__(self, app: ASGIApp, frame_ancestors: list[str]) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(frame_ancestors).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_DOCS):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in self.headers if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


class RateLimit:
    """Per-client moving-window limit (in this process) on the visitor API."""

    def __init__(self, spec: str, trust_forwarded_for: bool = False) -> None:
        self.item: RateLimitItem | None = parse(spec) if spec.strip() else None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.trust_forwarded_for = trust_forwarded_for

    def client(self, request: Request) -> str:
        """The client's address (the first X-Forwarded-For hop only behind a trusted proxy)."""
        if self.trust_forwarded_for:
            forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
            if forwarded:
                return forwarded
        return request.client.host if request.client else "unknown"

    def check(self, request: Request) -> None:
        """Raise 429 with Retry-After when the client is over its limit."""
        if self.item is None:
            return
        key = self.client(request)
        if self.limiter.hit(self.item, key):
            return
        reset = self.limiter.get_window_stats(self.item, key).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise HTTPException(
            429,
            f"短時間に多くの質問が送られました。{wait}秒ほど待ってから、もう一度お試しください。",
            {"Retry-After": str(wait)},
        )


def rate_limited(request: Request) -> None:
    """Dependency for visitor endpoints."""
    limiter: RateLimit = request.app.state.rate_limit
    limiter.check(request)


RateLimited = Annotated[None, Depends(rate_limited)]


def add_security(app: object, settings: Settings) -> None:
    """Install the rate limiter on app state (the middleware is added by ``create_app``)."""
    app.state.rate_limit = RateLimit(settings.rate_limit, settings.trust_forwarded_for)  # type: ignore[attr-defined]
