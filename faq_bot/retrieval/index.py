"""The search index of one FAQ in memory: FAISS vectors, BM25 statistics, entries and a manifest.

``build`` makes one from a validated FAQ; ``faq_bot.retrieval.store`` keeps them on disk.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from faq_bot.content.faq import Faq, FaqEntry, categories_in_order
from faq_bot.model.embedder import Embedder
from faq_bot.progress import Progress, Step, quiet
from faq_bot.retrieval.cache import BuildCache, analysis_key, vector_key
from faq_bot.retrieval.lexical import Bm25
from faq_bot.retrieval.params import IndexParams
from faq_bot.text.analyzer import ANALYZER_VERSION, STOP_WORDS, Analysis, TextAnalyzer
from faq_bot.text.normalize import reading_bigrams

FORMAT_VERSION = 1
#: What each vector of an entry was made from.
KIND_QUESTION, KIND_ALTERNATE, KIND_QUESTION_ANSWER = 0, 1, 2
KIND_NAMES = {KIND_QUESTION: "question", KIND_ALTERNATE: "alternate", KIND_QUESTION_ANSWER: "answer"}
#: Questions and alternates are embedded like visitor questions (a symmetric, question-to-question
#: match); question+answer as a passage. Changing this changes every vector.
VECTOR_SCHEME = "question,alternates:query;question+answer:passage"
#: Texts encoded per call in a build (shortest first): progress is reported after each chunk.
CHUNK = 256
#: Fewer questions (and alternates) than this give no scale for ``FaqIndex.domain`` (it is 0 then).
MIN_DOMAIN_QUESTIONS = 12
#: The least spread of the FAQ's own questions' cosines to its centroid (the bundled FAQ: 0.0116).
MIN_DOMAIN_SPREAD = 0.005
DOMAIN_CHUNK = 8192  # vectors read at a time
#: Fewer entries than this give no scale for how alike two entries are (``FaqIndex.alike``: 0 then).
MIN_PAIR_ENTRIES = 12
#: Entries whose pairs give that scale on a large FAQ (evenly spread over it): 2,000 make 2 million pairs.
PAIR_SAMPLE = 2000
#: The least spread of those cosines (the bundled FAQ: 0.029): a FAQ of near-copies must not make every
#: pair look alike.
MIN_PAIR_SPREAD = 0.005


@dataclass(frozen=True)
class Manifest:
    """What an index was built from; loading compares it with the live FAQ, model and settings."""

    model_id: str
    tsv_sha256: str
    settings: dict[str, Any]
    built_at: str
    build_seconds: float
    counts: dict[str, int]
    source: str = ""
    format_version: int = FORMAT_VERSION


def index_settings(params: IndexParams, analyzer: TextAnalyzer) -> dict[str, Any]:
    """The settings that change what is stored in an index."""
    hnsw = params.index_type == "hnsw"
    return {
        "index_type": params.index_type,
        "hnsw_m": params.hnsw_m if hnsw else None,
        "hnsw_ef_construction": params.hnsw_ef_construction if hnsw else None,
        "bm25_k1": params.bm25_k1,
        "bm25_b": params.bm25_b,
        "synonyms": _short_hash(analyzer.synonyms.fingerprint),
        "stop_words": _short_hash(" ".join(sorted(STOP_WORDS))),
        "analyzer": ANALYZER_VERSION,
        "vectors": VECTOR_SCHEME,
    }


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class FaqIndex:
    """Everything the retriever needs to search one FAQ."""

    entries: tuple[FaqEntry, ...]
    vectors: faiss.Index
    vector_entry: npt.NDArray[np.int32]  # vector position -> entry position
    vector_kind: npt.NDArray[np.int8]
    vector_sub: npt.NDArray[np.int16]  # which alternate, for KIND_ALTERNATE
    centroid: npt.NDArray[np.float32]  # mean of all vectors: q . centroid = q's mean cosine to the FAQ
    words: Bm25
    readings: Bm25
    manifest: Manifest
    path: Path | None = None
    _category_vectors: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict, repr=False)
    # Mean and standard deviation of the FAQ's own questions' cosines to the centroid: the
    # scale on which a visitor's question is near the FAQ's subject or far from it (None: too
    # few questions to tell; computed from the vectors when not given, e.g. by an older build).
    own_background: tuple[float, float] | None = None
    # Mean and standard deviation of the cosines between two entries' question+answer vectors: the
    # scale on which two entries are about nearly the same thing (``alike``). Not kept with a build:
    # computed from the vectors when not given (a sample of ``PAIR_SAMPLE`` entries, ~30 ms at 100,000).
    pair_background: tuple[float, float] | None = None
    _passage_of: npt.NDArray[np.int64] = field(init=False, repr=False, compare=False)  # entry -> its passage vector

    def __post_init__(self) -> None:
        by_category: dict[str, list[int]] = {}
        categories = [e.category for e in self.entries]
        for pos, entry_pos in enumerate(self.vector_entry.tolist()):
            by_category.setdefault(categories[entry_pos], []).append(pos)
        self._category_vectors = {c: np.asarray(v, dtype=np.int64) for c, v in by_category.items()}
        if self.own_background is None:
            self.own_background = own_background(self.vectors, self.vector_kind, self.centroid)
        passages = np.flatnonzero(self.vector_kind == KIND_QUESTION_ANSWER)
        self._passage_of = np.full(len(self.entries), -1, dtype=np.int64)
        self._passage_of[self.vector_entry[passages]] = passages
        if self.pair_background is None:
            self.pair_background = pair_background(self.vectors, self._passage_of)

    def alike(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """How alike the given entries are, pairwise: the cosine of their question+answer vectors in standard
        deviations above the FAQ's mean pair (``pair_background``); 0 everywhere without a scale. Two
        entries far above it are about nearly the same thing (支払い方法 and クレジットカード)."""
        n = len(positions)
        if not self.pair_background or self.pair_background[1] <= 0 or n == 0:
            return np.zeros((n, n), dtype=np.float32)
        vectors = self.vectors.reconstruct_batch(self._passage_of[positions])
        mean, std = self.pair_background
        return np.asarray(((vectors @ vectors.T) - mean) / std, dtype=np.float32)

    def domain(self, vector: npt.NDArray[np.float32]) -> float:
        """How near a question is to the FAQ's subject: its mean cosine to the FAQ, in standard
        deviations of the FAQ's own questions' (about 0 for a typical FAQ question; chatter is far
        below). 0 for an FAQ with too few questions to have a scale (``MIN_DOMAIN_QUESTIONS``)."""
        if not self.own_background or self.own_background[1] <= 0:
            return 0.0
        mean, std = self.own_background
        return (float(vector @ self.centroid) - mean) / std

    @property
    def categories(self) -> list[str]:
        """Categories in FAQ order."""
        return categories_in_order(self.entries)

    def vectors_in(self, categories: Sequence[str]) -> npt.NDArray[np.int64]:
        """Vector positions of the entries in the given categories."""
        parts = [self._category_vectors[c] for c in categories if c in self._category_vectors]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def phrasing(self, vector_pos: int) -> tuple[str, str]:
        """(kind name, text) of the phrasing a vector was made from."""
        entry = self.entries[int(self.vector_entry[vector_pos])]
        kind = int(self.vector_kind[vector_pos])
        if kind == KIND_ALTERNATE:
            return KIND_NAMES[kind], entry.alternates[int(self.vector_sub[vector_pos])]
        if kind == KIND_QUESTION_ANSWER:
            return KIND_NAMES[kind], entry.answer
        return KIND_NAMES[kind], entry.question


def own_background(
    vectors: faiss.Index, kinds: npt.NDArray[np.int8], centroid: npt.NDArray[np.float32]
) -> tuple[float, float]:
    """Mean and standard deviation of the question and alternate vectors' cosines to the centroid,
    read in chunks (a large index is never copied whole); (0, 0) with too few questions for a scale.
    The deviation has a floor: a handful of near-identical questions must not make every visitor
    question look far off the subject."""
    questions = np.flatnonzero(kinds != KIND_QUESTION_ANSWER)
    if vectors.ntotal == 0 or len(questions) < MIN_DOMAIN_QUESTIONS:
        return 0.0, 0.0
    cosines = []
    for start in range(0, vectors.ntotal, DOMAIN_CHUNK):
        n = min(DOMAIN_CHUNK, vectors.ntotal - start)
        chunk = vectors.reconstruct_n(start, n)
        cosines.append(chunk[kinds[start : start + n] != KIND_QUESTION_ANSWER] @ centroid)
    values = np.concatenate(cosines)
    return float(values.mean()), max(float(values.std()), MIN_DOMAIN_SPREAD)


def pair_background(vectors: faiss.Index, passage_of: npt.NDArray[np.int64]) -> tuple[float, float]:
    """Mean and standard deviation of the cosines between two different entries' question+answer vectors
    (of ``PAIR_SAMPLE`` entries spread evenly over a larger FAQ); (0, 0) with too few entries for a scale."""
    n = len(passage_of)
    if n < MIN_PAIR_ENTRIES or (passage_of < 0).any():
        return 0.0, 0.0
    sample = passage_of[np.linspace(0, n - 1, min(n, PAIR_SAMPLE)).astype(np.int64)]
    chunk = vectors.reconstruct_batch(sample)
    cosines = (chunk @ chunk.T)[~np.eye(len(sample), dtype=bool)]
    return float(cosines.mean()), max(float(cosines.std()), MIN_PAIR_SPREAD)


Analyses = TextAnalyzer | Mapping[str, Analysis]  # an analyser, or what it made of each text


def _analysis(text: str, analyses: Analyses) -> Analysis:
    return analyses.analyze(text) if isinstance(analyses, TextAnalyzer) else analyses[text]


def lexical_words(entry: FaqEntry, analyses: Analyses) -> list[str]:
    """Content words of an entry's question, alternates and answer."""
    words: list[str] = []
    for text in (entry.question, *entry.alternates, entry.answer):
        words += _analysis(text, analyses).words
    return words


