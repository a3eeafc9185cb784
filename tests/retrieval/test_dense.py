from __future__ import annotations

from dataclasses import replace

import faiss
import numpy as np

from faq_bot.retrieval.dense import Candidates, DenseSearch
from faq_bot.retrieval.engine import Engine


def one_at_a_time(search: DenseSearch, vector: np.ndarray, categories: list[str] | None, k: int) -> Candidates:
    """The candidates by the plain definition: each entry's first (best) vector among those FAISS returns."""
    index = search.index
    ids = index.vectors_in(categories) if categories else None
    total = index.vectors.ntotal if ids is None else len(ids)
    kv = min(total, max(search.params.candidates, k) * search.max_per_entry)
    params = faiss.SearchParameters()
    if ids is not None:
        params.sel = faiss.IDSelectorBatch(ids)
    scores, found = index.vectors.search(vector.reshape(1, -1), kv, params=params)
    best: Candidates = {}
    for score, vid in zip(scores[0].tolist(), found[0].tolist(), strict=True):
        if vid >= 0:
            best.setdefault(int(index.vector_entry[vid]), (score, vid))
    return best


def test_each_entry_comes_with_its_best_vector_in_the_order_found(fake_engine: Engine) -> None:
    retriever = fake_engine.current.retriever
    index = retriever.index
    assert retriever.dense.max_per_entry > 1  # entries with alternates: several vectors of one entry are found
    category = index.entries[0].category
    rng = np.random.default_rng(11)
    # All vectors fetched (the default), and only a few (fewer candidates than entries: a partial fetch).
    for search in (retriever.dense, DenseSearch(index, replace(retriever.params, candidates=1))):
        for categories in (None, [category]):
            for k in (1, 3):
                for _ in range(20):
                    vector = rng.standard_normal(index.vectors.d).astype(np.float32)
                    vector /= np.linalg.norm(vector)
                    got, _ = search.candidates(vector, categories, k)
                    # The same, in the same order (ties: the first found).
                    assert list(got.items()) == list(one_at_a_time(search, vector, categories, k).items())
    partial, cutoff = DenseSearch(index, replace(retriever.params, candidates=1)).candidates(vector, None, 1)
    assert cutoff is not None and 0 < len(partial) < len(index.entries)
