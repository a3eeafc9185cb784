"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

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
    """Model and index are loaded; the question log's state is reported but never makes chat unready."""
    engine: Engine | None = getattr(request.app.state, "engine", None)
    writer: LogWriter | None = getattr(request.app.state, "log_writer", None)
    log = None
    if writer is not None:
        h = writer.health()
        log = schemas.LogStatus(status=h.status, queued=h.queued, written=h.written, lost=h.lost, reason=h.reason)
    if engine is None:
        return JSONResponse(schemas.Readiness(status="loading", log=log).model_dump(), status_code=503)
    loaded = engine.current
    return schemas.Readiness(status="ok", faq_version=loaded.faq_version, entries=len(loaded.index.entries), log=log)
