"""Admin authentication: a bearer token for the API, a signed session cookie and CSRF tokens for pages.

There is no default token: without ``FAQ_BOT_ADMIN_TOKEN`` every admin endpoint
answers 503 and says how to enable it. Comparisons are constant-time and the
token is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from fastapi import Request
from pydantic import SecretStr

from faq_bot.errors import AuthError, LoginRequiredError
from faq_bot.service.clients import client_address

log = logging.getLogger("faq_bot.auth")
COOKIE = "faq_bot_admin"
DISABLED = "管理機能は無効です。サーバーに FAQ_BOT_ADMIN_TOKEN（16文字以上）を設定してください。"


class AdminAuth:
    """Checks admin credentials against the configured token."""

    def __init__(self, token: SecretStr | None, session_hours: float = 8.0) -> None:
        self._key = token.get_secret_value().encode() if token else None
        self.session_seconds = int(session_hours * 3600)

    @property
    def enabled(self) -> bool:
        """False when no token is configured."""
        return self._key is not None

    def _sign(self, purpose: str, value: str) -> str:
        assert self._key is not None
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def token_ok(self, candidate: str) -> bool:
        """Constant-time comparison with the configured token."""
        if self._key is None:
            return False
        return hmac.compare_digest(candidate.encode(), self._key)

    def check_bearer(self, request: Request) -> None:
        """Raise ``AuthError`` 503 (disabled), 401 (no credentials) or 403 (wrong token) unless the token is right."""
        if not self.enabled:
            raise AuthError(503, DISABLED)
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials:
            if self.session_ok(request):
                return  # a logged-in page may download and read through the API too
            log.warning("admin API without credentials from %s %s", client_address(request), request.url.path)
            raise AuthError(401, "認証が必要です（Authorization: Bearer <token>）。")
        if not self.token_ok(credentials.strip()):
            log.warning("admin API with a wrong token from %s %s", client_address(request), request.url.path)
            raise AuthError(403, "トークンが正しくありません。")

    def new_session(self) -> str:
        """A signed session cookie value, valid for ``session_seconds``."""
        expires = str(int(time.time()) + self.session_seconds)
        return f"{expires}.{self._sign('session', expires)}"

    def session_ok(self, request: Request) -> bool:
        """The request carries a valid, unexpired session cookie."""
        value = request.cookies.get(COOKIE, "")
        expires, _, signature = value.partition(".")
        if not self.enabled or not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(signature, self._sign("session", expires))

    def csrf_token(self, request: Request) -> str:
        """The CSRF token bound to the request's session."""
        return self._sign("csrf", request.cookies.get(COOKIE, ""))

    def check_page(self, request: Request) -> None:
        """Pages: redirect to the login page unless logged in (503 when admin is disabled)."""
        if not self.enabled:
            raise AuthError(503, DISABLED)
        if not self.session_ok(request):
            raise LoginRequiredError

    def check_csrf(self, request: Request, token: str) -> None:
        """Form posts: the session must be valid and the form must carry its CSRF token."""
        self.check_page(request)
        if not hmac.compare_digest(token, self.csrf_token(request)):
            log.warning("admin form with a bad CSRF token from %s %s", client_address(request), request.url.path)
            raise AuthError(403, "フォームの有効期限が切れました。ページを再読み込みしてください。")
