"""Hybrid search over one ``FaqIndex``: dense (FAISS) + lexical (BM25), exact within categories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np
import numpy.typing as npt

from faq_bot.content.faq import FaqEntry
from faq_bot.errors import UnknownCategoryError
from faq_bot.model.embedder import Embedder
from faq_bot.retrieval.index import FaqIndex
from faq_bot.retrieval.params import SearchParams
from faq_bot.text.analyzer import Analysis, TextAnalyzer
from faq_bot.text.kana import LazyRespeller, needs_respelling
from faq_bot.text.normalize import is_meaningful, reading_bigrams

#: How much the reading-bigram score counts next to the word score (it is noisier).
READING_WEIGHT = 0.85


@dataclass(frozen=True)
class Hit:
    """One FAQ entry found for a query, with the scores that ranked it."""

    entry: FaqEntry
    score: float  # the hybrid score on the fixed 0..1 scale the thresholds use
    dense: float  # best cosine similarity among the entry's vectors
    lexical: float  # 0..1 share of the query's terms found in the entry
    matched: str  # which phrasing gave the best cosine: question, alternate or answer
    matched_text: str


@dataclass(frozen=True)
class Search:
    """The outcome of one search: what the query became and the hits, best first."""

    query: str
    analysis: Analysis
    hits: tuple[Hit, ...]


class Retriever:
    """Searches one index; thread-safe (FAISS searches and numpy reads only)."""

    def __init__(self, index: FaqIndex, embedder: Embedder, analyzer: TextAnalyzer, params: SearchParams) -> None:
        self.index = index
        self.embedder = embedder
        self.analyzer = analyzer
        self.params = params
        n_entries = len(index.entries)
        order = np.argsort(index.vector_entry, kind="stable")
        bounds = np.searchsorted(index.vector_entry[order], np.arange(n_entries + 1))
        self._vectors_by_entry = order.astype(np.int64)  # vector ids grouped by entry (CSR with _bounds)
        self._bounds = bounds.astype(np.int64)
        self._max_per_entry = int(np.diff(bounds).max()) if n_entries else 1
        self._category_of = np.array([e.category for e in index.entries], dtype=object)
        self._respeller = LazyRespeller(index.words.document_frequencies(), analyzer)

    def analyze(self, query: str) -> Analysis:
        """What the query becomes for both sides; hiragana-only questions respelled in kanji first."""
        if needs_respelling(query):
            return self.analyzer.analyze(self._respeller.get().respell(self.analyzer.prepare(query)))
        return self.analyzer.analyze(query)

    def dense_to_unit(self, relative: npt.NDArray[np.float32] | float) -> npt.NDArray[np.float32]:
        """Map relative cosine onto 0..1 with the configured floor and ceiling."""
        s = self.params
        rel = np.asarray(relative, dtype=np.float32)
        return np.asarray(np.clip((rel - s.dense_floor) / (s.dense_ceiling - s.dense_floor), 0, 1), dtype=np.float32)

    def _allowed(self, categories: Sequence[str] | None) -> npt.NDArray[np.bool_] | None:
        if not categories:
            return None
        known = self.index.categories
        unknown = [c for c in categories if c not in known]
        if unknown:
            raise UnknownCategoryError(unknown, known)
        return np.isin(self._category_of, list(categories))

    def search(
        self,
        query: str,
        categories: Sequence[str] | None = None,
        k: int = 5,
        query_vector: npt.NDArray[np.float32] | None = None,
    ) -> Search:
        """The best ``k`` entries for the query (restricted to ``categories`` if given)."""
        analysis = self.analyze(query)
        allowed = self._allowed(categories)
        if not is_meaningful(query) or not self.index.entries:
            return Search(query, analysis, ())
        if query_vector is None:
            query_vector = self.embedder.encode_queries([analysis.normalized])[0]
        lexical = self.lexical_scores(analysis)
        if allowed is not None:
            lexical = np.where(allowed, lexical, -np.inf).astype(np.float32)
        dense, cutoff = self._dense_candidates(query_vector, categories if allowed is not None else None, k)
        # Some questions are close to everything (greetings, generic wording): judge a
        # cosine against the query's mean cosine to the whole FAQ, not in absolute terms.
        background = float(query_vector @ self.index.centroid)
        w = self.params.dense_weight

        def hybrid(cos: npt.NDArray[np.float32], lex: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
            return (w * self.dense_to_unit(cos - background) + (1 - w) * np.maximum(lex, 0)).astype(np.float32)

        if cutoff is not None:
            # Entries the dense search did not reach have every cosine <= cutoff, so
            # hybrid(cutoff, lexical) bounds their score: score exactly those that could
            # still enter the top k (threshold algorithm), the rest cannot.
            found = np.fromiter(dense, dtype=np.int64, count=len(dense))
            scores = hybrid(np.array([dense[p][0] for p in found.tolist()], dtype=np.float32), lexical[found])
            kth = np.sort(scores)[-k] if len(scores) >= k else -np.inf
            bound = hybrid(np.full(len(lexical), cutoff, dtype=np.float32), lexical)
            bound[found] = -np.inf
            if allowed is not None:
                bound[~allowed] = -np.inf
            need = np.flatnonzero(bound >= kth)
            cap = self.params.hnsw_rescore_cap
            if isinstance(self.index.vectors, faiss.IndexHNSW) and len(need) > cap:
                # HNSW is approximate anyway: on very large FAQs re-score only the lexically
                # strongest of those entries, not all of them (recall is measured in the bench).
                need = need[np.argpartition(-lexical[need], cap)[:cap]]
            dense.update(self._dense_exact(query_vector, need))
        if not dense:
            return Search(query, analysis, ())
        positions = np.fromiter(dense, dtype=np.int64, count=len(dense))
        cosines = np.array([dense[p][0] for p in positions.tolist()], dtype=np.float32)
        lex = np.maximum(lexical[positions], 0)
        combined = hybrid(cosines, lex)
        order = np.lexsort((positions, -combined))[:k]
        hits = []
        for i in order.tolist():
            pos = int(positions[i])
            matched, text = self.index.phrasing(dense[pos][1])
            hits.append(
                Hit(self.index.entries[pos], float(combined[i]), float(cosines[i]), float(lex[i]), matched, text)
            )
        return Search(query, analysis, tuple(hits))

    def lexical_scores(self, analysis: Analysis) -> npt.NDArray[np.float32]:
        """Lexical score of every entry: the better of content words and reading bigrams."""
        words = self.index.words.scores(analysis.words)
        readings = self.index.readings.scores(reading_bigrams(analysis.reading))
        return np.asarray(np.maximum(words, READING_WEIGHT * readings), dtype=np.float32)

    def _dense_candidates(
        self, vector: npt.NDArray[np.float32], categories: Sequence[str] | None, k: int
    ) -> tuple[dict[int, tuple[float, int]], float | None]:
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
            params = self._params(faiss.IDSelectorBatch(ids))
        else:
            total = vi.ntotal
            params = self._params(None)
        kv = min(total, max(self.params.candidates, k) * self._max_per_entry)
        scores, ids_found = vi.search(vector.reshape(1, -1), kv, params=params)
        best: dict[int, tuple[float, int]] = {}
        for score, vid in zip(scores[0].tolist(), ids_found[0].tolist(), strict=True):
            if vid >= 0:
                best.setdefault(int(self.index.vector_entry[vid]), (score, vid))
        exhaustive = kv >= total and isinstance(vi, faiss.IndexFlat)
        return best, None if exhaustive else float(scores[0][kv - 1])

    def _params(self, selector: faiss.IDSelector | None) -> faiss.SearchParameters:
        if isinstance(self.index.vectors, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # missing from faiss's stubs
            params.efSearch = self.params.hnsw_ef_search
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        result: faiss.SearchParameters = params
        return result

    def _dense_exact(
        self, vector: npt.NDArray[np.float32], positions: npt.NDArray[np.int64]
    ) -> dict[int, tuple[float, int]]:
        """Best (cosine, vector position) of each given entry, computed over all its vectors at once."""
        if len(positions) == 0:
            return {}
        starts, ends = self._bounds[positions], self._bounds[positions + 1]
        lengths = ends - starts
        # All vector ids of these entries, in entry order, without a Python loop over entries.
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        ids = self._vectors_by_entry[np.arange(int(lengths.sum())) + offsets]
        sims = self.index.vectors.reconstruct_batch(ids) @ vector
        group_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        best = np.maximum.reduceat(sims, group_starts)
        out = {}
        for k, pos in enumerate(positions.tolist()):
            seg = sims[group_starts[k] : group_starts[k] + lengths[k]]
            out[pos] = (float(best[k]), int(ids[group_starts[k] + int(np.argmax(seg))]))
        return out
