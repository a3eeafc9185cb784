"""Admin authentication: a bearer token for the API, server-side sessions and CSRF tokens for the pages.

There is no default token: without ``FAQ_BOT_ADMIN_TOKEN`` every admin endpoint
answers 503 and says how to enable it. Comparisons are constant-time and the
token is never logged.

- **Before the body.** Admin routes use ``AdminApiRoute`` / ``AdminPageRoute``: the
  credentials are checked before FastAPI reads (or parses) the request body, so an
  unauthenticated upload is refused without being read.
- **Sessions.** The login form sets a cookie ``<session id>.<expiry>.<signature>``;
  the id must also be live in the server-side ``SessionStore``, so logging out ends
  the session at once. The CSRF token is bound to the session id.
- **CSRF.** A state change (POST, PUT, PATCH, DELETE) authenticated by the cookie
  must carry the CSRF token: the ``csrf`` form field on the pages, the
  ``X-CSRF-Token`` header on the API; and a browser saying the request comes from
  another site (``Sec-Fetch-Site``) is refused outright. A bearer token needs none of
  this: a browser never sends it by itself.
- **Guessing.** Failed attempts (wrong bearer token, wrong login) are limited per
  client (``LoginThrottle``): past the limit, 429 with ``Retry-After``. A browser that
  has logged in before carries a *device cookie* (``DEVICE_COOKIE``, signed, kept a
  year): its attempts at the login form are counted for that browser alone, so a
  colleague behind the same office address is not locked out by someone else's (or
  a guesser's) failures, while a guesser, who has none, is still counted by address
  (OWASP's "device cookies").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from faq_bot.errors import AuthError, LoginRequiredError
from faq_bot.service.clients import client_address, limit_key
from faq_bot.service.ratelimit import LoginThrottle
from faq_bot.storage.sessions import SessionStore

log = logging.getLogger("faq_bot.auth")
COOKIE = "faq_bot_admin"
#: A browser that logged in here before (``<id>.<signature>``, only on the login form's address): see "Guessing".
DEVICE_COOKIE = "faq_bot_device"
DEVICE_DAYS = 365
CSRF_HEADER = "x-csrf-token"
DISABLED = "管理機能は無効です。サーバーに FAQ_BOT_ADMIN_TOKEN（16文字以上）を設定してください。"
WRONG_TOKEN = (
    "トークンが正しくありません。管理トークンを、大文字・小文字もそのまま入力してください（わからないときは、サーバーの"
    "管理者に確認してください。サーバーの設定 FAQ_BOT_ADMIN_TOKEN の値です）。"
)
#: Methods that change state: with a cookie they need the CSRF token.
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: What a browser says of a request it sends from our own pages (or typed in the address bar).
SAME_ORIGIN = frozenset({"same-origin", "none"})


class AdminAuth:
    """Checks admin credentials: the configured token, live sessions, CSRF tokens, failed-attempt limits."""

    def __init__(
        self, token: SecretStr | None, sessions: SessionStore, throttle: LoginThrottle, session_hours: float = 8.0
    ) -> None:
        self._key = token.get_secret_value().encode() if token else None
        self.sessions = sessions
        self.throttle = throttle
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
        return self._key is not None and hmac.compare_digest(candidate.encode(), self._key)

    def _require_enabled(self) -> None:
        if not self.enabled:
            raise AuthError(503, DISABLED)

    def check_token(
        self, request: Request, candidate: str, what: str = "admin API with a wrong token", device: str | None = None
    ) -> None:
        """The admin token, tried by a client: 429 while it has failed too often, 403 (and counted) if wrong;
        ``device``: the browser's device id (``device_of``), whose attempts are counted apart from its address's."""
        self._require_enabled()
        client = client_address(request)
        # the client's /64 for IPv6; the log names the address itself
        key = f"device:{device}" if device else limit_key(client)
        if not self.throttle.attempt(key, lambda: self.token_ok(candidate)):
            log.warning("%s from %s %s", what, client, request.url.path)
            raise AuthError(403, WRONG_TOKEN)

    # Device cookies

    def device_of(self, request: Request) -> str | None:
        """The id in the request's device cookie, if this server signed it (with the token of now)."""
        device, _, signature = request.cookies.get(DEVICE_COOKIE, "").partition(".")
        if not self.enabled or not device or not _same(signature, self._sign("device", device)):
            return None
        return device

    def device_cookie(self, device: str | None) -> str:
        """The device cookie to keep (the same id again, or a new one for a browser that had none)."""
        device = device or secrets.token_hex(16)
        return f"{device}.{self._sign('device', device)}"

    # Sessions

    def login(self, request: Request, candidate: str, device: str | None = None) -> str:
        """Check the token typed into the login form; a new session's cookie value."""
        self.check_token(request, candidate, "admin login failed", device)
        expires = int(time.time()) + self.session_seconds
        session_id = self.sessions.create(expires)
        return f"{session_id}.{expires}.{self._sign('session', f'{session_id}.{expires}')}"

    def session_id(self, request: Request) -> str | None:
        """The id of the request's live session, if its cookie is valid, unexpired and not logged out."""
        if not self.enabled:
            return None
        session_id, _, rest = request.cookies.get(COOKIE, "").partition(".")
        expires, _, signature = rest.partition(".")
        if not session_id or not expires.isdigit() or int(expires) < time.time():
            return None
        if not _same(signature, self._sign("session", f"{session_id}.{expires}")):
            return None
        cached: dict[str, bool] = request.scope.setdefault("faq_bot.sessions", {})  # one lookup per request
        if session_id not in cached:
            cached[session_id] = self.sessions.active(session_id)
        return session_id if cached[session_id] else None

    def logout(self, request: Request) -> None:
        """End the request's session server-side: its cookie no longer works, wherever it was copied to."""
        session_id = self.session_id(request)
        if session_id is not None:
            self.sessions.revoke(session_id)
            request.scope.get("faq_bot.sessions", {}).pop(session_id, None)

    def csrf_token(self, request: Request) -> str:
        """The CSRF token bound to the request's session."""
        return self._sign("csrf", self.session_id(request) or "")

    def _check_cross_site(self, request: Request) -> None:
        site = request.headers.get("sec-fetch-site")
        if request.method in UNSAFE and site is not None and site not in SAME_ORIGIN:
            log.warning("admin %s sent from another site, refused: %s", request.url.path, client_address(request))
            raise AuthError(403, "他のサイトからの操作は受け付けません。管理画面から操作してください。")

    # What each kind of route requires

    def check_api(self, request: Request) -> None:
        """API routes: a bearer token; or a session cookie, with the CSRF header on state changes."""
        self._require_enabled()
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            self.check_token(request, credentials.strip())
            return
        if self.session_id(request) is None:
            log.warning("admin API without credentials from %s %s", client_address(request), request.url.path)
            raise AuthError(401, "認証が必要です（Authorization: Bearer <token>）。")
        self._check_cross_site(request)
        if request.method in UNSAFE and not _same(request.headers.get(CSRF_HEADER, ""), self.csrf_token(request)):
            log.warning("admin API cookie request without its CSRF token from %s %s", client_address(request),
                        request.url.path)  # fmt: skip
            raise AuthError(403, "CSRFトークンがありません。管理画面から操作するか、Bearer トークンを使ってください。")

    def check_page(self, request: Request) -> None:
        """Pages: redirect to the login page unless logged in (503 when admin is disabled); no cross-site posts."""
        self._require_enabled()
        if self.session_id(request) is None:
            raise LoginRequiredError
        self._check_cross_site(request)

    def check_csrf(self, request: Request, token: str) -> None:
        """Form posts (once their body is read): the form must carry the session's CSRF token."""
        self.check_page(request)
        if not _same(token, self.csrf_token(request)):
            log.warning("admin form with a bad CSRF token from %s %s", client_address(request), request.url.path)
            raise AuthError(403, "フォームの有効期限が切れました。ページを再読み込みしてください。")


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of a client-given string (any characters) with ours."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _checked(handler: Handler, check: Callable[[AdminAuth, Request], None]) -> Handler:
    async def checked(request: Request) -> Response:
        # Before the handler reads the body; in a worker thread, as the session store is a file.
        await run_in_threadpool(check, request.app.state.admin_auth, request)
        return await handler(request)

    return checked


