"""An encoder that remembers: each distinct text is embedded once (queries and passages apart)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from faq_bot.model.embedder import Embedder, Vectors


class CachedEmbedder:
    """Wraps an ``Embedder``; texts seen before are not encoded again (in memory, unbounded)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._queries: dict[str, Vectors] = {}
        self._passages: dict[str, Vectors] = {}
        self._lock = threading.Lock()
        self.encoded = 0  # texts actually encoded, for tests and benchmarks

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def _encode(self, texts: Sequence[str], memo: dict[str, Vectors], passages: bool) -> Vectors:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in memo))
        if missing:
            fresh = self.embedder.encode_passages(missing) if passages else self.embedder.encode_queries(missing)
            with self._lock:
                memo.update(zip(missing, fresh, strict=True))
                self.encoded += len(missing)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.stack([memo[t] for t in texts]).astype(np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self._queries, passages=False)

    def remember_queries(self, vectors: dict[str, Vectors]) -> None:
        """Take these texts' query vectors as known (e.g. from an index that holds them): not encoded again."""
        with self._lock:
            self._queries.update(vectors)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        return self._encode(texts, self._passages, passages=True)
