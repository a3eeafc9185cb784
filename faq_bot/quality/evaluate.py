"""Measuring answer quality on a labelled question set, overall, per style of question and per category.

Figures (``faq-bot eval``): ``top1``/``top3``/``mrr`` rank the entries; ``answered_correctly``
(answered with a gold entry, over in-scope questions), ``helpful`` (that, or a gold entry among
the もしかして candidates), ``wrong_answers`` (answered with a non-gold entry, over all
questions), ``oos_rejection`` (out-of-scope questions not answered or suggested), and
``near_oos_safe`` for questions of style ``near-oos``: not answered, or answered with an
entry that only refers the visitor to a person (``faq_bot.retrieval.decision.is_referral``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from faq_bot.content.queries import NEAR_MISS_STYLE, LabelledQuery
from faq_bot.progress import Progress
from faq_bot.quality.calibrate import Label, Scored
from faq_bot.quality.judging import is_right
from faq_bot.retrieval.decision import (
    Decision,
    Reply,
    grounded,
    is_referral,
    names_nothing,
    outranked,
    topic_score,
)
from faq_bot.retrieval.engine import Engine
from faq_bot.retrieval.params import DecisionParams

#: Decisions that neither answer nor offer candidates.
_NOT_ANSWERED = (Decision.ESCALATE, Decision.SMALLTALK)


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one labelled query."""

    query: LabelledQuery
    reply: Reply
    referral: bool = False  # the answer only refers the visitor to a person
    candidates: int = 3  # how many もしかして candidates the decision offers (``DecisionParams.suggestion_count``)
    candidate_threshold: float = 0.05  # and how probable each must be (``DecisionParams.candidate_threshold``)

    @property
    def ranked_ids(self) -> list[str]:
        return [h.entry.id for h in self.reply.search.hits]

    @property
    def rank(self) -> int | None:
        """1-based rank of the first gold entry among the hits, None if absent."""
        return next((i + 1 for i, eid in enumerate(self.ranked_ids) if eid in self.query.gold), None)

    @property
    def in_scope(self) -> bool:
        return bool(self.query.gold)

    @property
    def answered_correctly(self) -> bool:
        hit = self.reply.hit
        return self.reply.decision == Decision.ANSWER and hit is not None and hit.entry.id in self.query.gold

    @property
    def wrong_answer(self) -> bool:
        hit = self.reply.hit
        return self.reply.decision == Decision.ANSWER and hit is not None and hit.entry.id not in self.query.gold

    @property
    def suggest_hit(self) -> bool:
        return self.reply.decision == Decision.SUGGEST and any(
            h.entry.id in self.query.gold for h in self.reply.suggestions
        )

    @property
    def helpful(self) -> bool:
        """Answered right, or the right entry among the もしかして candidates."""
        return self.answered_correctly or self.suggest_hit

    @property
    def safe(self) -> bool:
        """For a question the FAQ does not answer: no answer, or one that only refers to a person."""
        return self.reply.decision != Decision.ANSWER or self.referral

    @property
    def ok(self) -> bool:
        """The right outcome: a correct answer in scope, escalation out of scope."""
        return is_right(self.reply, self.query.gold)


@dataclass(frozen=True)
class Report:
    """Metrics over a query set, per style, per category, and the outcomes themselves."""

    metrics: dict[str, float | int]
    styles: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    outcomes: list[Outcome]

    @property
    def misses(self) -> list[Outcome]:
        """Outcomes that were not right (see ``Outcome.ok``)."""
        return [o for o in self.outcomes if not o.ok]


