from __future__ import annotations

import numpy as np

from faq_bot.retrieval.dense import Candidates, DenseSearch
from faq_bot.retrieval.engine import Engine


def one_at_a_time(search: DenseSearch, vector: np.ndarray, k: int) -> Candidates:
    """The candidates by the plain definition: each entry's first (best) vector among those FAISS returns."""
    index = search.index
    kv = min(index.vectors.ntotal, max(search.params.candidates, k) * search.max_per_entry)
    scores, ids = index.vectors.search(vector.reshape(1, -1), kv)
    best: Candidates = {}
    for score, vid in zip(scores[0].tolist(), ids[0].tolist(), strict=True):
        if vid >= 0:
            best.setdefault(int(index.vector_entry[vid]), (score, vid))
    return best


def test_each_entry_comes_with_its_best_vector_in_the_order_found(fake_engine: Engine) -> None:
    retriever = fake_engine.current.retriever
    assert retriever.dense.max_per_entry > 1  # entries with alternates: several vectors of one entry are found
    rng = np.random.default_rng(11)
    for k in (1, 3, 10):
        for _ in range(20):
            vector = rng.standard_normal(retriever.index.vectors.d).astype(np.float32)
            vector /= np.linalg.norm(vector)
            got, _ = retriever.dense.candidates(vector, None, k)
            expected = one_at_a_time(retriever.dense, vector, k)
            assert list(got.items()) == list(expected.items())  # the same, in the same order (ties: the first found)
