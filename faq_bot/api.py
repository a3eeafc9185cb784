"""The HTTP service: chat API, health checks and the widget pages (``create_app``)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faq_bot import schemas
from faq_bot.admin import add_admin
from faq_bot.answer import Reply
from faq_bot.chatlog import ChatLog, ChatRecord
from faq_bot.config import Settings
from faq_bot.embed import Embedder
from faq_bot.engine import Engine, Loaded
from faq_bot.faq import FaqEntry
from faq_bot.publish import Publisher, Watcher
from faq_bot.retrieve import UnknownCategoryError
from faq_bot.security import RateLimited, SecurityHeaders, add_security
from faq_bot.staff import add_staff
from faq_bot.web import add_pages

log = logging.getLogger("faq_bot.api")
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ErrorReply, "description": "JSONとして読めない"},
    404: {"model": schemas.ErrorReply, "description": "指定されたFAQや返答がない"},
    429: {"model": schemas.ErrorReply, "description": "短時間のリクエストが多すぎる（Retry-After 秒後に再試行）"},
    413: {"model": schemas.ErrorReply, "description": "リクエストが大きすぎる"},
    422: {"model": schemas.ErrorReply, "description": "入力が正しくない（空・長すぎる・不明な分類など）"},
    503: {"model": schemas.ErrorReply, "description": "起動中"},
}


def _engine(request: Request) -> Engine:
    engine: Engine | None = getattr(request.app.state, "engine", None)
    if engine is None:
        raise HTTPException(503, "ただいま準備中です。しばらくしてからもう一度お試しください。")
    return engine


def _chatlog(request: Request) -> ChatLog:
    chatlog: ChatLog = request.app.state.chatlog
    return chatlog


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(_engine)]
ChatLogDep = Annotated[ChatLog, Depends(_chatlog)]
SettingsDep = Annotated[Settings, Depends(_settings)]

api = APIRouter(prefix="/api", responses=ERRORS)


def _ref(entry: FaqEntry) -> schemas.EntryRef:
    return schemas.EntryRef(id=entry.id, category=entry.category, question=entry.question)


def chat_reply(reply: Reply, request_id: str, faq_version: str) -> schemas.ChatReply:
    """The API's view of an engine reply."""
    escalation = reply.escalation
    return schemas.ChatReply(
        decision=reply.decision.value,
        answer=reply.answer,
        entry=_ref(reply.hit.entry) if reply.hit else None,
        confidence=round(min(max(reply.confidence, 0.0), 1.0), 4),
        suggestions=[_ref(h.entry) for h in reply.suggestions],
        escalation=schemas.Escalation(text=escalation.text, contact_url=escalation.contact_url) if escalation else None,
        related=[_ref(h.entry) for h in reply.related],
        request_id=request_id,
        faq_version=faq_version,
    )


@api.post("/chat", summary="質問に答える", response_model=schemas.ChatReply)
async def chat(
    body: schemas.ChatRequest,
    engine: EngineDep,
    chatlog: ChatLogDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    _limited: RateLimited,
) -> Any:
    """The best FAQ answer, "もしかして" candidates, or the escalation answer."""
    message = body.message.strip()
    if not message:
        raise HTTPException(422, "メッセージを入力してください。")
    if len(message) > settings.max_message_chars:
        raise HTTPException(422, f"メッセージは{settings.max_message_chars}文字以内で入力してください。")
    categories = body.categories or None
    loaded: Loaded = engine.current  # one FAQ version for the whole request
    request_id = uuid.uuid4().hex

    try:
        # Encoding is CPU-bound: keep the event loop free.
        reply = await run_in_threadpool(loaded.ask, message, categories)
    except UnknownCategoryError as exc:
        raise HTTPException(422, f"不明な分類です: {'、'.join(exc.unknown)}") from exc
    record = ChatRecord(
        request_id,
        message,
        reply.decision.value,
        reply.search.hits[0].entry.id if reply.search.hits else None,  # top entry, whatever the decision
        reply.confidence,
        loaded.faq_version,
        tuple(categories or ()),
        body.session_id,
    )
    background.add_task(chatlog.record_chat, record)  # written right after the reply is sent
    return chat_reply(reply, request_id, loaded.faq_version)


