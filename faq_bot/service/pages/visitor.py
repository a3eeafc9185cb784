"""The visitor-facing pages: the widget script, its static files and the demo marketplace page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from faq_bot import assets
from faq_bot.retrieval.contact import contact_link
from faq_bot.service.deps import SettingsDep
from faq_bot.service.templating import templates

visitor_pages = APIRouter(include_in_schema=False)


@visitor_pages.get("/widget.js")
async def widget_js() -> FileResponse:
    """The embeddable widget: ``<script src=".../widget.js" data-server="...">``."""
    return FileResponse(
        assets.static_dir() / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@visitor_pages.get("/favicon.ico")
async def favicon() -> FileResponse:
    """The icon for browsers that ask for it by its usual name (the pages link ``/static/favicon.svg``)."""
    return FileResponse(
        assets.static_dir() / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@visitor_pages.get("/", response_class=HTMLResponse)
async def demo(request: Request, settings: SettingsDep) -> HTMLResponse:
    """A mock marketplace page with the widget on it."""
    return templates().TemplateResponse(
        request,
        "demo.html",
        {
            "bot_title": settings.bot_title,
            "greeting": settings.greeting,
            "examples": "|".join(settings.example_questions),
            "contact": contact_link(settings.contact_url, "", ""),  # for when the bot cannot be reached
        },
    )
