"""The search index of one FAQ in memory: FAISS vectors, BM25 statistics, entries and a manifest.

``build`` makes one from a validated FAQ; ``faq_bot.retrieval.store`` keeps them on disk.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from faq_bot.content.faq import Faq, FaqEntry, categories_in_order
from faq_bot.model.embedder import Embedder
from faq_bot.retrieval.lexical import Bm25
from faq_bot.retrieval.params import IndexParams
from faq_bot.text.analyzer import ANALYZER_VERSION, STOP_WORDS, TextAnalyzer
from faq_bot.text.normalize import reading_bigrams

FORMAT_VERSION = 1
#: What each vector of an entry was made from.
KIND_QUESTION, KIND_ALTERNATE, KIND_QUESTION_ANSWER = 0, 1, 2
KIND_NAMES = {KIND_QUESTION: "question", KIND_ALTERNATE: "alternate", KIND_QUESTION_ANSWER: "answer"}
#: Questions and alternates are embedded like visitor questions (a symmetric, question-to-question
#: match); question+answer as a passage. Changing this changes every vector.
VECTOR_SCHEME = "question,alternates:query;question+answer:passage"


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

    def __post_init__(self) -> None:
        by_category: dict[str, list[int]] = {}
        categories = [e.category for e in self.entries]
        for pos, entry_pos in enumerate(self.vector_entry.tolist()):
            by_category.setdefault(categories[entry_pos], []).append(pos)
        self._category_vectors = {c: np.asarray(v, dtype=np.int64) for c, v in by_category.items()}

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


def lexical_words(entry: FaqEntry, analyzer: TextAnalyzer) -> list[str]:
    """Content words of an entry's question, alternates and answer."""
    words: list[str] = []
    for text in (entry.question, *entry.alternates, entry.answer):
        words += analyzer.analyze(text).words
    return words


def lexical_readings(entry: FaqEntry, analyzer: TextAnalyzer) -> list[str]:
    """Reading bigrams of an entry's question and alternates (answers are too long to help)."""
    grams: list[str] = []
    for text in (entry.question, *entry.alternates):
        grams += reading_bigrams(analyzer.analyze(text).reading)
    return grams


def _phrasings(entries: Sequence[FaqEntry], analyzer: TextAnalyzer) -> list[tuple[int, int, int, str]]:
    """(entry position, kind, alternate number, prepared text) for every vector of every entry."""
    out: list[tuple[int, int, int, str]] = []
    for pos, e in enumerate(entries):
        out.append((pos, KIND_QUESTION, 0, analyzer.prepare(e.question)))
        out += [(pos, KIND_ALTERNATE, i, analyzer.prepare(alt)) for i, alt in enumerate(e.alternates)]
        out.append((pos, KIND_QUESTION_ANSWER, 0, analyzer.prepare(e.question + "\n" + e.answer)))
    return out


def _embed(embedder: Embedder, batch: Sequence[tuple[int, int, int, str]]) -> npt.NDArray[np.float32]:
    """Vectors for a batch of phrasings, in order: questions as queries, the rest as passages."""
    out = np.zeros((len(batch), embedder.dim), dtype=np.float32)
    as_query = np.array([kind != KIND_QUESTION_ANSWER for _, kind, _, _ in batch])
    for mask, encode in ((as_query, embedder.encode_queries), (~as_query, embedder.encode_passages)):
        if mask.any():
            out[mask] = encode([batch[i][3] for i in np.flatnonzero(mask).tolist()])
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
    progress: Callable[[str], None] | None = None,
) -> FaqIndex:
    """Embed and index every entry of a validated FAQ (in memory)."""
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    entries = faq.entries
    phrasings = _phrasings(entries, analyzer)
    say(f"{len(entries)}件のFAQから{len(phrasings)}本のベクトルを作成します…")
    index = new_vector_index(embedder.dim, params)
    total = np.zeros(embedder.dim, dtype=np.float64)
    step = max(params.encode_batch_size * 8, 256)
    for start in range(0, len(phrasings), step):
        vectors = _embed(embedder, phrasings[start : start + step])
        index.add(vectors)
        total += vectors.sum(axis=0, dtype=np.float64)
        say(f"  ベクトル {min(start + step, len(phrasings))}/{len(phrasings)}")
    say("BM25の統計を作成します…")
    words = Bm25.build([lexical_words(e, analyzer) for e in entries], params.bm25_k1, params.bm25_b)
    readings = Bm25.build([lexical_readings(e, analyzer) for e in entries], params.bm25_k1, params.bm25_b)
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
        centroid=(total / max(len(phrasings), 1)).astype(np.float32),
        words=words,
        readings=readings,
        manifest=manifest,
    )
