"""Scale: synthetic FAQs of 1k-100k entries, flat vs HNSW (build, load, size, search, recall)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import synthetic
from benchmarks.harness import rss_mb, time_calls
from faq_bot.config import Settings
from faq_bot.model.embedder import Vectors


def _search(r: Any, texts: Sequence[str], vectors: Vectors, i: int) -> object:
    return r.search(texts[i % len(texts)], query_vectors=vectors[i % len(texts)].reshape(1, -1), k=10)


class MixtureEmbedder:
    """Realistic synthetic vectors for scale runs: each text is a noisy mix of two real mE5 vectors.

    Encoding 100k long FAQ entries with the real model takes hours on two cores; search,
    memory and recall depend on the vectors' distribution, which this keeps clustered
    like real embeddings (base vectors are real encodings of varied FAQ questions).
    """

    def __init__(self, base: Vectors, noise: float = 0.03) -> None:
        self.base = base
        self.noise = noise

    @property
    def model_id(self) -> str:
        return "mixture-of-real-mE5-vectors"

    @property
    def dim(self) -> int:
        return int(self.base.shape[1])

    def _one(self, text: str) -> Vectors:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        rng = np.random.default_rng(seed)
        i, j = rng.integers(0, len(self.base), 2)
        w = rng.uniform(0.6, 0.9)
        v = w * self.base[i] + (1 - w) * self.base[j] + rng.normal(0, self.noise, self.dim)
        return np.asarray(v / np.linalg.norm(v), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        return self.encode_queries(texts)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def measure_scale(settings: Settings, sizes: Sequence[int], base: Vectors, queries: int = 200) -> list[dict[str, Any]]:
    """Build, save, load and search synthetic FAQs: flat vs HNSW, recall@10 of HNSW against flat."""
    from faq_bot.content import faq as faq_table
    from faq_bot.retrieval import store
    from faq_bot.retrieval.index import build
    from faq_bot.retrieval.retriever import Retriever
    from faq_bot.text.analyzer import TextAnalyzer
    from faq_bot.text.synonyms import SynonymTable

    emb = MixtureEmbedder(base)
    analyzer = TextAnalyzer(SynonymTable.load(settings.synonyms_path))
    rows = []
    for n in sizes:
        items = synthetic.entries(n, categories=20, answer_sentences=3)
        faq = faq_table.Faq(tuple(items), f"synthetic-{n}", "UTF-8", hashlib.sha256(str(n).encode()).hexdigest())
        qtexts = [synthetic.paraphrase(items[(i * 7919) % n]) for i in range(queries)]
        qvecs = emb.encode_queries(qtexts)
        result: dict[str, Any] = {"entries": n}
        ids: dict[str, list[list[str]]] = {}
        for kind in ("flat", "hnsw"):
            params = settings.model_copy(update={"index_type": kind, "candidates": 50}).retrieval_params()
            rss0 = rss_mb(os.getpid())
            t = time.perf_counter()
            built = build(faq, emb, analyzer, params.index)
            build_s = time.perf_counter() - t
            tmp = Path(tempfile.mkdtemp(prefix="faq-bot-scale-"))
            try:
                folder = store.save(built, tmp)
                size = _folder_bytes(folder)
                t = time.perf_counter()
                loaded = store.load(folder)
                load_s = time.perf_counter() - t
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            r = Retriever(loaded, emb, analyzer, params.search)
            timing = time_calls(
                f"search {kind}",
                partial(_search, r, qtexts, qvecs),
                queries,
            )
            ids[kind] = [
                [h.entry.id for h in r.search(q, query_vectors=v.reshape(1, -1), k=10).hits]
                for q, v in zip(qtexts, qvecs, strict=True)
            ]
            result[kind] = {
                "build_s": round(build_s, 2),
                "load_s": round(load_s, 3),
                "index_mb": round(size / 1e6, 1),
                "rss_growth_mb": round(rss_mb(os.getpid()) - rss0, 1),
                "search_ms_p50": round(timing.p50, 3),
                "search_ms_p95": round(timing.p95, 3),
            }
            del built, loaded, r
        result["hnsw_recall_at_10"] = round(
            float(
                np.mean([len(set(a) & set(b)) / max(len(a), 1) for a, b in zip(ids["flat"], ids["hnsw"], strict=True)])
            ),
            4,
        )
        rows.append(result)
    return rows
