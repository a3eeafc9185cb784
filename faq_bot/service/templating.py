"""The Jinja2 templates of the pages (from the ``faq_bot.web`` data package), built on first use."""

from __future__ import annotations

from functools import cache
from pathlib import PureWindowsPath
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from faq_bot import assets
from faq_bot.errors import encoding_label
from faq_bot.localtime import local_time
from faq_bot.service.auth import AdminAuth
from faq_bot.service.offload import in_background
from faq_bot.service.schemas import ALTERNATE_CHARS
from faq_bot.storage.masking import masked_parts


@cache
def templates() -> Jinja2Templates:
    """The pages' templates, sharing the autoescaped environment of the HTML report."""
    env = assets.environment()
    env.filters["local_time"] = local_time  # {{ t | local_time(tz) }}: times in FAQ_BOT_TIMEZONE
    env.filters["encoding_label"] = encoding_label  # 文字コード: UTF-8, or 形式: Excel (.xlsx)
    env.filters["blanks_shown"] = blanks_shown  # a diff's changed run: line breaks and spaces made visible
    env.filters["source_shown"] = source_shown  # where a version came from, without the server's folders
    env.tests["masked"] = lambda text: bool(masked_parts(text))  # {% if q is masked %}: the log hid a visitor's data
    env.tests["addable"] = addable  # {% if q is addable %}: a logged wording that can be an alternate as it is
    env.globals["alternate_chars"] = ALTERNATE_CHARS
    return Jinja2Templates(env=env)


def addable(text: str) -> bool:
    """A logged wording that can become an alternate as it is: not over ``ALTERNATE_CHARS``, and without a
    placeholder where the log masked a visitor's data (it would become the FAQ's wording)."""
    return len(text) <= ALTERNATE_CHARS and not masked_parts(text)


#: Marks for the blank characters of a changed run, with what a screen reader says for them.
_BLANKS = {"\n": ("↵", "改行"), " ": ("␣", "半角スペース"), "\u3000": ("□", "全角スペース"), "\t": ("→", "タブ")}


def blanks_shown(text: str) -> Markup:
    """A changed run of a diff, escaped; a run of nothing but line breaks, spaces and tabs with each of them marked:
    an edit that only adds a line break (Alt+Enter in an Excel cell) or a space is otherwise nothing to see. A run
    with text shows as it is (marks in every space of an added entry would only clutter it). A line break stays one
    after its mark."""
    if any(ch not in _BLANKS for ch in text):
        return escape(text)
    out = []
    for ch in text:
        mark = _BLANKS[ch]
        out.append(f'<span class="blank" title="{mark[1]}" aria-label="{mark[1]}">{mark[0]}</span>')
        if ch == "\n":
            out.append("\n")
    return Markup("".join(out))


def page_context(request: Request, auth: AdminAuth, active: str) -> dict[str, Any]:
    """What every admin page needs: the session's CSRF token, the active tab, the time zone, and for the page a form
    sent (a POST), the address its history entry gets (``form_address``: history.js puts it there, so that the
    browser's back and reload open a page instead of asking to send the form again)."""
    context = {"csrf": auth.csrf_token(request), "active": active, "tz": request.app.state.settings.timezone}
    return context | ({"form_address": form_address(request)} if request.method == "POST" else {})


def form_address(request: Request) -> str:
    """The address a form's result is left at in the browser's history: the form's own action, which opened again
    leads to the form's page (``form_result_again``), unless the result names one of its own (``data-address``)."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def render(request: Request, auth: AdminAuth, name: str, active: str, **context: Any) -> HTMLResponse:
    """An admin page (any of them) with the session's CSRF token and the active tab.

    Rendered on a staff thread: a page of 30 question groups takes a few milliseconds of
    template work, which on the event loop every visitor's chat would wait for."""

    def page() -> HTMLResponse:
        return templates().TemplateResponse(request, name, {**page_context(request, auth, active), **context})

    return await in_background(page)


def source_shown(source: str | None) -> str:
    """Where a version came from, as editors read it: an upload's file name or an action (「FAQ 3 の編集（管理画面）」)
    as it is; a file on the server (a reload from disk, watch mode) by its name, not the server's folders."""
    if not source:
        return "-"
    if source.startswith("/") or (len(source) > 2 and source[1] == ":" and source[2] in "\\/"):
        return f"{PureWindowsPath(source).name}（サーバー上のファイル）"  # splits at / and \\ alike
    return source
