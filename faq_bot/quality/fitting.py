"""Fitting the decision model: labelled questions and the FAQ's own questions, with cross-validation.

Training examples are (question, candidate entry) pairs: every candidate of a question's
search, labelled 1 if it is a gold entry of the question. They come from two sources:

- labelled question sets (``query`` / ``gold`` [/ ``style``] files): real visitor wording;
- the FAQ itself: each alternate phrasing, removed from its entry, is a question that entry
  answers; each entry removed from the index makes its question and alternates realistic
  near misses for the others (same nouns, another question).

The topic model (``faq_bot.retrieval.confidence``) is fitted on the labelled sets only (the
FAQ provides no chatter): one example per question, labelled 1 when a gold entry is among
its first candidates, its signals taken from the cross-validated answer model (as a new
question would meet it).

Cross-validation keeps every question about one entry (or one out-of-scope question) in
one fold, so a figure says how the model does on entries it was not fitted on.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from faq_bot.content.faq import Faq, FaqEntry
from faq_bot.content.queries import LabelledQuery
from faq_bot.model.cache import CachedEmbedder
from faq_bot.quality.calibrate import MAX_WRONG, MIN_ESCALATED, Thresholds, propose, with_current_suggest
from faq_bot.quality.evaluate import Report, outcomes_of, report_of, scored
from faq_bot.retrieval.adaptation import crossed_level, own_level
from faq_bot.retrieval.confidence import ConfidenceModel, DecisionModel, judge, judge_hits, judge_topic, topic_signals
from faq_bot.retrieval.decision import decide
from faq_bot.retrieval.engine import Engine, Loaded, faq_version_of
from faq_bot.retrieval.index import build
from faq_bot.retrieval.params import DecisionParams
from faq_bot.retrieval.retriever import Retriever, Search
from faq_bot.retrieval.signals import TopicSignals

#: Styles of the examples the FAQ provides itself.
FAQ_ALTERNATE = "faq-alternate"
FAQ_NEAR_MISS = "faq-near-miss"
#: Candidates per question that become training examples (the decision looks at this many).
TRAIN_CANDIDATES = 5
#: The signals the model weighs. ``dense`` is left out: it is the larger of ``dense_question`` and
#: ``dense_passage``, and two weights on one quantity would make the contributions unreadable.
FEATURES = ("dense_question", "dense_passage", "coverage", "unknown", "unknown_meaning", "margin", "twin_lead",
            "agreement", "asked_missing", "length")  # fmt: skip
#: The topic model's signals; its label: a gold entry among the first ``TOPIC_CANDIDATES``.
TOPIC_FEATURES = TopicSignals.names()
TOPIC_CANDIDATES = 3
Say = Callable[[str], None]  # a line for the person running calibrate


@dataclass(frozen=True)
class Case:
    """A labelled question and its search (hits with signals, not yet judged)."""

    query: LabelledQuery
    search: Search

    @property
    def group(self) -> str:
        """What must stay in one cross-validation fold: the gold entry, or the question itself."""
        return f"entry:{self.query.gold[0]}" if self.query.gold else f"question:{self.query.query}"


def labelled_cases(loaded: Loaded, queries: Sequence[LabelledQuery]) -> list[Case]:
    """Cases from a labelled question set."""
    found = loaded.search_many([q.query for q in queries], loaded.retriever.embedder,
                               categories=[q.categories for q in queries])  # fmt: skip
    return [Case(q, s) for q, s in zip(queries, found, strict=True)]


def _fold(key: str, folds: int) -> int:
    return zlib.crc32(key.encode("utf-8")) % folds


def _reduced(entries: Sequence[FaqEntry], label: str) -> Faq:
    digest = hashlib.sha256(("\x00".join(f"{e.id}\x01{e.question}\x01{'|'.join(e.alternates)}" for e in entries)
                             + label).encode()).hexdigest()  # fmt: skip
    return Faq(tuple(entries), f"self-supervision:{label}", "UTF-8", digest)


def faq_cases(engine: Engine, folds: int = 5, progress: Say | None = None) -> list[Case]:
    """Cases the FAQ provides itself (see the module docstring); each text is encoded once."""
    entries = engine.current.index.entries
    embedder = CachedEmbedder(engine.embedder)
    cases: list[Case] = []
    for fold in range(folds):
        held = {e.id for e in entries if _fold(e.id, folds) == fold}
        # Near misses: the held-out entries' questions against the FAQ without them.
        rest = [e for e in entries if e.id not in held]
        asked = [LabelledQuery(text, (), 0, FAQ_NEAR_MISS) for e in entries if e.id in held
                 for text in (e.question, *e.alternates)]  # fmt: skip
        if rest and asked:
            cases += labelled_cases(_loaded(engine, embedder, _reduced(rest, f"without-{fold}")), asked)
        # Paraphrases: the held-out entries' alternates against the FAQ without those alternates.
        stripped = [FaqEntry(e.id, e.category, e.question, e.answer, (), e.line) if e.id in held else e
                    for e in entries]  # fmt: skip
        alternates = [LabelledQuery(a, (e.id,), 0, FAQ_ALTERNATE) for e in entries if e.id in held
                      for a in e.alternates]  # fmt: skip
        if alternates:
            cases += labelled_cases(_loaded(engine, embedder, _reduced(stripped, f"alternates-{fold}")), alternates)
        if progress:
            progress(f"  FAQ自身の質問: {fold + 1}/{folds}")
    return cases


def _loaded(engine: Engine, embedder: CachedEmbedder, faq: Faq) -> Loaded:
    index = build(faq, embedder, engine.analyzer, engine.params.index)
    retriever = Retriever(index, embedder, engine.analyzer, engine.params.search)
    return Loaded(faq_version_of(index), index, retriever, engine.params, engine.model)


def examples(cases: Sequence[Case], features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and labels: the first ``TRAIN_CANDIDATES`` candidates of every case."""
    rows: list[list[float]] = []
    labels: list[int] = []
    for case in cases:
        for hit in case.search.hits[:TRAIN_CANDIDATES]:
            if hit.signals is None:
                continue
            values = hit.signals.as_dict()
            rows.append([values[f] for f in features])
            labels.append(int(hit.entry.id in case.query.gold))
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(features)), np.asarray(labels, dtype=np.int64)


