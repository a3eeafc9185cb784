"""The engine: encoder, analyzer and the current FAQ index behind one ``ask`` call.

Everything above the engine (CLI, HTTP service, publishing, quality tools) talks to this
class. It takes an ``Embedder`` from its caller, so the core never loads a model itself.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from faq_bot.content import faq as faq_table
from faq_bot.content.faq import Faq, FaqEntry, entries_by_id
from faq_bot.errors import FaqFormatError, IndexMismatchError
from faq_bot.memory import give_back
from faq_bot.model.embedder import Embedder
from faq_bot.progress import Progress, Step
from faq_bot.retrieval import store
from faq_bot.retrieval.adaptation import adapted
from faq_bot.retrieval.cache import BuildCache
from faq_bot.retrieval.confidence import DecisionModel, judge
from faq_bot.retrieval.decision import Reply, decide
from faq_bot.retrieval.index import FaqIndex, Manifest, build, embed_queries, index_settings
from faq_bot.retrieval.params import RetrievalParams
from faq_bot.retrieval.retriever import Parsed, Retriever, Search
from faq_bot.retrieval.smalltalk import recognise
from faq_bot.text.analyzer import TextAnalyzer
from faq_bot.text.normalize import normalize_lines
from faq_bot.text.synonyms import SynonymTable

log = logging.getLogger("faq_bot.index")


K = TypeVar("K")
V = TypeVar("V")
ReplyKey = tuple[str, tuple[str, ...], int]  # a question, its categories and k


@dataclass(frozen=True)
class Pending:
    """A question read and waiting for its vectors: ``Loaded.begin``, then the encoder, then ``Loaded.finish``
    (so that a server can wait for the encoder without holding a thread)."""

    query: str
    categories: tuple[str, ...]
    k: int
    parsed: Parsed
    views: list[str]  # the texts to encode
    key: ReplyKey | None  # its place in the reply cache


class Recent(Generic[K, V]):
    """The last ``size`` values put, the least recently used dropped first; thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)


#: The last replies of one FAQ version.
ReplyCache = Recent[ReplyKey, Reply]


