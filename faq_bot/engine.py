"""The engine: model, analyzer and the current FAQ index behind one ``ask`` call.

Everything above the engine (CLI, HTTP service) talks to this class only.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from faq_bot import faq as faq_table
from faq_bot import index as faq_index
from faq_bot.answer import Reply, decide
from faq_bot.batching import MicroBatcher
from faq_bot.config import Settings
from faq_bot.embed import Embedder, load_embedder
from faq_bot.errors import FaqFormatError, IndexMismatchError
from faq_bot.faq import Faq, FaqEntry
from faq_bot.index import FaqIndex
from faq_bot.retrieve import Retriever, Search
from faq_bot.text import SynonymTable, TextAnalyzer, normalize

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Loaded:
    """One published FAQ and what searches it; replaced as a whole, never mutated."""

    faq_version: str
    index: FaqIndex
    retriever: Retriever

    def ask(self, query: str, categories: Sequence[str] | None = None, k: int = 5) -> Reply:
        """Search this FAQ and decide (a request keeps one ``Loaded`` for a consistent version).

        Replies are cached per ``Loaded``, i.e. per FAQ version: a publish starts a new,
        empty cache, so a cached reply never comes from an older FAQ.
        """
        if self.retriever.settings.reply_cache_size <= 0:
            return self._ask(query, tuple(categories or ()), k)
        return self._cached_ask(normalize(query), tuple(sorted(categories or ())), k)

    def _ask(self, query: str, categories: tuple[str, ...], k: int) -> Reply:
        return decide(self.retriever.search(query, categories or None, k), self.retriever.settings)

    @cached_property
    def _cached_ask(self) -> Callable[[str, tuple[str, ...], int], Reply]:
        return lru_cache(maxsize=self.retriever.settings.reply_cache_size)(self._ask)

    def entry(self, entry_id: str) -> FaqEntry | None:
        """The entry with this id."""
        return self._by_id.get(entry_id)

    @cached_property
    def _by_id(self) -> dict[str, FaqEntry]:
        return {e.id: e for e in self.index.entries}


def faq_version_of(index: FaqIndex) -> str:
    """A short id of the FAQ content an index serves."""
    return index.manifest.tsv_sha256[:12]


class Engine:
    """Answers questions from the current FAQ index."""

    def __init__(self, settings: Settings, embedder: Embedder, analyzer: TextAnalyzer, loaded: Loaded) -> None:
        self.settings = settings
        self.embedder = embedder
        self.analyzer = analyzer
        self._loaded = loaded
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        rebuild: bool = True,
        follow_file: bool = True,
        progress: Progress | None = None,
    ) -> Engine:
        """Load the model and the index for ``settings.faq_path`` (see ``ensure_index``)."""
        if embedder is None:
            embedder = load_embedder(settings)
            if settings.micro_batch:
                embedder = MicroBatcher(embedder, settings.encode_batch_size)
        analyzer = TextAnalyzer(SynonymTable.load(settings.synonyms_path))
        index = ensure_index(settings, embedder, analyzer, rebuild=rebuild, follow_file=follow_file, progress=progress)
        return cls(settings, embedder, analyzer, _loaded(index, embedder, analyzer, settings))

    @property
    def current(self) -> Loaded:
        """The FAQ being served now (take it once per request for a consistent view)."""
        return self._loaded

    def search(self, query: str, categories: Sequence[str] | None = None, k: int = 5) -> Search:
        """The top ``k`` hits for a query."""
        return self.current.retriever.search(query, categories, k)

    def ask(self, query: str, categories: Sequence[str] | None = None, k: int = 5) -> Reply:
        """Search and decide: answer, suggest or escalate."""
        return self.current.ask(query, categories, k)

    def entry(self, entry_id: str) -> FaqEntry | None:
        """The entry with this id in the current FAQ."""
        return self.current.entry(entry_id)

    def publish(self, index: FaqIndex) -> Loaded:
        """Serve a new index from now on (requests in flight finish on the old one)."""
        loaded = _loaded(index, self.embedder, self.analyzer, self.settings)
        with self._lock:
            self._loaded = loaded
        return loaded


def _loaded(index: FaqIndex, embedder: Embedder, analyzer: TextAnalyzer, settings: Settings) -> Loaded:
    return Loaded(faq_version_of(index), index, Retriever(index, embedder, analyzer, settings))


def ensure_index(
    settings: Settings,
    embedder: Embedder,
    analyzer: TextAnalyzer,
    *,
    faq_path: Path | None = None,
    index_dir: Path | None = None,
    rebuild: bool = True,
    follow_file: bool = True,
    progress: Progress | None = None,
) -> FaqIndex:
    """The index to serve for a FAQ file.

    With ``follow_file`` the file decides: the saved build of exactly its content, else
    (with ``rebuild``) a new build. If the file is unusable (an editor saved a broken
    TSV), the current build keeps serving. Without ``follow_file`` the current build
    is used as long as it fits the model and settings (what ``reload`` compares against).
    """
    faq_path = faq_path or settings.faq_path
    index_dir = index_dir or settings.index_dir
    folder = faq_index.current_build(index_dir)
    try:
        faq = faq_table.load(faq_path, settings.max_faq_bytes)
    except FaqFormatError as exc:
        if folder is None:
            raise
        if progress:
            progress(f"FAQファイルを使えないため、公開中の版を使います: {exc}")
        current = _current_if_compatible(folder, embedder, analyzer, settings)
        if current is None:
            raise
        return current
    if not follow_file and folder is not None:
        current = _current_if_compatible(folder, embedder, analyzer, settings)
        if current is not None:
            return current
    expected: dict[str, Any] = {
        "tsv_sha256": faq.sha256,
        "model_id": embedder.model_id,
        "settings": faq_index.index_settings(settings, analyzer),
    }
    try:
        if folder is None:
            raise IndexMismatchError(f"no index in {index_dir}. Build it with `faq-bot build-index`.")
        faq_index.check(faq_index.read_manifest(folder), **expected)
        return faq_index.load(folder)
    except IndexMismatchError as exc:
        # A kept build of exactly this file (e.g. a publish interrupted between writing
        # the TSV and moving CURRENT) is made current instead of rebuilt.
        for build_id, manifest in faq_index.list_builds(index_dir):
            try:
                faq_index.check(manifest, **expected)
                loaded = faq_index.load(index_dir / "builds" / build_id)
            except IndexMismatchError:
                continue
            faq_index.set_current(index_dir, build_id)
            return loaded
        if not rebuild:
            raise
        if progress:
            progress(f"索引を作り直します: {exc}")
    return build_and_save(faq, settings, embedder, analyzer, index_dir, progress)


def _current_if_compatible(
    folder: Path, embedder: Embedder, analyzer: TextAnalyzer, settings: Settings
) -> FaqIndex | None:
    """The build in ``folder`` if it was made with this model and these settings."""
    try:
        manifest = faq_index.read_manifest(folder)
        faq_index.check(
            manifest,
            tsv_sha256=manifest.tsv_sha256,
            model_id=embedder.model_id,
            settings=faq_index.index_settings(settings, analyzer),
        )
        return faq_index.load(folder)
    except IndexMismatchError:
        return None


def build_and_save(
    faq: Faq,
    settings: Settings,
    embedder: Embedder,
    analyzer: TextAnalyzer,
    index_dir: Path,
    progress: Progress | None = None,
) -> FaqIndex:
    """Build an index for a validated FAQ and save it as the current build of ``index_dir``."""
    built = faq_index.build(faq, embedder, analyzer, settings, progress)
    raw = Path(faq.source).read_bytes() if Path(faq.source).is_file() else None
    if raw is not None and hashlib.sha256(raw).hexdigest() != faq.sha256:
        raw = None  # the file changed meanwhile: do not keep a TSV that does not match
    faq_index.save(built, index_dir, settings.keep_versions, tsv=raw)
    return built
