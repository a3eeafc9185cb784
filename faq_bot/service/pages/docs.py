"""The API documentation, offline: Swagger UI and ReDoc from the fastapi-offline package, started by static scripts.

FastAPI's own /docs pages load their scripts from a CDN and start them with an inline
script; these serve the same bundles from the app and start them from files in
``web/static``, so the pages work without internet and under ``script-src 'self'``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from faq_bot.service.templating import templates

docs_pages = APIRouter(include_in_schema=False)
#: Where the Swagger UI and ReDoc bundles are mounted.
ASSETS_URL = "/docs-assets"


def bundle_dir() -> Path:
    """The folder of the Swagger UI and ReDoc bundles (shipped by fastapi-offline)."""
    return Path(str(files("fastapi_offline"))) / "static"


@docs_pages.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json."""
    return templates().TemplateResponse(request, "docs.html", {"assets": ASSETS_URL, "viewer": "swagger"})


@docs_pages.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc over /openapi.json."""
    return templates().TemplateResponse(request, "docs.html", {"assets": ASSETS_URL, "viewer": "redoc"})
