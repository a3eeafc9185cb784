"""Errors translated to HTTP at the edge: one exception handler per error family, FastAPI's ``{"detail"}`` shape."""

from __future__ import annotations

import errno
import json
import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.utils import is_body_allowed_for_status_code
from starlette.exceptions import HTTPException as StarletteHTTPException

from faq_bot.errors import (
    AuthError,
    ConfigError,
    DatabaseError,
    FaqBotError,
    FaqFormatError,
    IndexMismatchError,
    LoginRequiredError,
    LogUnavailableError,
    MessageTooLongError,
    ModelError,
    NotFoundError,
    NotReadyError,
    PublishConflictError,
    RateLimitedError,
    SessionStoreError,
    StaleFileError,
    TooLargeError,
)
from faq_bot.service import questions
from faq_bot.service.auth import login_url
from faq_bot.service.templating import templates
from faq_bot.storage.staging import is_key

log = logging.getLogger("faq_bot.service")


def format_error_body(exc: FaqFormatError) -> dict[str, object]:
    """A refused FAQ file as ``{"detail", "encoding", "problems"}``: each problem with line and column."""
    return {
        "detail": exc.summary,
        "encoding": exc.encoding,
        "problems": [{"line": p.line, "column": p.column, "message": p.message} for p in exc.problems],
    }


def _detail(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _too_long(exc: MessageTooLongError) -> JSONResponse:
    """A 422 that also gives the limit (``max_chars``): the widget counts against it from then on."""
    return JSONResponse({"detail": str(exc), "max_chars": exc.limit}, status_code=422)


#: The heading of an error page, by status (a browser's page or form; scripts get the JSON).
_PAGE_HEADINGS = {
    400: "入力を受け付けられません", 403: "この操作はできません", 404: "ページが見つかりません",
    405: "この操作はできません", 409: "先に別の変更が公開されました", 413: "ファイルが大きすぎます",
    422: "入力を受け付けられません", 429: "しばらくお待ちください", 503: "ただいま利用できません",
}  # fmt: skip


def wants_page(headers: Mapping[str, str], path: str) -> bool:
    """True for what a browser opened or posted as a page (it accepts HTML), outside the visitors' JSON API."""
    return "text/html" in headers.get("accept", "") and not path.startswith("/api/")


#: The page each admin form posts from (``/admin/ui/<action>``): where its error page, or its result address
#: opened again, leads back to.
FORM_PAGES = {"batch": "/admin/batch", "alternate": "/admin/log", "dismiss": "/admin/log", "undismiss": "/admin/log",
              "entries": "/admin/entries", "new-entry": "/admin/entries", "log": "/admin/log",
              "take-back": "/admin/dismissed", "unconfirm": "/admin/confirmed"}  # fmt: skip
_PAGE_NAMES = {"/admin/batch": "一括テストに戻る", "/admin/log": "質問ログに戻る", "/admin/entries": "FAQの一覧に戻る",
               "/admin/answers": "確認したい回答に戻る", "/admin/confirmed": "確認済みにした回答に戻る",
               "/admin/dismissed": "対応不要にした質問に戻る"}  # fmt: skip
#: An entry id as an address may carry it (anything else, ``.`` and ``..`` too: no link built from it).
_ENTRY_ID = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9_.\-]{1,64}")
#: What of a list's address says where in the list a form was sent from (not the message of an action before).
_LIST_PLACE = ("days", "below", "page", "sort", "q", "got")


def form_page(path: str, query: str = "", *, entry_gone: bool = False) -> tuple[str, str]:
    """The page an admin form at ``path`` (``/admin/ui/<action>…``) is sent from, and its link's words: an entry's
    form (its edit, its delete) is that entry's page, where its draft is put back — the entry list once the entry is
    gone (``entry_gone``) —; a new entry's form made from a logged question is that form again (``log`` in
    ``query``); another form is its page (``FORM_PAGES``), else the admin home."""
    parts = path.split("/")
    action = parts[3] if len(parts) > 3 and parts[2] == "ui" else ""
    if action == "entries" and len(parts) > 4 and _ENTRY_ID.fullmatch(parts[4]) and not entry_gone:
        return f"/admin/entries/{parts[4]}", f"FAQ {parts[4]} の編集に戻る"
    if action == "new-entry":
        log = dict(parse_qsl(query)).get("log", "")
        return "/admin/new-entry" + (f"?log={log}" if is_key(log) else ""), "新しいFAQの追加に戻る"
    page = FORM_PAGES.get(action, "/admin")
    return page, _PAGE_NAMES.get(page, "管理画面に戻る")


