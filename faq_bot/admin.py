"""Content editors' side: the admin API (bearer token) and the admin pages (login, upload, diff, versions)."""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from faq_bot import schemas
from faq_bot.auth import COOKIE, AdminAuth, LoginRequiredError
from faq_bot.config import Settings
from faq_bot.errors import FaqBotError, FaqFormatError
from faq_bot.index import write_bytes_atomic
from faq_bot.publish import Outcome, Publisher, VersionNotFoundError
from faq_bot.web import WEB_DIR

log = logging.getLogger("faq_bot.auth")
STAGING = "staging"
_SHA = re.compile(r"^[0-9a-f]{64}$")


def _auth(request: Request) -> AdminAuth:
    auth: AdminAuth = request.app.state.admin_auth
    return auth


def _publisher(request: Request) -> Publisher:
    publisher: Publisher | None = getattr(request.app.state, "publisher", None)
    if publisher is None:
        raise HTTPException(503, "ただいま準備中です。")
    return publisher


def require_token(request: Request) -> None:
    """API dependency: a valid bearer token (or an admin page session)."""
    _auth(request).check_bearer(request)


PublisherDep = Annotated[Publisher, Depends(_publisher)]
AuthDep = Annotated[AdminAuth, Depends(_auth)]


def publish_reply(outcome: Outcome, dry_run: bool) -> schemas.PublishReply:
    """The API's view of a publish outcome."""
    p = outcome.preview
    counts = p.counts()
    v = outcome.version
    return schemas.PublishReply(
        published=outcome.published,
        dry_run=dry_run,
        encoding=p.faq.encoding,
        entries=len(p.faq.entries),
        added=counts["added"],
        removed=counts["removed"],
        changed=counts["changed"],
        changes=[
            schemas.EntryChangeOut(id=c.id, kind=c.kind, question=c.question, fields=list(c.fields)) for c in p.changes
        ],
        regressions=[
            schemas.RegressionChangeOut(
                query=r.query, expected=list(r.expected), before=r.before, after=r.after, verdict=r.verdict
            )
            for r in p.regressions
        ],
        regression_total=p.regression_total,
        warnings=[schemas.Problem(line=w.line, column=w.column, message=w.message) for w in outcome.warnings],
        version=schemas.VersionOut(**v.__dict__) if v else None,
        seconds=round(outcome.seconds, 3),
    )


def format_error(exc: FaqFormatError) -> dict[str, Any]:
    """A refused file as the ``{"detail", "problems"}`` body."""
    return {
        "detail": str(exc).splitlines()[0],
        "encoding": exc.encoding,
        "problems": [{"line": p.line, "column": p.column, "message": p.message} for p in exc.problems],
    }


ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.ErrorReply, "description": "認証が必要"},
    403: {"model": schemas.ErrorReply, "description": "トークンが正しくない"},
    404: {"model": schemas.ErrorReply, "description": "指定されたバージョンやFAQがない"},
    413: {"model": schemas.ErrorReply, "description": "ファイルが大きすぎる"},
    422: {"model": schemas.FormatErrorReply, "description": "FAQファイルの問題（行・列つき）"},
    503: {"model": schemas.ErrorReply, "description": "管理機能が無効（トークン未設定）"},
}
api = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_token)], responses=ADMIN_ERRORS)


async def _run_publish(call: Any, dry_run: bool) -> Any:
    try:
        outcome = await run_in_threadpool(call)
    except FaqFormatError as exc:
        return JSONResponse(format_error(exc), status_code=422)
    except FaqBotError as exc:
        raise HTTPException(422, str(exc)) from exc
    return publish_reply(outcome, dry_run)


@api.post("/reload", summary="ディスク上のTSVを再読み込みして公開", response_model=schemas.PublishReply)
async def reload(publisher: PublisherDep, dry_run: Annotated[bool, Query()] = False) -> Any:
    """Validate the configured TSV, build off to the side, then swap (``dry_run=1``: only the preview)."""
    return await _run_publish(lambda: publisher.reload(dry_run=dry_run), dry_run)


