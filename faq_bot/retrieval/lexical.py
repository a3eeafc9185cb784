"""BM25 over tokens, scored on a fixed 0..1 scale so one threshold holds across FAQs.

A plain BM25 score grows with the query's length and the corpus's IDF values,
so it means something else after every reload. Here a document's score is the
IDF-weighted share of the query's terms it contains (each term's BM25
saturation capped at 1): 1.0 means every query term is present, 0.0 none.
Query terms the FAQ never uses weigh as much as the rarest known term, so a
question about something the FAQ does not cover scores low.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

Scores = npt.NDArray[np.float32]


# A word in more than this share of the documents says nothing about which topic a question is on.
TELLING_SHARE = 0.2


@dataclass(frozen=True)
class Bm25:
    """Per-document capped BM25 term weights (documents x vocabulary) and IDF values."""

    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float32]
    weights: sparse.csc_matrix  # saturation in (0, 1], documents x terms
    unknown_idf: float

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.5) -> Bm25:
        """Index tokenised documents."""
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[float] = []
        lengths = np.array([max(len(d), 1) for d in documents], dtype=np.float32)
        for row, doc in enumerate(documents):
            for term, tf in Counter(doc).items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                tfs.append(tf)
        n_docs = len(documents)
        tf_arr = np.asarray(tfs, dtype=np.float32)
        row_arr = np.asarray(rows, dtype=np.int64)
        norm = k1 * (1.0 - b + b * lengths[row_arr] / float(lengths.mean() if n_docs else 1.0))
        saturation = np.minimum(tf_arr * (k1 + 1.0) / (tf_arr + norm), 1.0)
        weights = sparse.csc_matrix((saturation, (row_arr, cols)), shape=(n_docs, len(vocabulary)), dtype=np.float32)
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(vocabulary)).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        unknown = float(np.log1p((n_docs + 0.5) / 0.5))
        return cls(vocabulary, idf, weights, unknown)

    @property
    def n_documents(self) -> int:
        """How many documents are indexed."""
        return int(self.weights.shape[0])

    def document_frequencies(self) -> list[tuple[str, int]]:
        """Every term with the number of documents it occurs in."""
        df = np.diff(self.weights.indptr)
        return [(term, int(df[col])) for term, col in self.vocabulary.items()]

    def documents_with(self, term: str) -> npt.NDArray[np.int32]:
        """The documents a term occurs in (empty for a term the FAQ never uses)."""
        col = self.vocabulary.get(term)
        if col is None:
            return np.zeros(0, dtype=np.int32)
        indices: npt.NDArray[np.int32] = self.weights.indices[self.weights.indptr[col] : self.weights.indptr[col + 1]]
        return indices

    def together(self, term: str, others: Iterable[str], evidence: bool = False) -> bool:
        """Whether ``term`` shares a document with at least half of those of ``others`` that tell a
        topic (a word in more than ``TELLING_SHARE`` of the documents does not: 申請, 確認). When none
        of the others does, True (nothing speaks against the term), or False if ``evidence`` is asked for."""
        most = TELLING_SHARE * self.n_documents
        telling = [d for o in set(others) - {term} for d in [self.documents_with(o)] if 0 < len(d) <= most]
        if not telling:
            return not evidence
        mine = self.documents_with(term)
        shared = sum(bool(np.intersect1d(mine, d).size) for d in telling)
        return 2 * shared >= len(telling)

    def scores(self, query: Iterable[str]) -> Scores:
        """Score of every document for the query, each in [0, 1]."""
        counts = Counter(query)
        if not counts:
            return np.zeros(self.n_documents, dtype=np.float32)
        cols, weights, total = [], [], 0.0
        for term, n in counts.items():
            col = self.vocabulary.get(term)
            if col is None:
                total += n * self.unknown_idf
            else:
                weight = n * float(self.idf[col])
                total += weight
                cols.append(col)
                weights.append(weight)
        out = self._summed(cols, weights)
        return out / total if total > 0 else out

    def _summed(self, cols: list[int], weights: list[float], saturated: bool = True) -> Scores:
        """Per document, the sum over the given terms of weight x saturation (x 1 with ``saturated`` off):
        one gather over the terms' stored entries instead of one small update per term."""
        if not cols:
            return np.zeros(self.n_documents, dtype=np.float32)
        indptr = self.weights.indptr
        col = np.asarray(cols, dtype=np.int64)
        starts, lengths = indptr[col], indptr[col + 1] - indptr[col]
        ends = np.cumsum(lengths)
        at = np.arange(int(ends[-1])) + np.repeat(starts - (ends - lengths), lengths)  # each term's stored entries
        values = np.repeat(np.asarray(weights, dtype=np.float64), lengths)
        if saturated:
            values = values * self.weights.data[at]
        summed = np.bincount(self.weights.indices[at], weights=values, minlength=self.n_documents)
        return summed.astype(np.float32)

    def unknown_terms(self, query: Iterable[str]) -> set[str]:
        """The query's terms that no document contains."""
        return {term for term in query if term not in self.vocabulary}

    def coverage(self, query: Iterable[str], unknown: Container[str] = ()) -> tuple[Scores, float]:
        """Per document, the IDF-weighted share of the query's distinct terms it contains (no saturation);
        and the share of terms no document contains (what the FAQ never talks about), with ``unknown``
        counted among them whatever the documents say."""
        terms = set(query)
        if not terms:
            return np.zeros(self.n_documents, dtype=np.float32), 0.0
        cols, weights, total, never = [], [], 0.0, 0.0
        for term in terms:
            col = None if term in unknown else self.vocabulary.get(term)
            if col is None:
                total += self.unknown_idf
                never += self.unknown_idf
            else:
                weight = float(self.idf[col])
                total += weight
                cols.append(col)
                weights.append(weight)
        return self._summed(cols, weights, saturated=False) / np.float32(total), never / total

    def save(self, path: Path) -> None:
        """Write to one ``.npz`` file."""
        terms = np.array(sorted(self.vocabulary, key=self.vocabulary.__getitem__), dtype=object)
        with path.open("wb") as fh:
            np.savez(
                fh,
                terms=terms.astype(str),
                idf=self.idf,
                data=self.weights.data,
                indices=self.weights.indices,
                indptr=self.weights.indptr,
                shape=np.array(self.weights.shape),
                unknown_idf=np.array([self.unknown_idf]),
            )

    @classmethod
    def load(cls, path: Path) -> Bm25:
        """Read what ``save`` wrote."""
        with np.load(path, allow_pickle=False) as z:
            vocabulary = {str(t): i for i, t in enumerate(z["terms"])}
            shape = tuple(int(x) for x in z["shape"])
            weights = sparse.csc_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
            return cls(vocabulary, z["idf"], weights, float(z["unknown_idf"][0]))
