"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from faq_bot.publishing.publisher import Publisher
from faq_bot.publishing.shared import Follower
from faq_bot.retrieval.engine import Engine
from faq_bot.service import schemas
from faq_bot.storage.logwriter import LogWriter

health = APIRouter(tags=["health"])


@health.get("/healthz", summary="生存確認", response_model=schemas.Health)
async def healthz() -> Any:
    """The process is alive."""
    return schemas.Health(status="ok")


@health.get(
    "/readyz", summary="準備完了確認", response_model=schemas.Readiness, responses={503: {"model": schemas.Readiness}}
)
async def readyz(request: Request) -> Any:
    """Model and index are loaded and, on several machines, the shared database is reachable and followed.

    The question log's state is reported but never makes chat unready. A replica that cannot
    reach the shared database (it would not hear of publishes) or cannot serve the current
    version is not ready, so that an orchestrator sends visitors to the others.
    """
    engine: Engine | None = getattr(request.app.state, "engine", None)
    writer: LogWriter | None = getattr(request.app.state, "log_writer", None)
    log = None
    if writer is not None:
        h = writer.health()
        log = schemas.LogStatus(status=h.status, queued=h.queued, written=h.written, lost=h.lost, reason=h.reason)
    if engine is None:
        return JSONResponse(schemas.Readiness(status="loading", log=log).model_dump(), status_code=503)
    loaded = engine.current
    ready = schemas.Readiness(status="ok", faq_version=loaded.faq_version, entries=len(loaded.index.entries), log=log)
    follower: Follower | None = getattr(request.app.state, "follower", None)
    if follower is None:
        return ready
    publisher: Publisher = request.app.state.publisher
    ready.database = "ok" if follower.connected else "unreachable"
    if not follower.connected:
        ready.status = "database_unreachable"
    elif publisher.follow_error is not None:
        ready.status = "behind"  # the current version could not be loaded here (logged once)
    if ready.status != "ok":
        return JSONResponse(ready.model_dump(), status_code=503)
    return ready
