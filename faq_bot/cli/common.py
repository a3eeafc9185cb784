"""What every ``faq-bot`` command shares: messages to stderr, settings from arguments, opening the engine."""

from __future__ import annotations

import argparse
import atexit
import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faq_bot.config import Settings, default_cache_dir, load_settings

if TYPE_CHECKING:
    from faq_bot.retrieval.engine import Engine


def say(message: str) -> None:
    """A progress or error line for people (stderr, so stdout stays data)."""
    print(message, file=sys.stderr, flush=True)


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings for a command: the environment and settings file, plus --faq / --out."""
    settings = load_settings()
    update: dict[str, Any] = {}
    faq = getattr(args, "faq", None)
    if faq is not None:
        path = Path(faq).expanduser().resolve()
        update["faq_path"] = path
        if getattr(args, "out", None) is None and path != settings.faq_path:
            # Another FAQ file gets an index of its own in the cache, reused while it is unchanged.
            key = hashlib.sha256(str(path).encode()).hexdigest()[:16]
            update["index_dir"] = default_cache_dir() / "indexes" / key
    out = getattr(args, "out", None)
    if out is not None:
        update["index_dir"] = Path(out).expanduser().resolve()
    return settings.model_copy(update=update) if update else settings


def engine_for(settings: Settings, quiet: bool = False, follow_file: bool = True) -> Engine:
    """The engine for the configured FAQ (loads the model; imported here, only for commands that need it)."""
    from faq_bot.progress import printing
    from faq_bot.runtime import open_engine

    # One command, one caller: no micro-batching thread and no low-priority bulk encoder (those
    # serve visitors next to editors); the engine is closed before the interpreter exits, so no
    # encoder thread is torn down under it (that aborted `faq-bot ask` with exit status 134).
    engine = open_engine(
        settings.model_copy(update={"micro_batch": False}),
        follow_file=follow_file,
        progress=None if quiet else printing(say),
    )
    atexit.register(engine.close)
    return engine