def lexical_readings(entry: FaqEntry, analyses: Analyses) -> list[str]:
    """Reading bigrams of an entry's question and alternates (answers are too long to help)."""
    grams: list[str] = []
    for text in (entry.question, *entry.alternates):
        grams += reading_bigrams(_analysis(text, analyses).reading)
    return grams


def _phrasings(entries: Sequence[FaqEntry], analyzer: TextAnalyzer) -> list[tuple[int, int, int, str]]:
    """(entry position, kind, alternate number, prepared text) for every vector of every entry."""
    out: list[tuple[int, int, int, str]] = []
    for pos, e in enumerate(entries):
        out.append((pos, KIND_QUESTION, 0, analyzer.prepare(e.question)))
        out += [(pos, KIND_ALTERNATE, i, analyzer.prepare(alt)) for i, alt in enumerate(e.alternates)]
        out.append((pos, KIND_QUESTION_ANSWER, 0, analyzer.prepare(e.question + "\n" + e.answer)))
    return out


def _embed(
    embedder: Embedder,
    phrasings: Sequence[tuple[int, int, int, str]],
    cache: BuildCache | None,
    progress: Progress,
) -> npt.NDArray[np.float32]:
    """Vectors of every phrasing, in order: questions and alternates as queries, question+answer as passages.

    Texts the cache knows are not encoded again; the rest are encoded in chunks, shortest
    first (the encoder pads a batch to its longest text), reporting progress per chunk.
    """
    out = np.zeros((len(phrasings), embedder.dim), dtype=np.float32)
    kinds = ["passage" if kind == KIND_QUESTION_ANSWER else "query" for _, kind, _, _ in phrasings]
    keys = [vector_key(embedder.model_id, k, p[3]) for k, p in zip(kinds, phrasings, strict=True)]
    known = cache.vectors(keys) if cache is not None else {}
    todo: dict[bytes, tuple[str, str]] = {}
    for i, key in enumerate(keys):
        if key in known:
            out[i] = known[key]
        else:
            todo.setdefault(key, (kinds[i], phrasings[i][3]))
    fresh: dict[bytes, npt.NDArray[np.float32]] = {}
    order = sorted(todo, key=lambda k: (todo[k][0], len(todo[k][1])))
    step = CHUNK
    for start in range(0, len(order), step):
        progress(Step("文章を検索用の数値に変換しています", start, len(order)))
        chunk = order[start : start + step]
        for kind, encode in (("query", embedder.encode_queries), ("passage", embedder.encode_passages)):
            part = [k for k in chunk if todo[k][0] == kind]
            if part:
                fresh.update(zip(part, encode([todo[k][1] for k in part]), strict=True))
    progress(Step("文章を検索用の数値に変換しています", len(order), len(order)))
    for i, key in enumerate(keys):
        if key in fresh:
            out[i] = fresh[key]
    if cache is not None and fresh:
        cache.put_vectors(fresh)
    return out


