"""Wiring: settings → encoder → engine, the one place the CLI and the service open an engine."""

from __future__ import annotations

from faq_bot.config import Settings
from faq_bot.model.embedder import Embedder
from faq_bot.model.loader import load_embedder
from faq_bot.retrieval.engine import Engine, Progress


def open_engine(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    rebuild: bool = True,
    follow_file: bool = True,
    progress: Progress | None = None,
) -> Engine:
    """Load the configured encoder (unless one is given) and open the index for the configured FAQ."""
    if embedder is None:
        embedder = load_embedder(settings.encoder_params())
    return Engine.open(
        settings.retrieval_params(), embedder, rebuild=rebuild, follow_file=follow_file, progress=progress
    )
