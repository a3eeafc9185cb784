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


def settings_from(args: argparse.Namespace, aside: bool = False) -> Settings:
    """Settings for a command: the environment and settings file, plus --faq / --out (``aside``: a command that asks
    questions, whose --faq is always tested in an index of its own, the live FAQ file's too)."""
    settings = load_settings()
    update: dict[str, Any] = {}
    faq = getattr(args, "faq", None)
    if faq is not None:
        path = Path(faq).expanduser().resolve()
        update["faq_path"] = path
        if getattr(args, "out", None) is None and (aside or path != settings.faq_path):
            update["index_dir"] = aside_index_dir(path)
    out = getattr(args, "out", None)
    if out is not None:
        update["index_dir"] = Path(out).expanduser().resolve()
    return settings.model_copy(update=update) if update else settings


def aside_indexes() -> Path:
    """Where FAQ files tested aside get their indexes (in the cache, never the live index folder)."""
    return default_cache_dir() / "indexes"


def aside_index_dir(faq_path: Path) -> Path:
    """The index of its own a FAQ file gets in the cache, reused while the file is unchanged."""
    return aside_indexes() / hashlib.sha256(str(faq_path).encode()).hexdigest()[:16]


def engine_for(settings: Settings, quiet: bool = False) -> Engine:
    """The engine of a command that asks questions (ask, eval, calibrate; loads the model: imported here, only for
    commands that need it).

    On the live index folder it serves the published FAQ, as visitors get it, whatever the TSV on disk holds (said
    when the two differ): a test never builds the edited file and makes it current, which a running server would
    then serve, unchecked. For another FAQ (``--faq``: an index of its own in the cache) the file decides."""
    from faq_bot.errors import IndexMismatchError
    from faq_bot.progress import printing
    from faq_bot.runtime import open_engine

    follow_file = settings.index_dir.is_relative_to(aside_indexes())

    # One command, one caller: no micro-batching thread and no low-priority bulk encoder (those
    # serve visitors next to editors); the engine is closed before the interpreter exits, so no
    # encoder thread is torn down under it (that aborted `faq-bot ask` with exit status 134).
    progress = None if quiet else printing(say)
    single = settings.model_copy(update={"micro_batch": False})
    try:  # the live folder is only read: a build it lacks is made aside, never made current there
        engine = open_engine(single, follow_file=follow_file, rebuild=follow_file, progress=progress)
    except IndexMismatchError:
        say("公開中の索引がないか、いまのモデル・設定では使えないため、FAQファイルから別の場所に索引を作って答えます"
            "（公開はしません。公開するには faq-bot reload か faq-bot build-index）。")  # fmt: skip
        aside = single.model_copy(update={"index_dir": aside_index_dir(settings.faq_path)})
        engine, follow_file = open_engine(aside, follow_file=True, progress=progress), True
    atexit.register(engine.close)
    if not follow_file:
        _say_if_edited(settings, engine)
    return engine


def _say_if_edited(settings: Settings, engine: Engine) -> None:
    """A word when the FAQ file on disk is not the published one (edited, not yet published): its bytes' hash
    against the build's (a build records the hash of the bytes it was read from)."""
    try:
        on_disk = hashlib.sha256(settings.faq_path.read_bytes()).hexdigest()
    except OSError:
        return  # opening the engine said so already
    if on_disk != engine.current.index.manifest.tsv_sha256:
        say(
            f"注意: ディスク上のFAQ（{settings.faq_path}）は公開中の版と違います（編集して、まだ公開していない内容が"
            "あります）。公開中の版で答えます。編集した内容で試すには `faq-bot reload --dry-run`（差分と回帰テスト）か "
            "`--faq` でそのファイルを指定してください。"
        )


def writable(paths: list[str]) -> None:
    """Refuse output files that cannot be written (a missing folder, no permission) before a long run."""
    import os

    from faq_bot.errors import ConfigError

    for name in paths:
        target = Path(name).expanduser()
        folder = target.parent if str(target.parent) else Path(".")
        if target.is_dir() or not folder.is_dir() or not os.access(target if target.exists() else folder, os.W_OK):
            raise ConfigError(f"{name} に書き出せません（フォルダーがあるか、書き込めるかを確かめてください）。")