def _logistic(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], strength: float, fitted_on: str) -> ConfidenceModel:
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        raise ValueError("the training data needs questions that are answered and ones that are not")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=strength, max_iter=5000).fit((x - mean) / scale, y)
    return ConfidenceModel(
        names, tuple(mean.tolist()), tuple(scale.tolist()), tuple(model.coef_[0].tolist()),
        float(model.intercept_[0]), fitted_on,
    )  # fmt: skip


def fit(
    cases: Sequence[Case], features: Sequence[str] | None = None, strength: float = 1.0, fitted_on: str = ""
) -> ConfidenceModel:
    """The answer model: "this candidate answers the question", fitted on the cases' candidates."""
    names = tuple(features or FEATURES)
    x, y = examples(cases, names)
    return _logistic(x, y, names, strength, fitted_on)


def topic_examples(cases: Sequence[Case], judged: Sequence[Search]) -> tuple[np.ndarray, np.ndarray]:
    """Topic signals and labels: one row per question with a judged hit (``judged`` in ``cases`` order)."""
    rows: list[list[float]] = []
    labels: list[int] = []
    for case, search in zip(cases, judged, strict=True):
        signals = topic_signals(search)
        if signals is None:
            continue
        rows.append(list(signals.values()))
        labels.append(int(any(h.entry.id in case.query.gold for h in search.hits[:TOPIC_CANDIDATES])))
    x = np.asarray(rows, dtype=np.float64).reshape(-1, len(TOPIC_FEATURES))
    return x, np.asarray(labels, dtype=np.int64)


def fit_topic(cases: Sequence[Case], judged: Sequence[Search], fitted_on: str = "") -> ConfidenceModel:
    """The topic model, fitted on labelled questions judged by an answer model that never saw them."""
    x, y = topic_examples(cases, judged)
    return _logistic(x, y, TOPIC_FEATURES, 1.0, fitted_on)


def cross_validated(
    cases: Sequence[Case],
    score: Sequence[Case],
    folds: int = 5,
    features: Sequence[str] | None = None,
    strength: float = 1.0,
    topic: ConfidenceModel | None = None,
) -> list[Search]:
    """Each search of ``score`` judged by models fitted outside its fold.

    The answer model is fitted on the ``cases`` outside the fold; the topic model on the
    ``score`` questions outside the fold (the labelled ones), judged by those answer models.
    ``topic``, if given, is used instead where the data cannot fit one (no question on either side).
    """
    answer = {
        fold: fit([c for c in cases if _fold(c.group, folds) != fold], features, strength) for fold in range(folds)
    }
    fold_of = [_fold(case.group, folds) for case in score]
    judged = [judge_hits(case.search, answer[f]) for case, f in zip(score, fold_of, strict=True)]
    out = list(judged)
    for fold in range(folds):
        outside = [i for i, f in enumerate(fold_of) if f != fold]
        model, _ = _topic_or(topic, [score[i] for i in outside], [judged[i] for i in outside])
        for i in (i for i, f in enumerate(fold_of) if f == fold):
            out[i] = judge_topic(judged[i], model) if model is not None else judged[i]
    return out


