"""Hybrid search over one ``FaqIndex``: dense (FAISS) + lexical (BM25), exact within categories.

A message of several sentences is seen twice: as a whole, and by its asking sentence
(``faq_bot.retrieval.views``). The whole message ranks the entries; both views feed the
signals of the best candidates (``faq_bot.retrieval.signals``) that the decision weighs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from faq_bot.content.faq import FaqEntry
from faq_bot.errors import UnknownCategoryError
from faq_bot.model.embedder import Embedder
from faq_bot.retrieval.asked import unanswered_kinds
from faq_bot.retrieval.dense import Candidates, DenseSearch
from faq_bot.retrieval.index import FaqIndex
from faq_bot.retrieval.params import SearchParams
from faq_bot.retrieval.signals import Signals, ViewScores, candidate_signals
from faq_bot.retrieval.views import as_sentences, focus, without_subject
from faq_bot.text.analyzer import Analysis, TextAnalyzer
from faq_bot.text.kana import LazyRespeller, needs_respelling
from faq_bot.text.normalize import is_meaningful, reading_bigrams

#: How much the reading-bigram score counts next to the word score (it is noisier).
READING_WEIGHT = 0.85
#: Candidates that get signals (and a probability) whatever ``k`` is asked for.
SIGNAL_CANDIDATES = 10
#: Weight of the asking sentence's score next to the whole message's (1) in a long message's ranking.
FOCUS_WEIGHT = 0.5


@dataclass(frozen=True)
class Hit:
    """One FAQ entry found for a query, with the scores that ranked it."""

    entry: FaqEntry
    score: float  # the hybrid score on the fixed 0..1 scale the ranking uses
    dense: float  # best cosine similarity among the entry's vectors
    lexical: float  # 0..1 share of the query's terms found in the entry
    matched: str  # which phrasing gave the best cosine: question, alternate or answer
    matched_text: str
    signals: Signals | None = None
    # Probability that this entry answers the question (``faq_bot.retrieval.confidence``);
    # until a model has judged the hit, the hybrid score stands in.
    probability: float | None = None
    # The probability as the answer model was fitted, where the FAQ it serves lowered ``probability``
    # (``faq_bot.retrieval.adaptation``); None: not lowered, the same as ``probability``.
    fitted_probability: float | None = None

    @property
    def confidence(self) -> float:
        """The probability if judged, else the hybrid score: what an answer needs."""
        return self.score if self.probability is None else self.probability

    @property
    def candidate_confidence(self) -> float:
        """What もしかして and the related entries weigh: the probability as fitted. A FAQ's adjustment holds
        *answers* to more confidence where its near misses score higher; the topic model, fitted on the
        fitted probabilities, judges whether one of the candidates is what was asked as before."""
        return self.confidence if self.fitted_probability is None else self.fitted_probability


@dataclass(frozen=True)
class Parsed:
    """A question as the retriever reads it (``Retriever.parse``)."""

    query: str
    asking: str | None  # the asking sentence of a message of several sentences
    whole: Analysis  # the whole message's analysis
    asked: Analysis  # the asking sentence's (the whole message's when it is one sentence)


@dataclass(frozen=True)
class Search:
    """The outcome of one search: what the query became, its asking sentence, and the hits, best first."""

    query: str
    analysis: Analysis
    hits: tuple[Hit, ...]
    focus: str | None = None  # the asking sentence of a message of several sentences
    vector: npt.NDArray[np.float32] | None = None  # the whole message's embedding (None if not encoded)
    # Probability that one of the first candidates answers (the topic model, ``judge``); None until judged.
    on_topic: float | None = None
    # The topic model's own probability, before ``on_topic`` is raised to the best candidate's: low when the
    # message is far from the FAQ's subject (chatter), whatever one candidate's signals say.
    topic_probability: float | None = None
    # A search narrowed to categories (``within``, in the FAQ's order): the same search over the whole FAQ (None
    # otherwise), so that an answer from within them is not one a more probable entry outside them would beat
    # (``decision.outranked``).
    within: tuple[str, ...] = ()
    unnarrowed: Search | None = None

    def with_hits(self, hits: Sequence[Hit]) -> Search:
        """The same search with other (e.g. re-ranked) hits."""
        return replace(self, hits=tuple(hits))


class Retriever:
    """Searches one index; thread-safe (FAISS searches and numpy reads only)."""

    def __init__(self, index: FaqIndex, embedder: Embedder, analyzer: TextAnalyzer, params: SearchParams) -> None:
        self.index = index
        self.embedder = embedder
        self.analyzer = analyzer
        self.params = params
        self.dense = DenseSearch(index, params)
        self._category_of = np.array([e.category for e in index.entries], dtype=object)
        self._categories = tuple(index.categories)  # in the FAQ's order, read once (not at every search)
        self._respeller = LazyRespeller(index.words.document_frequencies(), analyzer, self._prepared_texts)

    def _prepared_texts(self) -> Iterator[str]:
        """Every text of the FAQ as the analyser prepares it (where its katakana words are read from)."""
        return (self.analyzer.prepare(t) for e in self.index.entries for t in (e.question, *e.alternates, e.answer))

    def analyze(self, query: str) -> Analysis:
        """What the query becomes for both sides: hiragana-only questions respelled in kanji first; in a
        question with kanji, the FAQ's katakana words typed in hiragana put back (利用まにゅある → 利用マニュアル)
        and a word left in hiragana respelled where the analyser could not read it (ゆうそう → 郵送); in either,
        a word the FAQ never uses mended to the FAQ's word of the same reading (海員 → 会員, セキュリテイ →
        セキュリティ), a homophone only where entries use that word with the question's telling words
        (``Bm25.together``), one read the same but for a small っ left out (主張 → 出張) only where the question
        has such words. Kanji mended are guesses (``Analysis.mended``); a katakana spelling put right is not."""
        respeller = self._respeller.get()
        prepared = self.analyzer.prepare(query)
        words = self.index.words
        if needs_respelling(query):
            analysis = self.analyzer.analyze_prepared(respeller.respell(prepared), keep=True)
        else:
            analysis = self.analyzer.analyze_prepared(respeller.respell_loanwords(prepared), keep=True)
            analysis = respeller.respell_unconverted(analysis, words.vocabulary, self._analyze_kept)
        mended = respeller.mend_homophones(analysis, words.vocabulary, self.analyzer.noun_reading, words.together)
        if mended is None:
            return analysis
        text, put_in = mended
        return replace(self.analyzer.analyze_prepared(text, keep=True), mended=put_in)

    def _analyze_kept(self, prepared: str) -> Analysis:
        return self.analyzer.analyze_prepared(prepared, keep=True)

    def prepare(self) -> None:
        """Build now what reading a question needs (the FAQ's words by reading: ~0.04 ms a word), so that
        no visitor waits for it."""
        self._respeller.get()

    def reads_at_once(self) -> bool:
        """False until ``prepare`` (or a first question) built what reading a question needs: a server
        reads its questions off the event loop until then."""
        return self._respeller.built

    def embedded_text(self, text: str) -> str:
        """What is embedded for a whole message (the first of its ``views``): prepared, respelled (``analyze``),
        homophones mended — the same vector the chat stored, for a logged question."""
        return self.analyze(as_sentences(text)).normalized

    def parse(self, query: str) -> Parsed:
        """What the retriever reads in a question: its asking sentence and both analyses (a line break
        that ends a sentence read as 。: ``as_sentences``). The asking sentence is read without the names
        of what the FAQ is about where they are context (``without_subject``) and something is asked
        besides them: 「…オンラインマーケットでできることを教えてください」 asks about the site."""
        text = as_sentences(query)
        whole = self.analyze(text)
        asking = focus(text)
        if asking is None:
            return Parsed(query, None, whole, whole)
        read = without_subject(asking, self.params.subject_names)
        if read != asking:
            asked = self.analyze(read)
            if asked.words:
                return Parsed(query, read, whole, asked)
        return Parsed(query, asking, whole, self.analyze(asking))

    def views(self, parsed: Parsed) -> list[str]:
        """The texts to embed for a question: the whole message, its asking sentence if it has several,
        and the message without the words the FAQ never uses if it has any (``masked``)."""
        asking = parsed.asking
        texts = [parsed.whole.normalized, *([parsed.asked.normalized] if asking is not None else [])]
        masked = self.masked(parsed.whole)
        return texts if masked is None else [*texts, masked]

    def masked(self, analysis: Analysis) -> str | None:
        """The text without the words the FAQ never uses (None if it uses them all): how much those
        words mean shows in how far its embedding is from the text's own."""
        # Only words that stand in the text as written (nouns, names, loanwords): taking out the stem of an
        # inflected verb, or a piece janome cut from hiragana, leaves a broken sentence, whose embedding
        # moves whatever it meant.
        # Guessed words (homophones mended) count as unknown: the FAQ never uses what the visitor typed.
        unknown = analysis.as_written(self.index.words.unknown_terms(analysis.words) | analysis.mended)
        return analysis.without(unknown) if unknown else None

    def dense_to_unit(self, relative: npt.NDArray[np.float32] | float) -> npt.NDArray[np.float32]:
        """Map relative cosine onto 0..1 with the configured floor and ceiling."""
        s = self.params
        rel = np.asarray(relative, dtype=np.float32)
        return np.asarray(np.clip((rel - s.dense_floor) / (s.dense_ceiling - s.dense_floor), 0, 1), dtype=np.float32)

    def searchable(self, query: str) -> bool:
        """False when a search would find nothing whatever it encoded (no content, or an empty FAQ)."""
        return is_meaningful(query) and bool(self.index.entries)

    def within(self, categories: Sequence[str]) -> tuple[str, ...]:
        """The categories a question was narrowed to that this FAQ has, once each, in the FAQ's order (the chips'):
        the same whichever order they were clicked in. A category since renamed or gone is no longer offered to
        visitors, so a logged question asked again is asked without it (in the whole FAQ, when none is left)."""
        if not categories:
            return ()
        chosen = set(categories)
        return tuple(c for c in self._categories if c in chosen)

    def allowed(self, categories: Sequence[str] | None) -> npt.NDArray[np.bool_] | None:
        """Which entries a search within ``categories`` may find (None: all); unknown categories are refused."""
        if not categories:
            return None
        known = self._categories
        unknown = [c for c in categories if c not in known]
        if unknown:
            raise UnknownCategoryError(unknown, known)
        return np.isin(self._category_of, list(categories))

    def search(
        self,
        query: str,
        categories: Sequence[str] | None = None,
        k: int = 5,
        query_vectors: npt.NDArray[np.float32] | None = None,
        parsed: Parsed | None = None,
        left_out: int | None = None,
    ) -> Search:
        """The best ``max(k, SIGNAL_CANDIDATES)`` entries for the query (within ``categories`` if given: then with
        the search over the whole FAQ as ``unnarrowed``, from the same vectors).

        ``query_vectors`` may carry the embeddings of ``views(parse(query))`` (batched by the caller), and
        ``parsed`` what ``parse(query)`` gave (so that a batch reads each question once). ``left_out``: the
        position of an entry never to return (``faq_bot.retrieval.adaptation``); the FAQ's word statistics and
        background still count it.
        """
        allowed = self.allowed(categories)
        if left_out is not None:
            if not 0 <= left_out < len(self.index.entries):
                raise IndexError(f"no entry at position {left_out}")
            allowed = np.ones(len(self.index.entries), dtype=bool) if allowed is None else allowed.copy()
            allowed[left_out] = False
        if not self.searchable(query):
            return Search(query, self.analyze(query), (), focus(query))
        parsed = parsed or self.parse(query)
        asking, analysis, focus_analysis = parsed.asking, parsed.whole, parsed.asked
        if query_vectors is None:
            query_vectors = self.embedder.encode_queries(self.views(parsed))
        vector = query_vectors[0]
        focus_vector = query_vectors[1] if asking is not None and len(query_vectors) > 1 else vector
        # The masked view, if any, comes after the others; callers that pass only the first vector
        # (benchmarks) go without.
        n_views = 1 + (asking is not None)
        unknown_meaning = 1.0 - float(vector @ query_vectors[n_views]) if len(query_vectors) > n_views else 0.0
        k = max(k, SIGNAL_CANDIDATES)
        lexical = self.lexical_scores(analysis)
        if allowed is not None:
            lexical = np.where(allowed, lexical, -np.inf).astype(np.float32)
        dense = self._dense_top(vector, lexical, allowed, categories, k)
        if not dense:
            return Search(query, analysis, (), asking, vector)
        # Some questions are close to everything (greetings, generic wording): judge a
        # cosine against the query's mean cosine to the whole FAQ, not in absolute terms.
        background = float(vector @ self.index.centroid)
        if asking is not None:
            # The asking sentence's own best entries are candidates too, scored in both views.
            focus_lexical = self.lexical_scores(focus_analysis)
            if allowed is not None:
                focus_lexical = np.where(allowed, focus_lexical, -np.inf).astype(np.float32)
            focus_dense = self._dense_top(focus_vector, focus_lexical, allowed, categories, k)
            dense.update(self.dense.exact(vector, np.array(sorted(set(focus_dense) - set(dense)), dtype=np.int64)))
        positions = np.fromiter(dense, dtype=np.int64, count=len(dense))
        cosines = np.array([dense[p][0] for p in positions.tolist()], dtype=np.float32)
        lex = np.maximum(lexical[positions], 0)
        combined = self._hybrid(cosines - background, lex)
        if asking is not None:
            # A long message ranks by its whole text and, with half the weight, by its asking
            # sentence: the context disambiguates, the question says what is asked.
            focus_cos = self.dense.exact(focus_vector, positions)
            cos_f = np.array([focus_cos[p][0] for p in positions.tolist()], dtype=np.float32)
            focus_background = float(focus_vector @ self.index.centroid)
            on_focus = self._hybrid(cos_f - focus_background, np.maximum(focus_lexical[positions], 0))
            combined = ((combined + FOCUS_WEIGHT * on_focus) / (1 + FOCUS_WEIGHT)).astype(np.float32)
        # Ties (near-copies of a question both reach the top of the dense and the lexical scale) go to the
        # higher cosine: 「…では何ができますか」 is 「…では、何が出来ますか」, not 「…とは、何ですか」 before it.
        order = np.lexsort((positions, -cosines, -combined))[:k]
        top = positions[order]
        signals = self._signals(
            query, analysis, focus_analysis, np.stack([vector, focus_vector]), top, combined[order], lexical, dense,
            unknown_meaning,
        )  # fmt: skip
        hits = []
        for rank, pos in enumerate(top.tolist()):
            i = int(order[rank])
            matched, text = self.index.phrasing(dense[pos][1])
            hits.append(Hit(self.index.entries[pos], float(combined[i]), float(cosines[i]), float(lex[i]), matched,
                            text, signals[rank]))  # fmt: skip
        found = Search(query, analysis, tuple(hits), asking, vector)
        if categories and left_out is None:
            whole = self.search(query, None, k, query_vectors=query_vectors, parsed=parsed)
            found = replace(found, within=self.within(categories), unnarrowed=whole)
        return found

    def _hybrid(self, relative: npt.NDArray[np.float32], lex: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        w = self.params.dense_weight
        return (w * self.dense_to_unit(relative) + (1 - w) * np.maximum(lex, 0)).astype(np.float32)

    def _dense_top(
        self,
        vector: npt.NDArray[np.float32],
        lexical: npt.NDArray[np.float32],
        allowed: npt.NDArray[np.bool_] | None,
        categories: Sequence[str] | None,
        k: int,
    ) -> Candidates:
        """Dense candidates, completed so that the top ``k`` by hybrid score is exact."""
        dense, cutoff = self.dense.candidates(vector, categories or None, k)
        if allowed is not None:  # (an entry left out: FAISS still holds its vectors)
            dense = {p: found for p, found in dense.items() if allowed[p]}
        if cutoff is None:
            return dense
        background = float(vector @ self.index.centroid)
        # Entries the dense search did not reach have every cosine <= cutoff, so
        # hybrid(cutoff, lexical) bounds their score: score exactly those that could
        # still enter the top k (threshold algorithm), the rest cannot.
        found = np.fromiter(dense, dtype=np.int64, count=len(dense))
        scores = self._hybrid(np.array([dense[p][0] for p in found.tolist()], np.float32) - background, lexical[found])
        kth = np.sort(scores)[-k] if len(scores) >= k else -np.inf
        bound = self._hybrid(np.full(len(lexical), cutoff - background, dtype=np.float32), lexical)
        bound[found] = -np.inf
        if allowed is not None:
            bound[~allowed] = -np.inf
        need = np.flatnonzero(np.isfinite(bound) & (bound >= kth))  # (kth is -inf when fewer than k were found)
        cap = self.params.hnsw_rescore_cap
        if self.dense.is_hnsw and len(need) > cap:
            # HNSW is approximate anyway: on very large FAQs re-score only the lexically
            # strongest of those entries, not all of them (recall is measured in the bench).
            need = need[np.argpartition(-lexical[need], cap)[:cap]]
        dense.update(self.dense.exact(vector, need))
        return dense

    def _signals(
        self,
        query: str,
        analysis: Analysis,
        focus_analysis: Analysis,
        vectors: npt.NDArray[np.float32],
        top: npt.NDArray[np.int64],
        hybrid: npt.NDArray[np.float32],
        lexical: npt.NDArray[np.float32],
        dense: Candidates,
        unknown_meaning: float,
    ) -> list[Signals]:
        """The decision signals of the top candidates (see ``faq_bot.retrieval.signals``)."""
        kinds = self.dense.kind_cosines(vectors, top)
        views: list[ViewScores] = []
        for view, read in zip(kinds, (analysis, focus_analysis), strict=True):
            background = float(vectors[len(views)] @ self.index.centroid)
            coverage, unknown = self.index.words.coverage(read.words, unknown=read.mended)
            views.append(
                ViewScores(view.best - background, view.question - background, view.passage - background,
                           coverage[top], unknown)
            )  # fmt: skip
        best_dense = max(dense, key=lambda p: dense[p][0])
        best_lexical = int(np.argmax(lexical))
        agreement = np.array([p == best_dense and p == best_lexical for p in top.tolist()])
        asked_missing = np.array([bool(unanswered_kinds(analysis.normalized, self.index.entries[p])) for p in top])
        domain = self.index.domain(vectors[0])
        return candidate_signals(
            hybrid, views[0], views[1], agreement, asked_missing, len(query), domain, unknown_meaning,
            self.index.alike(top),
        )  # fmt: skip

    def lexical_scores(self, analysis: Analysis) -> npt.NDArray[np.float32]:
        """Lexical score of every entry: the better of content words and reading bigrams."""
        words = self.index.words.scores(analysis.words)
        readings = self.index.readings.scores(reading_bigrams(analysis.reading))
        return np.asarray(np.maximum(words, READING_WEIGHT * readings), dtype=np.float32)