def _ratio(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


def metrics_of(outcomes: Sequence[Outcome]) -> dict[str, float | int]:
    """The summary metrics of ``faq-bot eval`` (see the module docstring)."""
    ins = [o for o in outcomes if o.in_scope]
    oos = [o for o in outcomes if not o.in_scope]
    near = [o for o in oos if o.query.style == NEAR_MISS_STYLE]
    out: dict[str, float | int] = {
        "n": len(outcomes),
        "n_in_scope": len(ins),
        "n_out_of_scope": len(oos),
        "top1": _ratio(sum(o.rank == 1 for o in ins), len(ins)),
        "top3": _ratio(sum(o.rank is not None and o.rank <= 3 for o in ins), len(ins)),
        "mrr": round(sum(1 / o.rank for o in ins if o.rank) / len(ins), 4) if ins else 0.0,
        "answered_correctly": _ratio(sum(o.answered_correctly for o in ins), len(ins)),
        "helpful": _ratio(sum(o.helpful for o in ins), len(ins)),
        "wrong_answers": _ratio(sum(o.wrong_answer for o in outcomes), len(outcomes)),
        "suggest_hit": _ratio(sum(o.suggest_hit for o in ins), len(ins)),
        "oos_rejection": _ratio(sum(o.reply.decision in _NOT_ANSWERED for o in oos), len(oos)),
    }
    if near:
        out["near_oos_safe"] = _ratio(sum(o.safe for o in near), len(near))
    return out


#: What each figure of ``metrics_of`` means, in the words of the batch report (the command line prints them beside
#: the keys scripts read).
METRIC_NAMES = {
    "n": "質問数", "n_in_scope": "範囲内の質問", "n_out_of_scope": "範囲外の質問", "top1": "1位が正解",
    "top3": "3位以内に正解", "mrr": "正解の順位の逆数の平均", "answered_correctly": "正しく回答（範囲内）",
    "helpful": "役に立った（回答か、もしかしてに正解）", "wrong_answers": "誤った回答（全体）",
    "suggest_hit": "もしかしての候補に正解", "oos_rejection": "範囲外を担当者へ案内",
    "near_oos_safe": "近いが対象外の質問で安全",
}  # fmt: skip


#: Per group (style, category), the figures that apply to in-scope and to out-of-scope questions.
IN_SCOPE_KEYS = ("top1", "top3", "answered_correctly", "helpful", "wrong_answers")
OUT_OF_SCOPE_KEYS = ("oos_rejection", "near_oos_safe", "wrong_answers")


def _table(groups: dict[str, list[Outcome]], label: str) -> list[dict[str, Any]]:
    rows = []
    for name, group in groups.items():
        m = metrics_of(group)
        # A group of both kinds (a paraphrase that should go to a person) gets both kinds of figures.
        keys = (IN_SCOPE_KEYS if m["n_in_scope"] else ()) + (OUT_OF_SCOPE_KEYS if m["n_out_of_scope"] else ())
        counts = {k: m[k] for k in ("n_in_scope", "n_out_of_scope")}
        rows.append({label: name, "n": len(group), **counts, **{k: m[k] for k in keys if k in m}})
    return rows


def outcomes_of(queries: Sequence[LabelledQuery], replies: Sequence[Reply], decision: DecisionParams) -> list[Outcome]:
    """Pair labelled questions with the replies they got."""
    return [
        Outcome(
            q,
            r,
            r.hit is not None and is_referral(r.hit.entry, decision),
            decision.suggestion_count,
            decision.candidate_threshold,
        )
        for q, r in zip(queries, replies, strict=True)
    ]


def report_of(outcomes: list[Outcome], category_of: dict[str, str]) -> Report:
    """Metrics overall, per style (when the set has a ``style`` column) and per category."""
    styles: dict[str, list[Outcome]] = {}
    categories: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.query.style:
            styles.setdefault(o.query.style, []).append(o)
        key = category_of.get(o.query.gold[0], "?") if o.in_scope else "(対象外)"
        categories.setdefault(key or "(分類なし)", []).append(o)
    return Report(metrics_of(outcomes), _table(styles, "style"), _table(categories, "category"), outcomes)


def by_source(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """Every figure per labelled file (``LabelledQuery.source``): calibration holds the wrong-answer bar in each."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(o.query.source, []).append(o)
    return [{"source": name, "n": len(group), **metrics_of(group)} for name, group in groups.items()]


def evaluate(
    engine: Engine, queries: Sequence[LabelledQuery], top_k: int = 10, progress: Progress | None = None
) -> Report:
    """Ask every query (encoded in batches by the bulk encoder, out of the visitors' way; in its categories, if it
    names any) and measure."""
    loaded = engine.current
    narrowed = [q.categories for q in queries]
    searches = loaded.search_many([q.query for q in queries], engine.bulk, progress=progress, categories=narrowed)
    replies = [loaded.reply(s) for s in searches]
    outcomes = outcomes_of(queries, replies, loaded.params.decision)
    return report_of(outcomes, {e.id: e.category for e in loaded.index.entries})


def ranking_line(o: Outcome) -> dict[str, Any]:
    """One ``--rankings`` JSON line."""
    return {
        "query": o.query.query,
        "gold": list(o.query.gold),
        "decision": str(o.reply.decision),
        "hits": [{"id": h.entry.id, "score": round(h.confidence, 4)} for h in o.reply.search.hits],
    }


def miss_line(o: Outcome) -> dict[str, Any]:
    """A compact description of a miss for printing."""
    top = o.reply.search.hits[0] if o.reply.search.hits else None
    return {
        "query": o.query.query,
        "style": o.query.style,
        "gold": ",".join(o.query.gold) or "(escalate)",
        "decision": str(o.reply.decision),
        "top": top.entry.id if top else "-",
        "score": round(top.confidence, 3) if top else 0.0,
        "rank": o.rank,
    }


def report_dict(report: Report) -> dict[str, Any]:
    """Everything as plain data (for ``--json``)."""
    return {
        **report.metrics,
        "styles": report.styles,
        "categories": report.categories,
        "misses": [miss_line(o) for o in report.misses],
    }


#: The topic score of a question with no candidate probable enough to offer: under any もしかして threshold.
NO_CANDIDATES = -1.0


def scored(outcomes: Sequence[Outcome], top: int | None = None) -> list[Scored]:
    """The calibration input of each outcome: best probability, topic score, and what answering would be;
    ``top`` candidates count as offered (default: as many as the decision offered, ``Outcome.candidates``)."""
    out = []
    for o in outcomes:
        n = top if top is not None else o.candidates
        search = o.reply.search
        hits = search.hits
        score = hits[0].confidence if hits else 0.0
        if not o.in_scope:
            label = Label.OUT_OF_SCOPE
        else:
            label = Label.RIGHT if hits and hits[0].entry.id in o.query.gold else Label.WRONG
        # The candidates decide() would offer: the first n probable enough (none: never もしかして, whatever the
        # threshold, so the topic score is put below any).
        offered = [h for h in hits[:n] if h.candidate_confidence >= o.candidate_threshold]
        candidates = topic_score(search, n) if offered else NO_CANDIDATES
        near = o.query.style == NEAR_MISS_STYLE
        # Escalated whatever the thresholds: the best entry lacks what was asked, or the message names nothing.
        blocked = bool(o.reply.unanswered) or names_nothing(search.analysis)
        in_top = any(h.entry.id in o.query.gold for h in offered)
        topic = search.topic_probability
        rooted = bool(hits) and grounded(hits[0])
        out.append(Scored(score, label, in_top, blocked, candidates, near, o.query.source, topic, rooted,
                          outranked(search) is not None))  # fmt: skip
    return out