@dataclass(frozen=True)
class Loaded:
    """One published FAQ and what searches it; replaced as a whole, never mutated."""

    faq_version: str
    index: FaqIndex
    retriever: Retriever
    params: RetrievalParams
    model: DecisionModel

    def ask(self, query: str, categories: Sequence[str] | None = None, k: int = 5) -> Reply:
        """Search this FAQ and decide (a request keeps one ``Loaded`` for a consistent version).

        Replies are cached per ``Loaded``, i.e. per FAQ version: a publish starts a new,
        empty cache, so a cached reply never comes from an older FAQ.
        """
        step = self.begin(query, categories, k)
        if isinstance(step, Reply):
            return step
        return self.finish(step, self.retriever.embedder.encode_queries(step.views))

    def begin(self, query: str, categories: Sequence[str] | None = None, k: int = 5) -> Reply | Pending:
        """The reply if it needs no encoding (cached, small talk, nothing to search), else the texts to encode.

        Raises ``UnknownCategoryError`` before any encoding.
        """
        self.retriever.allowed(categories)
        key = None
        if self._replies is not None:
            query = normalize_lines(query)  # line breaks end sentences: kept, in the key too
            key = (query, tuple(sorted(categories or ())), k)
            cached = self._replies.get(key)
            if cached is not None:
                return cached
        if self.params.decision.smalltalk_replies and recognise(query) is not None:
            # A greeting or thanks: nothing to search (and nothing to encode).
            return self._keep(key, decide(Search(query, self.retriever.analyze(query), ()), self.params.decision))
        if not self.retriever.searchable(query):
            return self._keep(key, self.reply(self.retriever.search(query, categories or None, k)))
        parsed = self.retriever.parse(query)
        return Pending(query, tuple(categories or ()), k, parsed, self.retriever.views(parsed), key)

    def finish(self, pending: Pending, vectors: npt.NDArray[np.float32]) -> Reply:
        """The reply to a question ``begin`` left pending, with the vectors of its ``views``."""
        search = self.retriever.search(
            pending.query, pending.categories or None, pending.k, query_vectors=vectors, parsed=pending.parsed
        )
        return self._keep(pending.key, self.reply(search))

    def _keep(self, key: ReplyKey | None, reply: Reply) -> Reply:
        if key is not None and self._replies is not None:
            self._replies.put(key, reply)
        return reply

    @cached_property
    def _replies(self) -> ReplyCache | None:
        return ReplyCache(self.params.reply_cache_size) if self.params.reply_cache_size > 0 else None

    def search_many(
        self,
        queries: Sequence[str],
        encoder: Embedder,
        batch: int = 64,
        progress: Progress | None = None,
        categories: Sequence[Sequence[str]] | None = None,
    ) -> list[Search]:
        """The search of each question, encoding them in batches with ``encoder`` (e.g. the bulk one); ``categories``:
        each question's, as a visitor narrowed it (those this FAQ no longer has left out: ``Retriever.within``)."""
        retriever = self.retriever
        out: list[Search] = []
        for start in range(0, len(queries), batch):
            if progress is not None:
                progress(Step("質問を検索しています", start, len(queries)))
            chunk = queries[start : start + batch]
            narrowed = categories[start : start + batch] if categories is not None else [()] * len(chunk)
            parsed = [retriever.parse(q) for q in chunk]
            views = [retriever.views(p) for p in parsed]
            flat = [t for v in views for t in v]
            vectors = encoder.encode_queries(flat) if flat else np.zeros((0, encoder.dim), np.float32)
            at = 0
            for q, c, p, v in zip(chunk, narrowed, parsed, views, strict=True):
                found = retriever.search(q, retriever.within(c), query_vectors=vectors[at : at + len(v)], parsed=p)
                out.append(found)
                at += len(v)
        return out

    def reply(self, search: Search) -> Reply:
        """The decision for a search: each hit judged by the decision model, then answer / suggest / escalate."""
        return decide(judge(search, self.model), self.params.decision)

    def entry(self, entry_id: str) -> FaqEntry | None:
        """The entry with this id."""
        return self._by_id.get(entry_id)

    @cached_property
    def category_of(self) -> dict[str, str]:
        """Each entry's category, by id."""
        return {e.id: e.category for e in self.index.entries}

    @property
    def entry_ids(self) -> frozenset[str]:
        """The ids of this FAQ's entries."""
        return frozenset(self._by_id)

    @cached_property
    def _by_id(self) -> dict[str, FaqEntry]:
        return entries_by_id(self.index.entries)


def faq_version_of(index: FaqIndex) -> str:
    """A short id of the FAQ content an index serves."""
    return index.manifest.tsv_sha256[:12]


#: FAQ versions whose adapted decision model an engine keeps (the live one, a dry run's, the one before).
ADAPTED_KEPT = 4


