"""Wiring: settings → encoder → engine → publisher, and which databases; the one place the CLI and the service use."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from faq_bot.config import Settings
from faq_bot.content.queries import LabelledQuery
from faq_bot.errors import DatabaseError, VersionNotFoundError
from faq_bot.model.embedder import Embedder
from faq_bot.model.loader import load_bulk_embedder, load_embedder
from faq_bot.progress import Progress
from faq_bot.publishing.publisher import Publisher
from faq_bot.publishing.shared import SharedVersions
from faq_bot.retrieval import store
from faq_bot.retrieval.engine import Engine
from faq_bot.storage.database import Database, postgres_url
from faq_bot.storage.history import PublishHistory
from faq_bot.storage.versions import VersionStore

log = logging.getLogger("faq_bot.service")


def open_engine(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    rebuild: bool = True,
    follow_file: bool = True,
    progress: Progress | None = None,
) -> Engine:
    """Load the configured encoder (unless one is given) and open the index for the configured FAQ."""
    bulk = None
    if embedder is None:
        embedder = load_embedder(settings.encoder_params())
        if settings.micro_batch:  # serving visitors: bulk work gets an encoder of its own, at low priority
            bulk = load_bulk_embedder(settings.encoder_params(), embedder)
    return Engine.open(
        settings.retrieval_params(), embedder, bulk=bulk, rebuild=rebuild, follow_file=follow_file, progress=progress
    )


@dataclass(frozen=True)
class Databases:
    """Where the log and the sessions are kept; ``shared`` is PostgreSQL (also the published versions) or None."""

    log: Database
    sessions: Database
    shared: Database | None

    def dispose(self) -> None:
        """Close every pooled connection."""
        for db in {id(d): d for d in (self.log, self.sessions)}.values():
            db.dispose()


def databases(settings: Settings) -> Databases:
    """PostgreSQL for everything when ``database_url`` is set (one pool), else this machine's SQLite files."""
    if settings.database_url is not None:
        shared = Database(postgres_url(settings.database_url.get_secret_value()))
        return Databases(shared, shared, shared)
    return Databases(Database.sqlite(settings.log_path), Database.sqlite(settings.session_path), None)


def open_publisher(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    shared_db: Database | None = None,
    follow_file: bool = True,
    progress: Progress | None = None,
    confirmed: Callable[[], Sequence[LabelledQuery]] | None = None,
    history: PublishHistory | None = None,
) -> Publisher:
    """The engine and its publisher; with a shared database, the version it names is served from the start.

    A replica that cannot reach the database starts from its local index folder (a warning) and
    catches up once its follower connects.
    """
    shared = None
    current = None
    if shared_db is not None:
        shared = SharedVersions(VersionStore(shared_db), settings.index_dir, settings.keep_versions)
        try:
            current = shared.current()
            if current is not None:
                shared.local(current)  # downloaded once: no encoding, whoever built it
                store.set_current(settings.index_dir, current)
        except (DatabaseError, VersionNotFoundError) as exc:
            log.warning("%s; starting from the local index folder, catching up once the database answers", exc)
    engine = open_engine(settings, embedder, follow_file=follow_file and current is None, progress=progress)
    publisher = Publisher(engine, settings.regression_path, shared, confirmed, history)
    if shared is not None:
        try:
            # The first version of all if there is none yet; and a current version this replica cannot
            # serve (another model) is found and reported now, not at the next publish.
            publisher.sync()
        except DatabaseError as exc:
            log.warning("%s; the follower will try again", exc)
    return publisher