def embed_queries(embedder: Embedder, texts: Sequence[str], cache: BuildCache | None) -> npt.NDArray[np.float32]:
    """Vectors of texts embedded as questions are (prepared already), those the cache knows not encoded again."""
    return _embed(embedder, [(0, KIND_QUESTION, 0, t) for t in texts], cache, quiet)


def _analyses(
    texts: Sequence[str], analyzer: TextAnalyzer, cache: BuildCache | None, progress: Progress
) -> dict[str, Analysis]:
    """janome's analysis of each distinct text, from the cache where it has one."""
    distinct = list(dict.fromkeys(texts))
    fingerprint = analyzer.synonyms.fingerprint
    keys = {t: analysis_key(fingerprint, t) for t in distinct}
    known = cache.analyses(list(keys.values())) if cache is not None else {}
    out: dict[str, Analysis] = {}
    fresh: dict[bytes, Analysis] = {}
    missing = [t for t in distinct if keys[t] not in known]
    for n, text in enumerate(missing):
        if n % 200 == 0:
            progress(Step("語を解析しています", n, len(missing)))
        fresh[keys[text]] = analyzer.analyze(text)
    for text in distinct:
        out[text] = known.get(keys[text]) or fresh[keys[text]]
    if cache is not None and fresh:
        cache.put_analyses(fresh)
    return out


