"""The dense side of search: FAISS candidates, exact re-scoring, and cosines per kind of phrasing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np
import numpy.typing as npt

from faq_bot.retrieval.index import KIND_QUESTION_ANSWER, FaqIndex
from faq_bot.retrieval.params import SearchParams

Candidates = dict[int, tuple[float, int]]  # entry position -> (best cosine, its vector position)


@dataclass(frozen=True)
class KindCosines:
    """Best cosine of each entry over all its vectors, its question-like vectors and its passage."""

    best: npt.NDArray[np.float32]
    question: npt.NDArray[np.float32]  # the question and the alternates (query-to-query)
    passage: npt.NDArray[np.float32]  # question + answer


class DenseSearch:
    """Searches the vectors of one index; thread-safe (FAISS searches and numpy reads only)."""

    def __init__(self, index: FaqIndex, params: SearchParams) -> None:
        self.index = index
        self.params = params
        n_entries = len(index.entries)
        order = np.argsort(index.vector_entry, kind="stable")
        bounds = np.searchsorted(index.vector_entry[order], np.arange(n_entries + 1))
        self._vectors_by_entry = order.astype(np.int64)  # vector ids grouped by entry (CSR with _bounds)
        self._bounds = bounds.astype(np.int64)
        self.max_per_entry = int(np.diff(bounds).max()) if n_entries else 1

    def candidates(
        self, vector: npt.NDArray[np.float32], categories: Sequence[str] | None, k: int
    ) -> tuple[Candidates, float | None]:
        """Best (cosine, vector position) of the entries the dense search reaches, and its cutoff.

        Fetching n x (most vectors of one entry) vectors always reaches the best vector
        of each of the top n entries, and an entry reached has its best vector among
        those fetched. The cutoff is the lowest cosine fetched (None: every vector was).
        """
        vi = self.index.vectors
        if categories is not None:
            ids = self.index.vectors_in(categories)
            total = len(ids)
            if total == 0:
                return {}, None
            params = self._search_params(faiss.IDSelectorBatch(ids))
        else:
            total = vi.ntotal
            params = self._search_params(None)
        kv = min(total, max(self.params.candidates, k) * self.max_per_entry)
        scores, ids_found = vi.search(vector.reshape(1, -1), kv, params=params)
        found = ids_found[0] >= 0
        vids, cosines = ids_found[0][found], scores[0][found]
        entries = self.index.vector_entry[vids]
        # Each entry's first vector in the (best first) results is its best: kept in that order, without a
        # Python step per vector fetched (a 47-entry FAQ fetches all its 272).
        first = np.sort(np.unique(entries, return_index=True)[1])
        best: Candidates = dict(
            zip(entries[first].tolist(), zip(cosines[first].tolist(), vids[first].tolist(), strict=True), strict=True)
        )
        exhaustive = kv >= total and isinstance(vi, faiss.IndexFlat)
        return best, None if exhaustive else float(scores[0][kv - 1])

    def _search_params(self, selector: faiss.IDSelector | None) -> faiss.SearchParameters:
        if self.is_hnsw:
            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # missing from faiss's stubs
            params.efSearch = self.params.hnsw_ef_search
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        result: faiss.SearchParameters = params
        return result

    @property
    def is_hnsw(self) -> bool:
        """True for an approximate (HNSW) index."""
        return isinstance(self.index.vectors, faiss.IndexHNSW)

    def _vectors_of(self, positions: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """All vector ids of these entries in entry order, and where each entry's group starts."""
        starts, ends = self._bounds[positions], self._bounds[positions + 1]
        lengths = ends - starts
        group_starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        # Without a Python loop over entries: each id is its group's start plus its offset in the group.
        offsets = np.repeat(starts - group_starts, lengths)
        return self._vectors_by_entry[np.arange(int(lengths.sum())) + offsets], group_starts

    def exact(self, vector: npt.NDArray[np.float32], positions: npt.NDArray[np.int64]) -> Candidates:
        """Best (cosine, vector position) of each given entry, computed over all its vectors at once."""
        if len(positions) == 0:
            return {}
        ids, group_starts = self._vectors_of(positions)
        sims = self.index.vectors.reconstruct_batch(ids) @ vector
        ends = np.append(group_starts[1:], len(ids))
        out = {}
        for k, pos in enumerate(positions.tolist()):
            seg = sims[group_starts[k] : ends[k]]
            best = int(np.argmax(seg))
            out[pos] = (float(seg[best]), int(ids[group_starts[k] + best]))
        return out

    def kind_cosines(self, vectors: npt.NDArray[np.float32], positions: npt.NDArray[np.int64]) -> list[KindCosines]:
        """Per query vector (row of ``vectors``), the best cosines of the given entries by kind of phrasing."""
        if len(positions) == 0:
            empty = np.zeros(0, dtype=np.float32)
            return [KindCosines(empty, empty, empty) for _ in range(len(vectors))]
        ids, group_starts = self._vectors_of(positions)
        sims = self.index.vectors.reconstruct_batch(ids) @ vectors.T  # (vectors of entries) x (views)
        is_passage = self.index.vector_kind[ids] == KIND_QUESTION_ANSWER
        out = []
        for view in range(len(vectors)):
            col = sims[:, view]
            best = np.maximum.reduceat(col, group_starts)
            question = np.maximum.reduceat(np.where(is_passage, -1.0, col), group_starts)
            passage = np.maximum.reduceat(np.where(is_passage, col, -1.0), group_starts)
            out.append(KindCosines(best.astype(np.float32), question.astype(np.float32), passage.astype(np.float32)))
        return out