@api.get("/faqs/{entry_id}", summary="FAQを1件返す", response_model=schemas.FaqAnswer)
async def faq_entry(
    entry_id: str,
    engine: EngineDep,
    chatlog: ChatLogDep,
    _limited: RateLimited,
    request_id: Annotated[str | None, Query(max_length=64, description="候補をクリックした返答のID")] = None,
) -> Any:
    """One entry with its answer; with ``request_id`` the click is logged as a resolved question."""
    loaded = engine.current
    entry = loaded.entry(entry_id)
    if entry is None:
        raise HTTPException(404, f"指定されたFAQ（id: {entry_id[:40]}）は見つかりません。")
    if request_id:
        await run_in_threadpool(chatlog.record_click, request_id, entry.id)
    return schemas.FaqAnswer(
        id=entry.id,
        category=entry.category,
        question=entry.question,
        answer=entry.answer,
        faq_version=loaded.faq_version,
    )


@api.get("/categories", summary="分類の一覧", response_model=schemas.Categories)
async def categories(engine: EngineDep) -> Any:
    """Categories of the published FAQ, in FAQ order."""
    loaded = engine.current
    return schemas.Categories(categories=loaded.index.categories, faq_version=loaded.faq_version)


@api.post("/feedback", summary="返答への👍/👎", response_model=schemas.FeedbackReply)
async def feedback(body: schemas.FeedbackRequest, chatlog: ChatLogDep, _limited: RateLimited) -> Any:
    """Record a rating of one reply (one per reply: sending again replaces it)."""
    if not await run_in_threadpool(chatlog.record_feedback, body.request_id, body.rating, body.comment):
        raise HTTPException(404, "評価する返答が見つかりません。")
    return schemas.FeedbackReply()


health = APIRouter(tags=["health"])


@health.get("/healthz", summary="生存確認", response_model=schemas.Health)
async def healthz() -> Any:
    """The process is alive."""
    return schemas.Health(status="ok")


@health.get(
    "/readyz", summary="準備完了確認", response_model=schemas.Health, responses={503: {"model": schemas.Health}}
)
async def readyz(request: Request) -> Any:
    """Model and index are loaded."""
    engine: Engine | None = getattr(request.app.state, "engine", None)
    if engine is None:
        return JSONResponse(schemas.Health(status="loading").model_dump(), status_code=503)
    loaded = engine.current
    return schemas.Health(status="ok", faq_version=loaded.faq_version, entries=len(loaded.index.entries))


class BodyLimit:
    """Refuse request bodies over the limit with 413, whether declared or streamed.

    Visitor endpoints get ``limit``; ``/admin`` (FAQ uploads) gets ``admin_limit``.
    """

    def __init__(self, app: ASGIApp, limit: int, admin_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.admin_limit = admin_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.admin_limit if scope["path"].startswith("/admin") else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLargeError
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLargeError:
            await _too_large(send)


class _TooLargeError(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = json.dumps({"detail": "リクエストが大きすぎます。"}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse({"detail": "JSONの形式が正しくありません。"}, status_code=400)
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    kind = first.get("type")
    if where == "message" and kind in ("missing", "string_too_short", "string_pattern_mismatch"):
        return JSONResponse({"detail": "メッセージを入力してください。"}, status_code=422)
    if where == "message" and kind == "string_too_long":
        limit = request.app.state.settings.max_message_chars
        return JSONResponse({"detail": f"メッセージは{limit}文字以内で入力してください。"}, status_code=422)
    return JSONResponse({"detail": f"入力が正しくありません（{where or '本文'}）。"}, status_code=422)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """The application; the model and index load in the lifespan, onto ``app.state``."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.chatlog = ChatLog(settings.log_path, settings.log_mask_personal_data, settings.log_retention_days)
        engine = await run_in_threadpool(_open_engine(settings, embedder))
        app.state.publisher = Publisher(engine, settings)
        # Follows CURRENT (publishes by other workers) and, with faq_watch, the TSV file.
        watcher = Watcher(app.state.publisher, settings.faq_watch, settings.watch_interval)
        watcher.start()
        app.state.engine = engine
        log.info("ready: FAQ %s", engine.current.faq_version)
        try:
            yield
        finally:
            watcher.stop()
            app.state.chatlog.close()

    app = FastAPI(
        title="faq-bot",
        summary="FAQだけから答える日本語FAQボットのAPI",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = None
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(api)
    app.include_router(health)
    add_pages(app, settings)
    add_admin(app, settings)
    add_staff(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            max_age=600,
        )
    add_security(app, settings)
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
    # An upload may be a whole FAQ file plus multipart framing.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, admin_limit=settings.max_faq_bytes + 65_536)
    return app


def _open_engine(settings: Settings, embedder: Embedder | None) -> Callable[[], Engine]:
    return lambda: Engine.open(settings, embedder, progress=log.info)
