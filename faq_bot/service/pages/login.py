"""The login pages, the only admin pages open to everyone: the form, the check that the browser kept the
session cookie, and the way back to the page the editor asked for."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from faq_bot.errors import AuthError, RateLimitedError
from faq_bot.service.auth import COOKIE, DEVICE_COOKIE, DEVICE_DAYS, HOME, page_after_login
from faq_bot.service.deps import AuthDep
from faq_bot.service.offload import in_background
from faq_bot.service.templating import templates

login_pages = APIRouter(prefix="/admin", include_in_schema=False)


#: The login page's message when the browser did not keep the session cookie (it is always Secure).
COOKIE_NOT_KEPT = (
    "管理トークンは正しいのですが、ブラウザがログイン状態（Cookie）を保存しませんでした。"
    "管理画面は https:// で開いてください（http:// で使えるのは、サーバーと同じマシンの localhost だけです）。"
    "ブラウザでCookieを無効にしている場合は、このサイトだけ有効にしてください。"
)


#: The entry editor's pages (and its forms' addresses, which lead back to them): their browser script keeps what
#: was typed until it is published, and puts it back after a login.
EDITOR_PAGES = ("/admin/entries/", "/admin/new-entry", "/admin/ui/entries/", "/admin/ui/new-entry")
DRAFT_KEPT = "このタブでFAQの編集画面に入力していた内容は、ログインするとその画面に復元されます。"


def _login_page(request: Request, error: str | None = None, status: int = 200, **extra: Any) -> HTMLResponse:
    page = {"enabled": request.app.state.admin_auth.enabled, "error": error, **extra}
    if request.method == "POST":  # a failed login: back or a reload opens the login page, never sends the token again
        wanted = extra.get("next", HOME)
        page["form_address"] = "/admin/login" + (f"?{urlencode({'next': wanted})}" if wanted != HOME else "")
    return templates().TemplateResponse(request, "login.html", page, status_code=status)


@login_pages.get("/login", response_class=HTMLResponse, response_model=None)
async def login_form(
    request: Request, next: str = "", logged_out: bool = False, expired: bool = False
) -> HTMLResponse | RedirectResponse:
    """The login page (or a note that admin is disabled); ``next``: the admin page to go on to; ``expired``: a form
    was sent without a session. A browser that is logged in (the back button past a login) goes on to ``next``."""
    wanted = page_after_login(next)
    if await run_in_threadpool(request.app.state.admin_auth.session_id, request) is not None:
        return RedirectResponse(wanted, status_code=303)
    if logged_out:
        notice = "ログアウトしました。"
    elif expired:
        notice = (
            "ログインの有効期限が切れたか、別の画面でログアウトされたため、送信した内容は反映されていません。"
            "もう一度ログインしてから、操作をやり直してください。"
        )
        if wanted.startswith(EDITOR_PAGES):
            notice += DRAFT_KEPT
    elif wanted != HOME:
        notice = "このページを開くにはログインしてください。ログインすると、そのページに戻ります。"
    else:
        notice = None
    # logged_out: the page forgets this tab's drafts of the entry editor (a shared PC's next editor is not offered them)
    return _login_page(request, next=wanted, notice=notice, warn=expired and not logged_out, logged_out=logged_out)


@login_pages.post("/login", response_model=None)
async def login(
    request: Request, auth: AuthDep, token: Annotated[str, Form(max_length=500)], next: Annotated[str, Form()] = ""
) -> Response:
    """Check the token; on success set the session cookie (HttpOnly, SameSite=Strict, Secure) and go on to
    ``next`` by way of a check that the browser kept the cookie (``login_check``)."""
    if not auth.enabled:
        raise AuthError(503, "管理機能は無効です。")
    wanted = page_after_login(next)
    device = auth.device_of(request)  # a browser that logged in here before: its own count of failed attempts
    try:
        cookie = await in_background(auth.login, request, token.strip(), device)
    except (AuthError, RateLimitedError) as exc:  # shown on the login page, with the status the API would give
        status = 429 if isinstance(exc, RateLimitedError) else exc.status
        page = _login_page(request, str(exc), status, next=wanted)
        if isinstance(exc, RateLimitedError):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    response = RedirectResponse("/admin/login/check?" + urlencode({"next": wanted}), status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=auth.session_seconds,
        httponly=True,
        samesite="strict",
        secure=True,  # browsers accept Secure cookies from http://localhost and 127.0.0.1 too
        path="/admin",
    )
    response.set_cookie(
        DEVICE_COOKIE,
        auth.device_cookie(device),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=True,
        path="/admin/login",  # read by the login form only
    )
    return response


@login_pages.get("/login/check", response_model=None)
async def login_check(request: Request, auth: AuthDep, next: str = "") -> Response:
    """Right after a login: on to the page asked for if the browser sent the new session back; else say why
    not (over plain http on another host than localhost the browser drops a Secure cookie without a word,
    and the editor would land on the login page again and again)."""
    if await run_in_threadpool(auth.session_id, request) is not None:
        return RedirectResponse(page_after_login(next), status_code=303)
    return _login_page(request, COOKIE_NOT_KEPT, 400, next=page_after_login(next))