def back_link(path: str, referer: str = "", query: str = "", *, entry_gone: bool = False) -> tuple[str, str]:
    """Where an error page leads on (address, label): the page a form was sent from (the list it was sent from,
    at the same page, when the browser says so: the log's actions are sent from two lists; else ``form_page``), an
    admin page's own list, the admin home for other admin pages, else the site's top page."""
    parts = path.split("/")
    if not path.startswith("/admin"):
        return "/", "トップページに戻る"
    if len(parts) > 3 and parts[2] == "ui":
        came = urlsplit(referer)
        if came.path in _PAGE_NAMES:  # only an address of this site's own pages, and only which page of a list
            kept = urlencode([(k, v) for k, v in parse_qsl(came.query) if k in _LIST_PLACE])
            return came.path + (f"?{kept}" if kept else ""), _PAGE_NAMES[came.path]
        return form_page(path, query, entry_gone=entry_gone)
    page = f"/admin/{parts[2]}" if len(parts) > 2 and f"/admin/{parts[2]}" in _PAGE_NAMES else "/admin"
    return page, _PAGE_NAMES.get(page, "管理画面に戻る")


def error_context(
    status: int, message: str, path: str, referer: str = "", query: str = "", method: str = "GET"
) -> dict[str, str]:
    """What an error page shows: a heading for the status, the message, and the way back (``back_link``; an entry
    not found is not led back to); a form refused (``method`` POST) is kept in the tab's history at that way back
    (``form_address``, history.js): back or a reload opens it, never sends the form again."""
    back, label = back_link(path, referer, query, entry_gone=status == 404)
    heading = _PAGE_HEADINGS.get(status, "エラーが発生しました")
    context = {"heading": heading, "error": message, "back": back, "back_label": label, "csrf": "", "active": ""}
    return context | ({"form_address": back} if method == "POST" else {})


def _as_page(request: Request, response: Response) -> Response:
    """A JSON error as a page in Japanese with the way back, when a browser asked for a page."""
    if not isinstance(response, JSONResponse) or not wants_page(request.headers, request.url.path):
        return response
    detail = json.loads(bytes(response.body)).get("detail")
    if not isinstance(detail, str):
        return response
    # Inside the admin pages with their menu; elsewhere plain (a visitor who mistyped an address sees no admin menu).
    name = "notice.html" if request.url.path.startswith("/admin") else "error.html"
    referer = request.headers.get("referer", "")
    url = request.url
    context = error_context(response.status_code, detail, url.path, referer, url.query, request.method)
    page = templates().TemplateResponse(request, name, context, status_code=response.status_code)
    for header in ("retry-after", "www-authenticate"):
        if header in response.headers:
            page.headers[header] = response.headers[header]
    return page


#: What an admin action that failed for the server's storage says (the live FAQ and the chat go on either way).
DATABASE_DOWN = "データベースに接続できません。しばらくしてからもう一度お試しください（チャットは回答を続けます）。"
DISK_FULL = (
    "サーバーのディスクに空きがないため、完了できませんでした。公開中のFAQは変わっていません（チャットは回答を"
    "続けます）。サーバーの管理者に連絡してください。"
)
SERVER_ERROR = "サーバーでエラーが発生しました。公開中のFAQは変わっていません（チャットは回答を続けます）。"


def is_disk_full(exc: BaseException) -> bool:
    """True for an ``OSError`` of a full disk (or a quota used up)."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


async def _os_error(request: Request, exc: Exception) -> Response:
    """A file that could not be written or read under a request: a full disk said as such (507), the rest a 500
    in Japanese; logged either way."""
    if is_disk_full(exc):
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return _as_page(request, _detail(507, DISK_FULL))
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return _as_page(request, _detail(500, SERVER_ERROR))


async def _faq_bot_error(request: Request, exc: Exception) -> Response:
    """Every ``FaqBotError``, by family (the most specific first); a browser's page gets a page."""
    return _as_page(request, _faq_bot_response(request, exc))