@api.post("/faq", summary="TSVをアップロードして公開", response_model=schemas.PublishReply)
async def upload(
    publisher: PublisherDep,
    file: Annotated[UploadFile, File(description="FAQ TSV（UTF-8、BOM付きUTF-8、CP932）")],
    dry_run: Annotated[bool, Query()] = False,
) -> Any:
    """Publish an uploaded TSV; the file on disk is replaced only after success."""
    raw = await _read_upload(file, publisher.settings)
    name = file.filename or "upload.tsv"
    return await _run_publish(lambda: publisher.publish_bytes(raw, name, dry_run=dry_run), dry_run)


@api.get("/versions", summary="保存されているバージョン", response_model=list[schemas.VersionOut])
async def versions(publisher: PublisherDep) -> Any:
    """Kept versions, newest first."""
    return [schemas.VersionOut(**v.__dict__) for v in await run_in_threadpool(publisher.versions)]


@api.post("/rollback", summary="以前のバージョンに戻す", response_model=schemas.VersionOut)
async def rollback(body: schemas.RollbackRequest, publisher: PublisherDep) -> Any:
    """Serve a kept version again, with the same atomic swap."""
    try:
        version = await run_in_threadpool(publisher.rollback, body.build_id)
    except VersionNotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    return schemas.VersionOut(**version.__dict__)


@api.get("/faq.tsv", summary="公開中のTSVをダウンロード", response_class=Response)
async def download(publisher: PublisherDep) -> Response:
    """The TSV of the version being served, as it was published."""
    data = await run_in_threadpool(publisher.current_tsv)
    return Response(
        data,
        media_type="text/tab-separated-values",
        headers={"Content-Disposition": f'attachment; filename="faq-{publisher.engine.current.faq_version}.tsv"'},
    )


async def _read_upload(file: UploadFile, settings: Settings) -> bytes:
    raw = await file.read(settings.max_faq_bytes + 1)
    if len(raw) > settings.max_faq_bytes:
        raise HTTPException(413, f"ファイルが大きすぎます（上限{settings.max_faq_bytes:,}バイト）。")
    return raw


# ---------------------------------------------------------------- pages

pages = APIRouter(prefix="/admin", include_in_schema=False)
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))


def _page(request: Request, publisher: Publisher | None, **context: Any) -> HTMLResponse:
    auth = _auth(request)
    data: dict[str, Any] = {"csrf": auth.csrf_token(request), "publisher": publisher, "active": "publish", **context}
    if publisher is not None:
        loaded = publisher.engine.current
        data.update(
            manifest=loaded.index.manifest,
            faq_version=loaded.faq_version,
            categories=loaded.index.categories,
            versions=publisher.versions(),
            watch=publisher.settings.faq_watch,
        )
    return templates.TemplateResponse(request, "admin.html", data)


@pages.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, auth: AuthDep) -> HTMLResponse:
    """The login page (or a note that admin is disabled)."""
    return templates.TemplateResponse(request, "login.html", {"enabled": auth.enabled, "error": None})


@pages.post("/login", response_model=None)
async def login(request: Request, auth: AuthDep, token: Annotated[str, Form(max_length=500)]) -> Response:
    """Check the token; on success set the session cookie (HttpOnly, SameSite=Strict, Secure on https)."""
    if not auth.enabled:
        raise HTTPException(503, "管理機能は無効です。")
    if not auth.token_ok(token.strip()):
        log.warning("admin login failed from %s", request.client.host if request.client else "?")
        return templates.TemplateResponse(
            request, "login.html", {"enabled": True, "error": "トークンが正しくありません。"}, status_code=403
        )
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(
        COOKIE,
        auth.new_session(),
        max_age=auth.session_seconds,
        httponly=True,
        samesite="strict",
        secure=True,  # browsers accept Secure cookies from http://localhost and 127.0.0.1 too
        path="/admin",
    )
    return response


