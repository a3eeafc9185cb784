"""ASGI middleware: request body limits and security headers on every response."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faq_bot.service.handlers import error_context, wants_page
from faq_bot.service.templating import templates

#: What a browser is told of a form it posted over the limit (an FAQ file or a question set too large).
TOO_LARGE_PAGE = (
    "送られたデータ{sent}が上限（約{limit}）を超えているため受け付けられません。何も変更していません。"
    "Excelのファイルなら、書式や画像、使っていない列を消して（値だけを新しいブックに貼り付けて）保存し直してください。"
    "TSV・CSVなら、FAQ以外の列や行が入っていないかを確かめてください。"
    "それでも大きい場合は、管理者に上限の引き上げを相談してください。"
)


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{max(n // 1000, 1)} KB"


#: The API documentation pages: scripts from this server only, like every page, but Swagger UI and ReDoc set
#: inline styles (and ReDoc starts a worker from a blob), so they get a policy of their own.
_DOCS = ("/docs", "/redoc")
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self' blob:; font-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def content_security_policy(frame_ancestors: list[str]) -> str:
    """No inline script anywhere; the widget's own files only; embedding limited to the given sites."""
    ancestors = " ".join(frame_ancestors) or "'none'"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        f"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )


class SecurityHeaders:
    """Adds CSP, nosniff, referrer and permissions policies to every response, and ``no-store`` to the admin
    ones (each unless already set)."""

    def __init__(self, app: ASGIApp, frame_ancestors: list[str]) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(frame_ancestors).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        # The sites allowed to frame the widget never frame the console: a site on the same domain would
        # get the staff's session cookie inside its frame (clickjacking of the admin forms).
        # Admin pages, downloads and API replies carry visitors' questions and the FAQ being edited: nothing of
        # them stays in the browser's cache (or its back-forward cache) once staff log out of a shared PC.
        self.admin_headers = [
            (b"content-security-policy", content_security_policy([]).encode()), *self.headers[1:],
            (b"cache-control", b"no-store"),
        ]  # fmt: skip
        self.docs_headers = [(b"content-security-policy", DOCS_POLICY.encode()), *self.headers[1:]]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path in _DOCS:
            headers = self.docs_headers
        elif path == "/admin" or path.startswith("/admin/"):
            headers = self.admin_headers
        else:
            headers = self.headers

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in headers if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuse request bodies over the limit with 413, whether declared or streamed (chunked).

    Visitor endpoints get ``limit``; ``/admin`` (FAQ uploads) gets ``admin_limit``, except
    the login form. A streamed body is answered with 413 the moment it crosses the limit,
    before the app's JSON or multipart parser sees the error (FastAPI would turn any error
    while reading a body into a 400); whatever the app answers after that is dropped.
    """

    def __init__(self, app: ASGIApp, limit: int, admin_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.admin_limit = admin_limit

    def limit_for(self, path: str) -> int:
        """The body limit of a path."""
        return self.admin_limit if path.startswith("/admin/") and path != "/admin/login" else self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, send, limit)
            return
        seen = 0
        started = refused = False

        async def limited() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if not started and not refused:
                        refused = True
                        await _too_large(scope, send, limit)
                    raise _TooLargeError
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is sent; the app's own answer to the aborted read is not
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, tracked)
        except _TooLargeError:
            if not refused:
                raise  # the response had already started: nothing left to do but drop the connection


class _TooLargeError(Exception):
    pass


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    headers_in = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    if wants_page(headers_in, scope["path"]):  # a form a browser posted: a page, not JSON (no route ran)
        declared = headers_in.get("content-length", "")
        sent = f"（約{_size(int(declared))}）" if declared.isascii() and declared.isdigit() else ""
        query = scope.get("query_string", b"").decode("latin-1")
        context = error_context(
            413,
            TOO_LARGE_PAGE.format(sent=sent, limit=_size(limit)),
            scope["path"],
            headers_in.get("referer", ""),
            query,
            scope["method"],
        )
        # Inside the admin pages with their menu (as every admin error page); elsewhere plain.
        name = "notice.html" if scope["path"].startswith("/admin") else "error.html"
        body, content_type = templates().get_template(name).render(context).encode(), b"text/html; charset=utf-8"
    else:
        body = json.dumps({"detail": "リクエストが大きすぎます。"}, ensure_ascii=False).encode()
        content_type = b"application/json"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
