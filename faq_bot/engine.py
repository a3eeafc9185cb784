"""The engine: model, analyzer and the current FAQ index behind one ``ask`` call.

Everything above the engine (CLI, HTTP service) talks to this class only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from faq_bot import faq as faq_table
from faq_bot import index as faq_index
from faq_bot.answer import Reply, decide
from faq_bot.config import Settings
from faq_bot.embed import Embedder, SentenceTransformerEmbedder
from faq_bot.errors import IndexMismatchError
from faq_bot.faq import Faq, FaqEntry
from faq_bot.index import FaqIndex
from faq_bot.retrieve import Retriever, Search
from faq_bot.text import SynonymTable, TextAnalyzer

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Loaded:
    """One published FAQ and what searches it; replaced as a whole, never mutated."""

    faq_version: str
    index: FaqIndex
    retriever: Retriever

    def ask(self, query: str, categories: Sequence[str] | None = None, k: int = 5) -> Reply:
        """Search this FAQ and decide (a request keeps one ``Loaded`` for a consistent version)."""
        return decide(self.retriever.search(query, categories, k), self.retriever.settings)

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
        progress: Progress | None = None,
    ) -> Engine:
        """Load the model and the index for ``settings.faq_path`` (building it if missing or stale)."""
        embedder = embedder or SentenceTransformerEmbedder(settings.model_dir, settings.encode_batch_size)
        analyzer = TextAnalyzer(SynonymTable.load(settings.synonyms_path))
        index = ensure_index(settings, embedder, analyzer, rebuild=rebuild, progress=progress)
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
    progress: Progress | None = None,
) -> FaqIndex:
    """The saved index for a FAQ file if it matches, else (with ``rebuild``) a freshly built one."""
    faq_path = faq_path or settings.faq_path
    index_dir = index_dir or settings.index_dir
    faq = faq_table.load(faq_path, settings.max_faq_bytes)
    folder = faq_index.current_build(index_dir)
    try:
        if folder is None:
            raise IndexMismatchError(f"no index in {index_dir}. Build it with `faq-bot build-index`.")
        faq_index.check(
            faq_index.read_manifest(folder),
            tsv_sha256=faq.sha256,
            model_id=embedder.model_id,
            settings=faq_index.index_settings(settings, analyzer),
        )
        return faq_index.load(folder)
    except IndexMismatchError as exc:
        if not rebuild:
            raise
        if progress:
            progress(f"索引を作り直します: {exc}")
    return build_and_save(faq, settings, embedder, analyzer, index_dir, progress)


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
    faq_index.save(built, index_dir)
    return built