class AdminApiRoute(APIRoute):
    """An admin API route: credentials are checked before the body is read (``AdminAuth.check_api``)."""

    def get_route_handler(self) -> Handler:
        """The route's handler behind the credentials check."""
        return _checked(super().get_route_handler(), AdminAuth.check_api)


class AdminPageRoute(APIRoute):
    """An admin page or form: a live session is required before the body is read (``AdminAuth.check_page``)."""

    def get_route_handler(self) -> Handler:
        """The route's handler behind the session check."""
        return _checked(super().get_route_handler(), AdminAuth.check_page)


#: Where the login form sends an editor who asked for no page in particular.
HOME = "/admin"


def page_after_login(wanted: str | None) -> str:
    """The admin page to go on to after logging in: ``wanted`` if it is one (a path of this site under /admin,
    nothing else: never another site), else the publishing page."""
    if not wanted or not wanted.startswith(HOME) or wanted.startswith("/admin/login"):
        return HOME
    if wanted[len(HOME) : len(HOME) + 1] not in ("", "/", "?") or any(c in wanted for c in "\\\r\n\t"):
        return HOME
    path = urlsplit(wanted).path
    if "//" in path or any(part in (".", "..") for part in unquote(path).split("/")):  # (a browser resolves them)
        return HOME
    return wanted


def login_url(request: Request) -> str:
    """The login page, remembering the page asked for; for a form sent without a session (it ended, or the editor
    logged out in another tab), the page the form was on, and a note that what was sent was not kept."""
    if request.method != "GET":
        referer = urlsplit(request.headers.get("referer", ""))
        # The host alone: a proxy may drop a non-standard port from Host; page_after_login keeps it under /admin.
        same_site = referer.hostname is not None and referer.hostname == request.url.hostname
        page = referer.path + (f"?{referer.query}" if referer.query else "")
        back = page_after_login(page if same_site else "")
        return "/admin/login?" + urlencode({"next": back, "expired": "1"} if back != HOME else {"expired": "1"})
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if page_after_login(wanted) == HOME:
        return "/admin/login"
    return "/admin/login?" + urlencode({"next": wanted})