class Engine:
    """Answers questions from the current FAQ index."""

    def __init__(
        self,
        params: RetrievalParams,
        embedder: Embedder,
        analyzer: TextAnalyzer,
        model: DecisionModel,
        index: FaqIndex,
        bulk: Embedder | None = None,
    ) -> None:
        self.params = params
        self.embedder = embedder  # visitors' questions
        self.bulk = bulk or embedder  # builds, batch tests, log grouping: never in the visitors' way
        self.analyzer = analyzer
        self.model = model
        self._lock = threading.Lock()
        # The decision model adapted to each FAQ version loaded lately (a dry run's, reused by its publish).
        self._adapted: Recent[str, DecisionModel] = Recent(ADAPTED_KEPT)
        # Before any visitor is served: the full-speed encoder encodes what the adaptation needs.
        self._loaded = self.loaded_for(index, self.embedder)

    @classmethod
    def open(
        cls,
        params: RetrievalParams,
        embedder: Embedder,
        *,
        bulk: Embedder | None = None,
        rebuild: bool = True,
        follow_file: bool = True,
        progress: Progress | None = None,
    ) -> Engine:
        """Open the index for the configured FAQ file (see ``ensure_index``)."""
        synonyms = params.store.synonyms_path
        analyzer = TextAnalyzer(SynonymTable.load(synonyms) if synonyms else SynonymTable())
        model = DecisionModel.load(params.decision_model)
        if model.fitted_on_other_vectors(embedder.model_id):
            log.warning(
                "%sは別のエンコーダー（%s）のベクトルで学習されています。いまのエンコーダー（%s）では"
                "確率が少しずれます。`faq-bot calibrate … --write` で学習し直してください。",
                f"判定モデル {params.decision_model} " if params.decision_model else "同梱の判定モデル", model.encoder,
                embedder.model_id,
            )  # fmt: skip
        # The first build happens before any visitor is served: the full-speed encoder does it.
        index = ensure_index(params, embedder, analyzer, rebuild=rebuild, follow_file=follow_file, progress=progress)
        return cls(params, embedder, analyzer, model, index, bulk)

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

    def loaded_for(self, index: FaqIndex, encoder: Embedder | None = None) -> Loaded:
        """An index made ready to answer with this engine's encoder, analyzer, parameters and model (adapted to
        it: the few texts that needs encoded by ``encoder``, by default the bulk one)."""
        retriever = Retriever(index, self.embedder, self.analyzer, self.params.search)
        retriever.prepare()  # before it serves: on start-up or in the publish, never in a visitor's request
        version = faq_version_of(index)
        model = self._adapted.get(version) or adapted(
            self.model, retriever, partial(self.encode_prepared, encoder=encoder)
        )
        self._adapted.put(version, model)
        return Loaded(version, index, retriever, self.params, model)

    def build(self, faq: Faq, progress: Progress | None = None) -> FaqIndex:
        """Build an index for a validated FAQ with this engine's encoder and parameters (in memory).

        Texts any earlier build in the index folder has encoded are not encoded again.
        """
        try:
            return build(faq, self.bulk, self.analyzer, self.params.index, progress, self.cache)
        finally:
            give_back()  # what the build worked in (analyses, batches), not kept by the heap

    def encode_prepared(self, texts: Sequence[str], encoder: Embedder | None = None) -> npt.NDArray[np.float32]:
        """Vectors of prepared texts as questions, through the build cache; made by ``encoder``, by default the
        build's (bulk) one."""
        return embed_queries(encoder or self.bulk, texts, self.cache)

    @cached_property
    def cache(self) -> BuildCache | None:
        """The build cache beside the index folder (opened on first use)."""
        return BuildCache.beside(self.params.store.index_dir)

    def publish(self, index: FaqIndex, ready: Loaded | None = None) -> Loaded:
        """Serve a new index from now on (requests in flight finish on the old one); ``ready``: this index already
        made ready (``loaded_for``, by a publish's preview), not made ready again."""
        loaded = ready if ready is not None and ready.index is index else self.loaded_for(index)
        with self._lock:
            old, self._loaded = self._loaded, loaded
        del old  # freed once requests still on it finish
        give_back()
        return loaded

    def close(self) -> None:
        """Stop the encoder's worker thread, if it has one."""
        for encoder in {id(self.embedder): self.embedder, id(self.bulk): self.bulk}.values():
            close: Any = getattr(encoder, "close", None)
            if callable(close):
                close()
        if "cache" in self.__dict__ and self.cache is not None:
            self.cache.close()


