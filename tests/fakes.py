"""Test doubles: a deterministic embedder that needs no model, and a decision model with round weights."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from faq_bot.model.embedder import Vectors
from faq_bot.retrieval.confidence import ConfidenceModel, DecisionModel
from faq_bot.text.normalize import normalize


class FakeEmbedder:
    """Hashes character bigrams into a small vector: texts sharing bigrams are similar."""

    def __init__(self, dim: int = 64) -> None:
        self._dim = dim
        self.calls = 0
        self.encoded: list[str] = []  # every text encoded, in order (queries and passages)

    @property
    def model_id(self) -> str:
        return f"fake-bigram-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self._dim, dtype=np.float32)
        t = normalize(text)
        for i in range(max(len(t) - 1, 1)):
            gram = t[i : i + 2]
            h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(), "little")
            v[h % self._dim] += 1.0
        v[0] += 0.1  # no zero vectors
        return v / np.linalg.norm(v)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        self.encoded += texts
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        return self.encode_queries(texts)


#: A decision model for unit tests: the probability grows with the share of the question's words
#: an entry contains and with its lead over the other candidates (p = sigmoid(4 coverage + 4 margin - 3.5));
#: the topic probability with the best one's (sigmoid(8 best - 2)).
FAKE_DECISION_MODEL = DecisionModel(
    ConfidenceModel(("coverage", "margin"), (0.0, 0.0), (1.0, 1.0), (4.0, 4.0), -3.5, "tests"),
    ConfidenceModel(("best",), (0.0,), (1.0,), (8.0,), -2.0, "tests"),
)
