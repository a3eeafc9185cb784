"""The signals behind a decision: how well one FAQ entry matches one question, as numbers.

Every signal is on a scale that does not depend on the FAQ's size or wording (cosines
relative to the question's mean cosine to the FAQ, IDF-weighted shares, margins), so a
decision model fitted on one FAQ transfers to another. ``faq_bot.retrieval.confidence``
turns them into the probability that the entry answers the question.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields

import numpy as np
import numpy.typing as npt


class SignalSet:
    """Named numbers a logistic model weighs (a frozen dataclass of floats)."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The signal names, in order."""
        return tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    def values(self) -> tuple[float, ...]:
        """The signal values, in ``names()`` order."""
        return tuple(float(v) for v in astuple(self))  # type: ignore[call-overload]

    def as_dict(self) -> dict[str, float]:
        """Name -> value."""
        return dict(zip(self.names(), self.values(), strict=True))


@dataclass(frozen=True)
class Signals(SignalSet):
    """What the decision model sees of one (question, entry) pair.

    A message of several sentences is seen whole and by its asking sentence; each
    similarity takes the better of the two views, so context never hurts a match.
    """

    dense: float  # best cosine over the entry's vectors, minus the question's mean cosine to the FAQ
    dense_question: float  # the same over the entry's question and alternates only (question to question)
    dense_passage: float  # the same over question + answer (does the answer talk about it?)
    coverage: float  # IDF-weighted share of the question's distinct words the entry contains
    unknown: float  # IDF-weighted share of the asking sentence's words the whole FAQ never uses
    margin: float  # the ranking score minus the best other candidate's (positive for the leader)
    agreement: float  # 1 when the entry is first by dense and by lexical score alike
    asked_missing: float  # 1 when the question asks for a time, a price or a number the entry never names
    length: float  # log of the message's length in characters (long messages score lower)
    domain: float = 0.0  # how near the whole message is to the FAQ's subject (``FaqIndex.domain``)
    # How much the words the FAQ never uses mean: 1 - cosine of the message with and without them
    # (分割払い in 「クレジットカードの分割払い」 carries the question; お世話 in a greeting does not).
    # Only words written as they are count (``Retriever.masked``): not inflected verbs, not words
    # typed in hiragana (kept as katakana); without such a word it is 0.
    unknown_meaning: float = 0.0
    # How much more the entry leads when the candidates about nearly the same thing are set aside (its
    # ``TWIN_SPREADS`` twins: 支払い方法 and クレジットカード, 会員の追加 and 追加した会員のログイン): the lead
    # over the best other candidate that is no twin, minus ``margin``; 0 without a twin among them. Two
    # entries that both answer many a question leave each other no ``margin``, though either answers.
    twin_lead: float = 0.0


#: Two entries whose question+answer vectors are this many standard deviations closer than the FAQ's mean
#: pair (``FaqIndex.alike``) are about nearly the same thing: 24 of the bundled FAQ's 1,081 pairs, six of
#: them with one answer; the others are neighbours whose questions one another often answers too.
TWIN_SPREADS = 2.5


@dataclass(frozen=True)
class TopicSignals(SignalSet):
    """What the topic model sees of one question: is one of its first candidates what it asks?

    The もしかして decision: a question on the FAQ's subject whose best candidates are
    plausible gets candidates; chatter and questions on other subjects escalate.
    """

    best: float  # the first candidate's probability of answering (``faq_bot.retrieval.confidence``)
    domain: float  # how near the message is to the FAQ's subject (``FaqIndex.domain``)
    unknown: float  # share of the asking sentence's words the whole FAQ never uses


@dataclass(frozen=True)
class ViewScores:
    """One view of the question (the whole message, or its asking sentence) against the candidates."""

    dense: npt.NDArray[np.float32]  # relative best cosine per candidate
    dense_question: npt.NDArray[np.float32]
    dense_passage: npt.NDArray[np.float32]
    coverage: npt.NDArray[np.float32]
    unknown: float


def candidate_signals(
    hybrid: npt.NDArray[np.float32],
    whole: ViewScores,
    focus: ViewScores,
    agreement: npt.NDArray[np.bool_],
    asked_missing: npt.NDArray[np.bool_],
    message_chars: int,
    domain: float = 0.0,
    unknown_meaning: float = 0.0,
    alike: npt.NDArray[np.float32] | None = None,
) -> list[Signals]:
    """Signals of each candidate (arrays in candidate order, best ranking score first; ``alike``: how alike
    the candidates are, pairwise, as ``FaqIndex.alike`` gives it)."""
    n = len(hybrid)
    others = ~np.eye(n, dtype=bool)
    distinct = (alike < TWIN_SPREADS if alike is not None else np.ones((n, n), dtype=bool)) & others
    length = math.log(max(message_chars, 1))
    # Each candidate's best other score, and best other that is no twin (0 without one), all at once.
    best_other = np.where(others, hybrid, -np.inf).max(axis=1) if n > 1 else np.zeros(n)
    best_distinct = np.where(distinct, hybrid, -np.inf).max(axis=1, initial=-np.inf)
    best_distinct[~distinct.any(axis=1)] = 0.0
    columns = zip(
        np.maximum(whole.dense, focus.dense).tolist(),
        np.maximum(whole.dense_question, focus.dense_question).tolist(),
        np.maximum(whole.dense_passage, focus.dense_passage).tolist(),
        np.maximum(whole.coverage, focus.coverage).tolist(),
        hybrid.tolist(), best_other.tolist(), best_distinct.tolist(),
        np.asarray(agreement, dtype=float).tolist(), np.asarray(asked_missing, dtype=float).tolist(),
        strict=True,
    )  # fmt: skip
    out = []
    for dense, question, passage, coverage, score, other, other_distinct, agree, missing in columns:
        signals = Signals(
            dense=dense, dense_question=question, dense_passage=passage, coverage=coverage, unknown=focus.unknown,
            margin=score - other, agreement=agree, asked_missing=missing, length=length, domain=domain,
            unknown_meaning=unknown_meaning, twin_lead=other - other_distinct,
        )  # fmt: skip
        out.append(signals)
    return out