def ensure_index(
    params: RetrievalParams,
    embedder: Embedder,
    analyzer: TextAnalyzer,
    *,
    rebuild: bool = True,
    follow_file: bool = True,
    progress: Progress | None = None,
) -> FaqIndex:
    """The index to serve for the configured FAQ file.

    With ``follow_file`` the file decides: the saved build of exactly its content, else
    (with ``rebuild``) a new build. If the file is unusable (an editor saved a broken
    TSV), the current build keeps serving (or, when ``CURRENT`` is damaged, the newest
    whole build). Without ``follow_file`` the current build is used as long as it fits
    the model and settings (what ``reload`` compares against); without ``rebuild`` either, nothing else is (an
    ``IndexMismatchError``: the folder is read, never written). A damaged ``CURRENT`` or
    build is logged as a warning and never served.
    """
    faq_path, index_dir = params.store.faq_path, params.store.index_dir
    wanted_settings = index_settings(params.index, analyzer)
    try:
        folder = store.current_build(index_dir)
    except IndexMismatchError as exc:
        log.warning("%s: ignoring it, serving the build of the FAQ file (or the newest whole build)", exc)
        folder = None
    try:
        faq = faq_table.load(faq_path, params.store.max_faq_bytes)
    except FaqFormatError as exc:
        if progress:
            progress(Step(f"FAQファイルを使えないため、公開中の版を使います: {exc}"))
        current = _current_if_compatible(folder, embedder.model_id, wanted_settings) if folder else None
        if current is None:
            current = _newest_compatible(index_dir, embedder.model_id, wanted_settings, skip=folder)
        if current is None:
            raise
        return current
    if not follow_file and folder is not None:
        current = _current_if_compatible(folder, embedder.model_id, wanted_settings)
        if current is not None:
            return current
    if not follow_file and not rebuild:  # read only: never another build made current, never one built here
        raise IndexMismatchError(f"no current build in {index_dir} that this model and these settings can serve")
    expected: dict[str, Any] = {"tsv_sha256": faq.sha256, "model_id": embedder.model_id, "settings": wanted_settings}

    damaged: str | None = None

    def fits(build_id: str | None, manifest: Manifest) -> bool:
        if build_id is not None and build_id == damaged:
            return False  # already found damaged (and logged) above
        try:
            store.check(manifest, **expected)
        except IndexMismatchError:
            return False
        return True

    # The current build if it is of exactly this file; else a kept build of it (e.g. a publish interrupted
    # between writing the TSV and moving CURRENT, or CURRENT damaged), made current instead of rebuilt.
    reason = f"no index of {faq_path.name} in {index_dir}"
    if folder is not None:
        try:
            if fits(None, store.read_manifest(folder)):
                return store.load(folder)
            reason = f"the current build {folder.name} is of another FAQ file, model or settings"
        except IndexMismatchError as exc:
            log.warning("index build %s is damaged, not served: %s", folder.name, exc)
            reason, damaged = f"the build {folder.name} is damaged", folder.name
    found = store.newest_build(index_dir, fits)
    if found is not None:
        build_id, loaded = found
        store.set_current(index_dir, build_id)
        return loaded
    if not rebuild:
        raise IndexMismatchError(f"{reason}. Rebuild it with `faq-bot build-index`.")
    if progress:
        progress(Step(f"索引を作り直します: {reason}"))
    built = build_and_save(faq, params, embedder, analyzer, progress)
    if damaged:
        log.warning("rebuilt the index of %s because %s", faq_path.name, reason)
    return built


def _newest_compatible(
    index_dir: Path, model_id: str, settings: dict[str, Any], skip: Path | None = None
) -> FaqIndex | None:
    """The newest whole build made with this model and these settings, made current (CURRENT was unusable)."""

    def compatible(build_id: str, manifest: Manifest) -> bool:
        if skip is not None and build_id == skip.name:
            return False
        try:
            store.check(manifest, tsv_sha256=manifest.tsv_sha256, model_id=model_id, settings=settings)
        except IndexMismatchError:
            return False
        return True

    found = store.newest_build(index_dir, compatible)
    if found is None:
        return None
    build_id, loaded = found
    store.set_current(index_dir, build_id)
    log.warning("serving the newest whole build %s (made current)", build_id)
    return loaded


def _current_if_compatible(folder: Path, model_id: str, settings: dict[str, Any]) -> FaqIndex | None:
    """The build in ``folder`` if it was made with this model and these settings."""
    try:
        manifest = store.read_manifest(folder)
        store.check(manifest, tsv_sha256=manifest.tsv_sha256, model_id=model_id, settings=settings)
    except IndexMismatchError:
        return None
    try:
        return store.load(folder)
    except IndexMismatchError as exc:
        log.warning("index build %s is damaged, not served: %s", folder.name, exc)
        return None


def build_and_save(
    faq: Faq, params: RetrievalParams, embedder: Embedder, analyzer: TextAnalyzer, progress: Progress | None = None
) -> FaqIndex:
    """Build an index for a validated FAQ and save it (with the file's bytes) as the current build.

    Texts earlier builds in the same index folder have encoded are taken from its cache.
    """
    cache = BuildCache.beside(params.store.index_dir)
    try:
        built = build(faq, embedder, analyzer, params.index, progress, cache)
    finally:
        if cache is not None:
            cache.close()
    raw = faq_table.source_bytes(faq)
    store.save(built, params.store.index_dir, params.store.keep_versions, tsv=raw)
    return built
