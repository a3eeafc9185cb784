"""The visitor-facing pages: the widget script and the demo marketplace page (Jinja2, ``web/``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from faq_bot.config import PROJECT_ROOT, Settings

WEB_DIR = PROJECT_ROOT / "web"


def add_pages(app: FastAPI, settings: Settings, web_dir: Path = WEB_DIR) -> None:
    """Mount ``/static``, ``/widget.js`` and the demo page ``/`` on the app."""
    templates = Jinja2Templates(directory=str(web_dir / "templates"))
    app.mount("/static", StaticFiles(directory=str(web_dir / "static")), name="static")

    @app.get("/widget.js", include_in_schema=False)
    async def widget_js() -> FileResponse:
        """The embeddable widget: ``<script src=".../widget.js" data-server="...">``."""
        return FileResponse(
            web_dir / "static" / "widget.js",
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def demo(request: Request) -> HTMLResponse:
        """A mock marketplace page with the widget on it."""
        return templates.TemplateResponse(
            request,
            "demo.html",
            {
                "bot_title": settings.bot_title,
                "greeting": settings.greeting,
                "examples": "|".join(settings.example_questions),
            },
        )
