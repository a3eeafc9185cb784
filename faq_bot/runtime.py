"""Wiring: settings → encoder → engine, the one place the CLI and the service open an engine."""

from __future__ import annotations

from faq_bot.config import Settings
from faq_bot.model.embedder import Embedder
from faq_bot.model.loader import load_bulk_embedder, load_embedder
from faq_bot.progress import Progress
from faq_bot.retrieval.engine import Engine


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