def _faq_bot_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, LoginRequiredError):
        return RedirectResponse(login_url(request), status_code=303)
    if isinstance(exc, FaqFormatError):
        return JSONResponse(format_error_body(exc), status_code=422)
    if isinstance(exc, MessageTooLongError):
        return _too_long(exc)
    if isinstance(exc, AuthError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _detail(exc.status, str(exc), headers)
    if isinstance(exc, RateLimitedError):
        return _detail(429, str(exc), {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, NotFoundError):
        return _detail(404, str(exc))
    if isinstance(exc, StaleFileError):  # told apart from a publish race (which a client may simply retry)
        body = {"detail": str(exc), "reason": "stale_file", "undone": exc.undone, "conflicts": exc.conflicts,
                "origin_known": exc.known, "order_undone": exc.order}  # fmt: skip
        return JSONResponse(body, status_code=409)
    if isinstance(exc, PublishConflictError):
        return _detail(409, str(exc))
    if isinstance(exc, TooLargeError):
        return _detail(413, str(exc))
    if isinstance(exc, NotReadyError):
        return _detail(503, str(exc))
    if isinstance(exc, LogUnavailableError):
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return _detail(
            503, "質問ログを読み込めません。しばらくしてからもう一度お試しください（チャットは回答を続けます）。"
        )
    if isinstance(exc, DatabaseError):
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return _detail(503, DATABASE_DOWN)
    if isinstance(exc, SessionStoreError):
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return _detail(503, "ログイン情報を保存できません。しばらくしてからもう一度お試しください。")
    if isinstance(exc, ModelError | ConfigError | IndexMismatchError):
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return _detail(503, "サーバーの準備ができていません。管理者にお問い合わせください。")
    return _detail(422, str(exc))  # a request the domain refused: bad question, unknown category, ...


async def _validation_error(request: Request, exc: Exception) -> Response:
    """Pydantic's request validation, in Japanese: broken JSON is a 400, the rest 422."""
    return _as_page(request, _validation_response(request, exc))


def _validation_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return _detail(400, "JSONの形式が正しくありません。")
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    kind = first.get("type")
    if where == "message" and kind in ("missing", "string_too_short", "string_pattern_mismatch"):
        return _detail(422, questions.EMPTY)
    if where == "message" and kind == "string_too_long":
        return _too_long(MessageTooLongError(request.app.state.settings.max_message_chars))
    return _detail(422, invalid_input(first, request.url.path))


#: Parameters as an error message names them (others by the name they have in the address or the JSON).
_FIELD_NAMES = {"page": "ページ番号", "days": "期間の日数", "per_page": "1ページの件数", "q": "質問",
                "message": "質問", "categories": "分類", "category": "分類", "question": "質問", "answer": "回答",
                "alternates": "言い換え", "text": "言い換え", "entry_id": "FAQ番号", "id": "FAQ番号",
                "request_id": "質問のID", "request_ids": "質問のID", "rating": "評価", "comment": "コメント",
                "token": "トークン", "csrf": "フォームの確認コード", "file": "ファイル", "below": "確率の上限",
                "view": "一覧の種類"}  # fmt: skip
#: Where a parameter means something else (the start of the address, then the parameter's names there).
_FIELD_NAMES_AT = {"/admin/entries": {"q": "検索する文字"}}


def _field_name(name: str, path: str) -> str:
    """A parameter as people know it on the page at ``path``."""
    for prefix, names in _FIELD_NAMES_AT.items():
        if path.startswith(prefix) and name in names:
            return names[name]
    return _FIELD_NAMES.get(name, name)


#: pydantic's bound errors: the limit's key in the error's ``ctx`` and how it is said.
_BOUNDS = {"greater_than_equal": ("ge", "以上"), "greater_than": ("gt", "より大きい値"),
           "less_than_equal": ("le", "以下"), "less_than": ("lt", "未満")}  # fmt: skip


def _reason(kind: str, limits: Mapping[str, object]) -> str:
    """What was wrong with a value, in Japanese, from pydantic's error type and its limits."""
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "整数で指定してください"
    if kind in _BOUNDS and _BOUNDS[kind][0] in limits:
        key, word = _BOUNDS[kind]
        return f"{limits[key]}{word}で指定してください"
    if kind == "string_too_long":
        return f"{limits.get('max_length')}文字以内にしてください"
    if kind == "string_too_short":
        shortest = limits.get("min_length", 1)
        return "空にしないでください" if shortest == 1 else f"{shortest}文字以上にしてください"
    if kind == "too_short":
        return f"{limits.get('min_length', 1)}件以上指定してください"
    if kind == "too_long":
        return f"{limits.get('max_length')}件以内にしてください"
    if kind == "bool_parsing":
        return "true か false で指定してください"
    if kind == "missing":
        return "指定してください"
    if kind == "extra_forbidden":
        return "この項目は受け付けていません"
    return "値の形式が正しくありません"


def invalid_input(error: Mapping[str, Any], path: str = "") -> str:
    """A request validation error in Japanese: the parameter by the name people know it by on the page at ``path``
    and what to give, never where the framework found it (``query.page``)."""
    loc = [str(p) for p in error.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]
    if not loc:
        return "送信された内容が空か、形式が正しくありません。"
    name = _field_name(loc[0], path) + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc[1:])
    reason = _reason(str(error.get("type", "")), error.get("ctx") or {})
    return f"入力が正しくありません（{name}: {reason}）。"


#: The framework's own errors (an unknown address, a method a route does not take), in Japanese.
_FRAMEWORK_ERRORS = {
    404: "ページが見つかりません。アドレスをご確認ください。",
    405: "この操作はこのアドレスでは受け付けていません。",
}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTP errors: its English default texts in Japanese, any other text and the headers kept."""
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail
    if exc.status_code in _FRAMEWORK_ERRORS and detail == HTTPStatus(exc.status_code).phrase:
        detail = _FRAMEWORK_ERRORS[exc.status_code]
    if not is_body_allowed_for_status_code(exc.status_code):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return _as_page(request, _detail(exc.status_code, detail, dict(exc.headers) if exc.headers else None))


def add_exception_handlers(app: FastAPI) -> None:
    """Register the translations (the app factory calls this)."""
    app.add_exception_handler(FaqBotError, _faq_bot_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OSError, _os_error)