def _topic_or(
    fallback: ConfidenceModel | None, cases: Sequence[Case], judged: Sequence[Search], fitted_on: str = ""
) -> tuple[ConfidenceModel | None, bool]:
    """The topic model fitted on these questions (and True), or ``fallback`` (and False) when they
    cannot fit one: all answerable, or none."""
    try:
        return fit_topic(cases, judged, fitted_on), True
    except ValueError:
        return fallback, False


@dataclass(frozen=True)
class Calibration:
    """A fitted decision model, thresholds proposed for it, and what they give (cross-validated and in-sample)."""

    model: DecisionModel
    thresholds: Thresholds
    cross_validated: Report
    in_sample: Report
    labelled: int  # labelled questions used
    from_faq: int  # questions the FAQ provided itself
    topic_refitted: bool = True  # False: the labelled questions could not fit one, the current one was kept


def calibrate(
    engine: Engine,
    queries: Sequence[LabelledQuery],
    *,
    folds: int = 5,
    max_wrong: float = MAX_WRONG,
    min_escalated: float = MIN_ESCALATED,
    use_faq: bool = True,
    progress: Say | None = None,
) -> Calibration:
    """Fit the decision model on labelled questions (and the FAQ's own), choose thresholds, measure both ways.

    The thresholds are chosen on cross-validated probabilities: a model never judges the
    questions about an entry it was fitted on, so the figures say what to expect of new
    questions, not how well the model remembers these. The wrong-answer bar also holds for the model
    as shipped, on the questions it was fitted on (``propose``'s ``shipped``).
    """
    loaded = engine.current
    if progress:
        progress(f"ラベル付きの質問 {len(queries)}件を検索します…")
    labelled = labelled_cases(loaded, queries)
    own = faq_cases(engine, folds, progress) if use_faq else []
    cases = [*labelled, *own]
    judged = cross_validated(cases, labelled, folds, topic=loaded.model.topic)
    decision = loaded.params.decision
    category_of = {e.id: e.category for e in loaded.index.entries}

    def report(searches: Sequence[Search], params: DecisionParams) -> Report:
        replies = [decide(search, params) for search in searches]
        return report_of(outcomes_of([c.query for c in labelled], replies, params), category_of)

    answer = fit(cases, fitted_on=f"{len(labelled)} labelled questions + {len(own)} from the FAQ itself")
    # The topic model learns from probabilities a new question would get: the cross-validated ones.
    # (Labelled questions that are all answerable, or none, cannot fit one: the current one stays.)
    topic, refitted = _topic_or(loaded.model.topic, labelled, judged, f"{len(labelled)} labelled questions")
    # The level another FAQ's own near misses are compared with when it is loaded, under the model it serves.
    # (Under models fitted without each near miss's fold the bundled FAQ's is lower, -0.822 against -0.643:
    # the model as fitted does not score its own near misses low, so this level does not make other FAQs
    # look riskier than they are.)
    # The same for the crossed questions (``faq_bot.retrieval.crossings``).
    crossed = crossed_level(loaded.retriever, answer, engine.encode_prepared)
    # The vectors both models were fitted on (a topic model kept from before was fitted on the current model's).
    encoder = engine.embedder.model_id if refitted else loaded.model.encoder
    model = DecisionModel(answer, topic, own_level(loaded.retriever, answer), crossed, encoder)
    shipped = [judge(c.search, model) for c in labelled]
    data = scored(report(judged, decision).outcomes)
    proposal = propose(data, max_wrong, min_escalated, shipped=scored(report(shipped, decision).outcomes))
    proposal = with_current_suggest(proposal, data, decision.suggest_threshold)
    chosen = replace(decision, answer_threshold=proposal.answer, suggest_threshold=proposal.suggest)
    in_sample = report(shipped, chosen)
    return Calibration(model, proposal, report(judged, chosen), in_sample, len(labelled), len(own), refitted)
