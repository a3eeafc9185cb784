"""The app factory: ``create_app(settings)`` wires routers, middleware and error handlers; no work at import.

The model and the index load in the lifespan, onto ``app.state``; until then the
visitor API answers 503 and ``/readyz`` says ``loading``. With a shared database
(several machines) the lifespan also starts the follower of published versions; at
shutdown (after uvicorn has let requests in flight finish) it stops the follower and
the watcher and writes out the queued log rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from faq_bot import assets
from faq_bot.config import Settings, load_settings
from faq_bot.errors import DatabaseError
from faq_bot.model.embedder import Embedder
from faq_bot.publishing.shared import Follower
from faq_bot.publishing.watcher import Watcher
from faq_bot.quality.unanswered import UnansweredQuestions
from faq_bot.runtime import databases, open_publisher
from faq_bot.service.auth import AdminAuth
from faq_bot.service.clients import ClientAddresses
from faq_bot.service.handlers import add_exception_handlers
from faq_bot.service.middleware import BodyLimit, SecurityHeaders
from faq_bot.service.offload import in_background
from faq_bot.service.pages.docs import ASSETS_URL, bundle_dir, docs_pages
from faq_bot.service.pages.editor import editor_pages
from faq_bot.service.pages.entries import entry_pages
from faq_bot.service.pages.login import login_pages
from faq_bot.service.pages.staff import staff_pages
from faq_bot.service.pages.visitor import visitor_pages
from faq_bot.service.ratelimit import LoginThrottle, RateLimit, shared_storage
from faq_bot.service.routes.chat import visitor_api
from faq_bot.service.routes.health import health
from faq_bot.service.routes.publishing import publishing_api
from faq_bot.service.routes.staff import staff_api
from faq_bot.storage.chatlog import ChatLog
from faq_bot.storage.history import PublishHistory
from faq_bot.storage.logwriter import LogWriter
from faq_bot.storage.sessions import DatabaseSessions
from faq_bot.storage.staging import Staging, staging_for

log = logging.getLogger("faq_bot.service")
#: How long start-up waits for the listener of published versions (then /readyz says the database is unreachable).
FOLLOWER_START_SECONDS = 10.0
#: Seconds between two deletions of expired staged files (a preview, a batch result, an undo: kept two days).
PRUNE_EVERY = 3600.0


async def _prune_staged(staging: Staging, every: float = PRUNE_EVERY) -> None:
    """Expired staged files deleted at start-up and then every ``every`` seconds, whether or not anything new
    is staged (a staging also deletes them): abandoned batch results hold visitors' questions."""
    while True:
        try:
            await in_background(staging.prune)
        except DatabaseError as exc:  # the next round tries again; nothing waits for it
            log.warning("%s", exc)
        await asyncio.sleep(every)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """The application; the model and index load in the lifespan, onto ``app.state``."""
    settings = settings or load_settings()

    dbs = databases(settings)  # nothing connects before the first use

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        chatlog = ChatLog(dbs.log, settings.log_mask_personal_data, settings.log_retention_days)
        log_writer = LogWriter(chatlog, settings.log_queue_size, settings.log_retry_seconds)
        log_writer.start()  # an unusable log is a warning: the bot answers without it (and purges, see LogWriter)
        app.state.chatlog, app.state.log_writer = chatlog, log_writer
        pruning = asyncio.create_task(_prune_staged(app.state.staging))
        follower: Follower | None = None
        try:
            publisher = await run_in_threadpool(
                lambda: open_publisher(
                    settings,
                    embedder,
                    shared_db=dbs.shared,
                    progress=log.info,
                    confirmed=chatlog.confirmed_answers,
                    history=PublishHistory(dbs.log),
                )
            )
            engine = publisher.engine
            app.state.publisher = publisher
            # Follows CURRENT (publishes by other workers of this machine) and, with faq_watch, the TSV file.
            watcher = Watcher(publisher, settings.faq_watch, settings.watch_interval)
            watcher.start()
            if dbs.shared is not None:  # publishes by other replicas, announced by PostgreSQL
                follower = app.state.follower = Follower(dbs.shared.libpq_url(), publisher.sync)
                follower.start()
                # Ready only once listening: a publish from now on is heard. Without the database, start anyway.
                await run_in_threadpool(follower.wait_caught_up, FOLLOWER_START_SECONDS)
            app.state.unanswered = UnansweredQuestions(chatlog, engine)
            app.state.unanswered.start()  # the log read and grouped now, not by the first staff page
            app.state.engine = engine
            log.info("ready: FAQ %s", engine.current.faq_version)
            try:
                yield
            finally:
                app.state.engine = None  # not ready any more: a load balancer's probe stops sending visitors
                if follower is not None:
                    await run_in_threadpool(follower.stop)
                await run_in_threadpool(watcher.stop)
                engine.close()
        finally:
            pruning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruning
            await run_in_threadpool(log_writer.close)
            dbs.dispose()

    app = FastAPI(
        title="faq-bot", summary="FAQだけから答える日本語FAQボットのAPI", version="0.1.0", lifespan=lifespan,
        docs_url=None, redoc_url=None,  # served offline by pages.docs (no CDN, no inline script)
    )  # fmt: skip
    app.state.settings = settings
    app.state.engine = None
    app.state.follower = None
    # Shared by every replica with FAQ_BOT_REDIS_URL (no connection before the first request); else per process.
    limits_storage = shared_storage(settings.redis_url.get_secret_value()) if settings.redis_url else None
    app.state.admin_auth = AdminAuth(
        settings.admin_token,
        DatabaseSessions(dbs.sessions),
        LoginThrottle(settings.admin_login_limit, limits_storage),
        settings.admin_session_hours,
    )
    # Previews, batch results and undos between two admin requests: shared by replicas (the next request may
    # reach another one), else in a folder of this machine.
    app.state.staging = staging_for(settings.index_dir, dbs.shared)
    app.state.rate_limit = RateLimit(settings.rate_limit, limits_storage)
    app.state.clients = ClientAddresses(settings.proxy_networks())
    if settings.trust_forwarded_for and not settings.trusted_proxies:
        log.warning("FAQ_BOT_TRUST_FORWARDED_FOR is deprecated: set FAQ_BOT_TRUSTED_PROXIES=127.0.0.1,::1 instead")
    add_exception_handlers(app)
    for router in (
        docs_pages,
        visitor_api,
        health,
        visitor_pages,
        login_pages,
        publishing_api,
        editor_pages,
        entry_pages,
        staff_api,
        staff_pages,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(assets.static_dir())), name="static")
    app.mount(ASSETS_URL, StaticFiles(directory=str(bundle_dir())), name="docs-assets")
    # Innermost first: the 413 of the body limit still carries CORS and security headers.
    # An upload may be a whole FAQ file plus multipart framing.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, admin_limit=settings.max_faq_bytes + 65_536)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
    return app