def new_vector_index(dim: int, params: IndexParams) -> faiss.Index:
    """An empty FAISS index for normalised vectors (inner product = cosine)."""
    if params.index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params.hnsw_ef_construction
        return index
    return faiss.IndexFlatIP(dim)


def build(
    faq: Faq,
    embedder: Embedder,
    analyzer: TextAnalyzer,
    params: IndexParams,
    progress: Progress | None = None,
    cache: BuildCache | None = None,
) -> FaqIndex:
    """Embed and index every entry of a validated FAQ (in memory); ``cache`` spares texts seen before."""
    started = time.perf_counter()
    say = progress or quiet
    entries = faq.entries
    phrasings = _phrasings(entries, analyzer)
    vectors = _embed(embedder, phrasings, cache, say)
    index = new_vector_index(embedder.dim, params)
    say(Step("検索の準備をしています"))
    index.add(vectors)
    texts = [t for e in entries for t in (e.question, *e.alternates, e.answer)]
    analysed = _analyses(texts, analyzer, cache, say)
    words = Bm25.build([lexical_words(e, analysed) for e in entries], params.bm25_k1, params.bm25_b)
    readings = Bm25.build([lexical_readings(e, analysed) for e in entries], params.bm25_k1, params.bm25_b)
    arr = np.asarray([p[:3] for p in phrasings], dtype=np.int64).reshape(-1, 3)
    manifest = Manifest(
        model_id=embedder.model_id,
        tsv_sha256=faq.sha256,
        settings=index_settings(params, analyzer),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3),
        counts={"entries": len(entries), "vectors": len(phrasings), "categories": len(faq.categories)},
        source=faq.source,
    )
    return FaqIndex(
        entries=entries,
        vectors=index,
        vector_entry=arr[:, 0].astype(np.int32),
        vector_kind=arr[:, 1].astype(np.int8),
        vector_sub=arr[:, 2].astype(np.int16),
        centroid=vectors.mean(axis=0).astype(np.float32) if len(vectors) else np.zeros(embedder.dim, np.float32),
        words=words,
        readings=readings,
        manifest=manifest,
    )
