"""Choosing the two decision thresholds from labelled data.

Each labelled question contributes its best hit's score and what answering with
that hit would be: right, wrong (an in-scope question whose best hit is not
gold) or out of scope. The answer threshold is the lowest that keeps wrong
answers (wrong + out of scope above it) within a target rate, so the most
questions are answered (the middle of the range that answers that many); the suggest threshold, below it, best separates
questions worth offering candidates for from those that should escalate.
Each threshold sits midway in the gap between neighbouring scores, so small
score shifts do not flip decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Label(StrEnum):
    """What answering with the best hit would be."""

    RIGHT = "right"
    WRONG = "wrong"  # in scope, but the best hit is not a gold entry
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Scored:
    """One labelled question's best score; ``gold_in_top`` says suggestions would contain gold."""

    score: float
    label: Label
    gold_in_top: bool = False
    # Escalated whatever the thresholds (the best entry does not give what was asked, see
    # ``faq_bot.asked``): never answered or suggested.
    blocked: bool = False


@dataclass(frozen=True)
class Thresholds:
    """A proposed pair and the figures it gives on the data it was fitted to."""

    answer: float
    suggest: float
    answered_correctly: float  # over in-scope questions
    wrong_answers: float  # over all questions
    oos_rejection: float


def _midpoint(sorted_scores: Sequence[float], i: int) -> float:
    """A threshold between sorted_scores[i-1] and sorted_scores[i] (below all for i=0)."""
    if i <= 0:
        return max(0.0, sorted_scores[0] - 0.01) if sorted_scores else 0.5
    if i >= len(sorted_scores):
        return min(1.0, sorted_scores[-1] + 0.01)
    return (sorted_scores[i - 1] + sorted_scores[i]) / 2


def figures(data: Sequence[Scored], answer: float, suggest: float) -> Thresholds:
    """What a threshold pair gives on labelled data."""
    n = len(data) or 1
    in_scope = [d for d in data if d.label != Label.OUT_OF_SCOPE] or []
    oos = [d for d in data if d.label == Label.OUT_OF_SCOPE]
    right = sum(d.label == Label.RIGHT and d.score >= answer and not d.blocked for d in in_scope)
    wrong = sum(d.label != Label.RIGHT and d.score >= answer and not d.blocked for d in data)
    rejected = sum(d.score < suggest or d.blocked for d in oos)
    return Thresholds(
        round(answer, 4),
        round(suggest, 4),
        round(right / len(in_scope), 4) if in_scope else 0.0,
        round(wrong / n, 4),
        round(rejected / len(oos), 4) if oos else 1.0,
    )


def propose(data: Sequence[Scored], max_wrong: float = 0.02) -> Thresholds:
    """Thresholds with the most right answers whose wrong-answer rate is at most ``max_wrong``."""
    scores = sorted({round(d.score, 6) for d in data})
    best_right = -1
    tied: list[float] = []  # thresholds giving the most right answers within the rate
    for i in range(len(scores) + 1):
        t = _midpoint(scores, i)
        f = figures(data, t, t)
        if f.wrong_answers <= max_wrong + 1e-9:
            right = round(f.answered_correctly * 10_000)
            if right > best_right:
                best_right, tied = right, [t]
            elif right == best_right:
                tied.append(t)
    # Equally many right answers over a range of thresholds: take its middle, the widest
    # margin to the scores on either side (a question a little off either way keeps its fate).
    best_answer = (min(tied) + max(tied)) / 2 if tied else 1.0
    # Suggest: below the answer threshold, maximise escalated out-of-scope questions plus
    # in-scope ones that would get useful candidates (gold among them).
    below = [s for s in scores if s < best_answer]
    best_suggest, best_gain = best_answer, -1
    for i in range(len(below) + 1):
        t = _midpoint(below, i) if below else best_answer
        t = min(t, best_answer)
        gain = sum(
            (d.label == Label.OUT_OF_SCOPE and (d.score < t or d.blocked))
            or (d.label != Label.OUT_OF_SCOPE and t <= d.score < best_answer and d.gold_in_top and not d.blocked)
            for d in data
        )
        if gain > best_gain:
            best_gain, best_suggest = gain, t
    return figures(data, best_answer, best_suggest)
