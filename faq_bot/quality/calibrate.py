"""Choosing the decision thresholds from labelled data (probabilities from the decision model).

Each labelled question contributes its best hit's probability, what answering with that hit
would be (right, wrong — an in-scope question whose best hit is not gold — or out of scope),
and its topic score (``topic_score``: what the もしかして threshold sees). The
answer threshold answers the most questions right while wrong answers (wrong + out of scope
above it) stay within a target rate, taking the middle of the range of thresholds that do so;
the suggest threshold, for the questions left, best separates those whose candidates hold
the right entry from out-of-scope ones, which should escalate.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum


class Label(StrEnum):
    """What answering with the best hit would be."""

    RIGHT = "right"
    WRONG = "wrong"  # in scope, but the best hit is not a gold entry
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Scored:
    """One labelled question: best probability, topic score, and what answering would be."""

    score: float
    label: Label
    gold_in_top: bool = False  # the suggestions would contain a gold entry
    # Escalated whatever the thresholds (the best entry does not give what was asked, see
    # ``faq_bot.retrieval.asked``): never answered or suggested.
    blocked: bool = False
    candidates: float = 0.0  # probability that one of the first candidates answers (``topic_score``)
    # A near miss (style near-oos): the FAQ talks about its topic, so もしかして candidates are
    # harmless; only an answer would be wrong. Other out-of-scope questions should escalate.
    near_miss: bool = False
    # The labelled file it came from: each file is a kind of traffic (plain questions, real
    # visitor messages, ...), and the wrong-answer bar holds in each, not only on their sum.
    source: str = ""
    # The topic model's own probability (None without one): an answer needs it at the answer threshold too.
    topic: float | None = None
    # The best entry has a content word in common with the question: an answer needs it (``grounded``).
    grounded: bool = True
    # Narrowed to categories, an entry outside them is more probable (``outranked``): never answered.
    outranked: bool = False


@dataclass(frozen=True)
class Thresholds:
    """A proposed pair and the figures it gives on the data it was fitted to."""

    answer: float
    suggest: float
    answered_correctly: float  # over in-scope questions
    wrong_answers: float  # over all questions
    oos_rejection: float
    helpful: float = 0.0  # answered right or right entry suggested, over in-scope questions
    # False when the questions could not place the もしかして threshold (``with_current_suggest``): ``suggest`` is
    # then the current one, and the figures are those it gives with the proposed answer threshold.
    suggest_proposed: bool = True


#: The product's bars, and what ``propose`` aims for unless told otherwise: at most 3 % of the
#: questions answered with a wrong entry (the worst outcome for a visitor), and at least 95 % of
#: the questions that have nothing to do with the FAQ escalated (near misses aside).
#: The wrong-answer bar holds in each labelled file (``Scored.source``), the escalation bar over all of
#: them: a wrong answer is the worst outcome wherever it happens, while candidates offered to an
#: unrelated question cost a glance (and どれにも当てはまらない still leads to the form), and holding
#: a small file's escalations at 95 % would take もしかして from the questions it helps.
MAX_WRONG = 0.03
MIN_ESCALATED = 0.95


#: Fewer in-scope or fewer out-of-scope questions than this: a proposal comes with a warning (one question moves
#: a rate over them by a point or more).
FEW_QUESTIONS = 100

#: A proposed suggest threshold under this is no proposal: 0 % offers candidates for every question not answered,
#: which no question set argues for; it only comes out when the set has too few questions to place the threshold.
NO_SUGGEST_BASIS = 0.005


#: A suggest threshold no question reaches (the settings' bound: above any sum of three probabilities).
NEVER_SUGGEST = 3.0


def _midpoint(sorted_scores: Sequence[float], i: int) -> float:
    """A threshold between sorted_scores[i-1] and sorted_scores[i] (below all for i=0)."""
    if i <= 0:
        return max(0.0, sorted_scores[0] - 0.01) if sorted_scores else 0.5
    if i >= len(sorted_scores):
        return min(1.0, sorted_scores[-1] + 0.01)
    return (sorted_scores[i - 1] + sorted_scores[i]) / 2


def is_answered(d: Scored, answer: float) -> bool:
    """The question is answered at this answer threshold (a blocked one never is), as ``decide`` answers: the
    best probability and the topic model's own both reach it, the best entry shares a word with it, and no entry
    outside the categories it was narrowed to is more probable."""
    return (
        d.score >= answer
        and not d.blocked
        and d.grounded
        and not d.outranked
        and (d.topic is None or d.topic >= answer)
    )


def figures(data: Sequence[Scored], answer: float, suggest: float) -> Thresholds:
    """What a threshold pair gives on labelled data."""
    n = len(data) or 1
    in_scope = [d for d in data if d.label != Label.OUT_OF_SCOPE]
    oos = [d for d in data if d.label == Label.OUT_OF_SCOPE]

    def suggested(d: Scored) -> bool:
        return not is_answered(d, answer) and not d.blocked and d.candidates >= suggest

    right = sum(d.label == Label.RIGHT and is_answered(d, answer) for d in in_scope)
    wrong = sum(d.label != Label.RIGHT and is_answered(d, answer) for d in data)
    helped = right + sum(suggested(d) and d.gold_in_top for d in in_scope)
    rejected = sum(not is_answered(d, answer) and not suggested(d) for d in oos)
    return Thresholds(
        round(answer, 4),
        round(suggest, 4),
        round(right / len(in_scope), 4) if in_scope else 0.0,
        round(wrong / n, 4),
        round(rejected / len(oos), 4) if oos else 1.0,
        round(helped / len(in_scope), 4) if in_scope else 0.0,
    )


def _wrong_within(data: Sequence[Scored], sizes: Counter[str], answer: float, max_wrong: float) -> bool:
    """True when answering from ``answer`` up stays within ``max_wrong`` wrong answers in every source
    (``sizes``: questions per source)."""
    wrong = Counter(d.source for d in data if d.label != Label.RIGHT and is_answered(d, answer))
    return all(wrong[source] <= max_wrong * n + 1e-9 for source, n in sizes.items())


def propose(
    data: Sequence[Scored],
    max_wrong: float = MAX_WRONG,
    min_rejection: float = MIN_ESCALATED,
    shipped: Sequence[Scored] = (),
) -> Thresholds:
    """Thresholds with the most right answers whose wrong-answer rate is at most ``max_wrong`` in each
    source (and so over all questions), then the most helpful もしかして that still escalates
    ``min_rejection`` of the out-of-scope questions.

    ``shipped``: the same questions judged by the model that will be shipped (fitted on them all). The
    wrong-answer bar must hold for it too: ``data``'s cross-validated models say what new questions meet,
    but the shipped one judges the questions it was fitted on a little more boldly, and a wrong answer
    to one of them is as wrong as any."""
    scores = sorted({round(d.score, 6) for d in data})
    sizes = Counter(d.source for d in data)
    shipped_sizes = Counter(d.source for d in shipped)
    best_right = -1
    tied: list[float] = []  # thresholds giving the most right answers within the rate
    for i in range(len(scores) + 1):
        t = _midpoint(scores, i)
        f = figures(data, t, NEVER_SUGGEST)
        # Within it in each source, so over all of them; and for the shipped model too.
        if _wrong_within(data, sizes, t, max_wrong) and _wrong_within(shipped, shipped_sizes, t, max_wrong):
            right = round(f.answered_correctly * 10_000)
            if right > best_right:
                best_right, tied = right, [t]
            elif right == best_right:
                tied.append(t)
    # Equally many right answers over a range of thresholds: take its middle, the widest
    # margin to the scores on either side (a question a little off either way keeps its fate).
    best_answer = (min(tied) + max(tied)) / 2 if tied else 1.0
    # Suggest: among questions not answered, offer candidates to as many in-scope questions whose
    # candidates hold the right entry as possible, while at least ``min_rejection`` of the
    # out-of-scope questions (near misses aside: candidates do them no harm) still escalate.
    left = [d for d in data if not d.blocked and not is_answered(d, best_answer)]
    off_topic = [d for d in data if d.label == Label.OUT_OF_SCOPE and not d.near_miss]
    # As many as the suggest threshold can reach: an off-topic question already answered (counted by
    # the wrong-answer bar) escalates at no suggest threshold.
    reachable = sum(not is_answered(d, best_answer) for d in off_topic)
    needed = min(math.ceil(min_rejection * len(off_topic) - 1e-9), reachable)
    topics = sorted({round(d.candidates, 6) for d in left})
    best_suggest, best_key = NEVER_SUGGEST, (False, -1, -1)
    for i in range(len(topics) + 1):
        t = _midpoint(topics, i) if topics else NEVER_SUGGEST
        escalated = sum(d.blocked or (d.score < best_answer and d.candidates < t) for d in off_topic)
        helped = sum(d.label != Label.OUT_OF_SCOPE and d.candidates >= t and d.gold_in_top for d in left)
        enough = escalated >= needed
        key = (enough, helped if enough else escalated, -i if enough else i)
        if key > best_key:
            best_key, best_suggest = key, t
    return figures(data, best_answer, best_suggest)


def why_no_proposal(data: Sequence[Scored]) -> str | None:
    """Why these questions cannot support a threshold proposal (None: they can).

    Without questions the FAQ answers, nothing says how many answers a threshold keeps; without ones it
    does not answer, nothing says how many wrong answers it lets through (nor where もしかして must stop).
    """
    if not any(d.label != Label.OUT_OF_SCOPE for d in data) or not any(d.label == Label.OUT_OF_SCOPE for d in data):
        return (
            "しきい値を提案するには、FAQで答えられる質問（正解の列にFAQのid）と、FAQでは答えられない質問"
            "（正解の列が空）の両方が必要です。"
        )
    return None


def with_current_suggest(proposal: Thresholds, data: Sequence[Scored], current_suggest: float) -> Thresholds:
    """The proposal, or, when its もしかして threshold came out under ``NO_SUGGEST_BASIS``, the proposed answer
    threshold with the current もしかして one and the figures they give (``suggest_proposed`` False)."""
    if not proposal.suggest_proposed or proposal.suggest >= NO_SUGGEST_BASIS:
        return proposal
    return replace(figures(data, proposal.answer, current_suggest), suggest_proposed=False)


def proposal_for(
    data: Sequence[Scored], max_wrong: float = MAX_WRONG, current_suggest: float | None = None
) -> Thresholds | None:
    """``propose`` for questions that can support a proposal (``why_no_proposal``), else None; with the current
    もしかして threshold, ``with_current_suggest``."""
    if why_no_proposal(data) is not None:
        return None
    proposal = propose(data, max_wrong)
    return with_current_suggest(proposal, data, current_suggest) if current_suggest is not None else proposal