@pages.post("/logout", response_model=None)
async def logout(request: Request, auth: AuthDep, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session."""
    auth.check_csrf(request, csrf)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(COOKIE, path="/admin")
    return response


@pages.get("", response_class=HTMLResponse)
async def admin_home(request: Request, auth: AuthDep, publisher: PublisherDep) -> HTMLResponse:
    """Status, upload, versions."""
    auth.check_page(request)
    return _page(request, publisher)


def _staged(settings: Settings, sha: str) -> bytes:
    if not _SHA.match(sha):
        raise HTTPException(422, "アップロードされたファイルが見つかりません。もう一度アップロードしてください。")
    path = settings.index_dir / STAGING / f"{sha}.tsv"
    try:
        return path.read_bytes()
    except OSError as exc:
        raise HTTPException(
            422, "アップロードされたファイルが見つかりません。もう一度アップロードしてください。"
        ) from exc


def _error_page(
    request: Request, publisher: Publisher, exc: FaqFormatError, raw: bytes | None, **ctx: Any
) -> HTMLResponse:
    """The admin page with each problem next to the text of its line."""
    lines: list[str] = []
    if raw is not None:
        for encoding in ("utf-8-sig", "cp932", "latin-1"):
            try:
                lines = raw.decode(encoding).splitlines()
                break
            except UnicodeDecodeError:
                continue
    problems = [(p, lines[p.line - 1] if p.line and 0 < p.line <= len(lines) else "") for p in exc.problems]
    return _page(request, publisher, format_error=exc, problems=problems, **ctx)


@pages.post("/ui/upload", response_class=HTMLResponse)
async def ui_upload(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Validate an uploaded file and show the diff preview (nothing is published yet)."""
    auth.check_csrf(request, csrf)
    raw = await _read_upload(file, publisher.settings)
    name = file.filename or "upload.tsv"
    try:
        outcome = await run_in_threadpool(lambda: publisher.publish_bytes(raw, name, dry_run=True))
    except FaqFormatError as exc:
        return _error_page(request, publisher, exc, raw, filename=name)
    sha = hashlib.sha256(raw).hexdigest()
    await run_in_threadpool(write_bytes_atomic, publisher.settings.index_dir / STAGING / f"{sha}.tsv", raw)
    return _page(request, publisher, filename=name, preview=outcome.preview, warnings=outcome.warnings, staged=sha)


@pages.post("/ui/publish", response_class=HTMLResponse)
async def ui_publish(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    staged: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Publish the file previewed before."""
    auth.check_csrf(request, csrf)
    raw = _staged(publisher.settings, staged)
    try:
        outcome = await run_in_threadpool(lambda: publisher.publish_bytes(raw, "管理画面からのアップロード"))
    except FaqFormatError as exc:
        return _error_page(request, publisher, exc, raw)
    (publisher.settings.index_dir / STAGING / f"{staged}.tsv").unlink(missing_ok=True)
    message = "公開しました。" if outcome.published else "公開中の内容と同じため、変更はありません。"
    return _page(request, publisher, message=message)


@pages.post("/ui/reload", response_class=HTMLResponse)
async def ui_reload(
    request: Request, auth: AuthDep, publisher: PublisherDep, csrf: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Publish the TSV on disk."""
    auth.check_csrf(request, csrf)
    try:
        outcome = await run_in_threadpool(publisher.reload)
    except FaqFormatError as exc:
        path = publisher.settings.faq_path
        return _error_page(request, publisher, exc, path.read_bytes() if path.is_file() else None)
    message = "ディスク上のTSVを公開しました。" if outcome.published else "ディスク上のTSVは公開中の内容と同じです。"
    return _page(request, publisher, message=message)


@pages.post("/ui/rollback", response_class=HTMLResponse)
async def ui_rollback(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    build_id: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Serve a kept version again."""
    auth.check_csrf(request, csrf)
    try:
        version = await run_in_threadpool(publisher.rollback, build_id)
    except VersionNotFoundError as exc:
        return _page(request, publisher, message=str(exc))
    return _page(request, publisher, message=f"バージョン {version.faq_version}（{version.built_at}）に戻しました。")


def add_admin(app: FastAPI, settings: Settings) -> None:
    """Mount the admin API and pages."""
    app.state.admin_auth = AdminAuth(settings.admin_token, settings.admin_session_hours)

    async def to_login(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/admin/login", status_code=303)

    app.add_exception_handler(LoginRequiredError, to_login)
    app.include_router(api)
    app.include_router(pages)
