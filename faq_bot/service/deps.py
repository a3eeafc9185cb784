"""FastAPI dependencies, declared once as ``Annotated`` aliases for every router."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from faq_bot.config import Settings
from faq_bot.errors import NotReadyError
from faq_bot.publishing.publisher import Publisher
from faq_bot.quality.unanswered import UnansweredQuestions
from faq_bot.retrieval.engine import Engine
from faq_bot.service.auth import AdminAuth
from faq_bot.service.clients import client_limit_key
from faq_bot.service.ratelimit import RateLimit
from faq_bot.storage.chatlog import ChatLog
from faq_bot.storage.logwriter import LogWriter
from faq_bot.storage.staging import Staging

T = TypeVar("T")

# Dependencies that only read app state are ``async``: FastAPI runs a plain ``def`` dependency in the
# thread pool, a hop per dependency per request that the chat route cannot afford.


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _ready(request: Request, name: str, kind: type[T]) -> T:
    """What the lifespan put on the app state; ``NotReadyError`` (503) while starting or stopping."""
    value = getattr(request.app.state, name, None)
    if value is None:
        raise NotReadyError
    assert isinstance(value, kind)
    return value


async def _engine(request: Request) -> Engine:
    return _ready(request, "engine", Engine)


async def _publisher(request: Request) -> Publisher:
    return _ready(request, "publisher", Publisher)


#: Staff reads wait at most this long for queued log rows, so that they see every question answered so far.
READ_AFTER_WRITES_SECONDS = 5.0


async def _log_writer(request: Request) -> LogWriter:
    return _ready(request, "log_writer", LogWriter)


async def _chatlog(request: Request) -> ChatLog:
    """The log for reading, once the rows queued so far are written (unless writes are failing now)."""
    writer = _ready(request, "log_writer", LogWriter)
    if writer.health().status == "ok":
        await run_in_threadpool(writer.flush, READ_AFTER_WRITES_SECONDS)
    return writer.store


async def _unanswered(request: Request) -> UnansweredQuestions:
    return _ready(request, "unanswered", UnansweredQuestions)


async def _staging(request: Request) -> Staging:
    staging: Staging = request.app.state.staging
    return staging


async def _auth(request: Request) -> AdminAuth:
    auth: AdminAuth = request.app.state.admin_auth
    return auth


async def _rate_limited(request: Request) -> None:
    await charge(request)


async def charge(request: Request, cost: int = 1) -> None:
    """Count a visitor API request (``cost``: as that many) against the client's limit (``RateLimitedError``)."""
    limiter: RateLimit = request.app.state.rate_limit
    if limiter.shared:  # a network call: off the event loop
        await run_in_threadpool(limiter.check, client_limit_key(request), cost)
    else:
        limiter.check(client_limit_key(request), cost)


SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
PublisherDep = Annotated[Publisher, Depends(_publisher)]
ChatLogDep = Annotated[ChatLog, Depends(_chatlog)]
LogWriterDep = Annotated[LogWriter, Depends(_log_writer)]
UnansweredDep = Annotated[UnansweredQuestions, Depends(_unanswered)]
AuthDep = Annotated[AdminAuth, Depends(_auth)]
StagingDep = Annotated[Staging, Depends(_staging)]
RateLimited = Annotated[None, Depends(_rate_limited)]
