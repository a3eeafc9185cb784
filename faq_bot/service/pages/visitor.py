"""The visitor-facing pages: the widget script, its static files and the demo marketplace page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from faq_bot import assets
from faq_bot.retrieval.contact import contact_link
from faq_bot.service.deps import SettingsDep
from faq_bot.service.templating import templates

visitor_pages = APIRouter(include_in_schema=False)


def _static(name: str, media_type: str, max_age: int) -> FileResponse:
    return FileResponse(
        assets.static_dir() / name, media_type=media_type, headers={"Cache-Control": f"public, max-age={max_age}"}
    )


@visitor_pages.get("/widget.js")
async def widget_js() -> FileResponse:
    """The embeddable widget: ``<script src=".../widget.js" data-server="...">``."""
    return _static("widget.js", "text/javascript; charset=utf-8", 300)


@visitor_pages.get("/favicon.ico")
async def favicon() -> FileResponse:
    """The icon for browsers that ask for it by its usual name (the pages link ``/static/favicon.svg``)."""
    return _static("favicon.svg", "image/svg+xml", 86400)


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
            "max_chars": settings.max_message_chars,
        },
    )
