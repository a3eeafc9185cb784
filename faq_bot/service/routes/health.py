"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from faq_bot.retrieval.engine import Engine
from faq_bot.service import schemas

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
