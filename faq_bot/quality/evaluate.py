"""Measuring retrieval quality on a query set with expected ("gold") entry ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from faq_bot.content.queries import LabelledQuery
from faq_bot.quality.calibrate import Label, Scored
from faq_bot.quality.judging import is_right
from faq_bot.retrieval.decision import Decision, Reply
from faq_bot.retrieval.engine import Engine


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one labelled query."""

    query: LabelledQuery
    reply: Reply

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
    def ok(self) -> bool:
        """The right outcome: a correct answer in scope, escalation out of scope."""
        return is_right(self.reply, self.query.gold)


@dataclass(frozen=True)
class Report:
    """Metrics over a query set, a per-category table and the outcomes themselves."""

    metrics: dict[str, float | int]
    categories: list[dict[str, Any]]
    outcomes: list[Outcome]

    @property
    def misses(self) -> list[Outcome]:
        """Outcomes that were not right (see ``Outcome.ok``)."""
        return [o for o in self.outcomes if not o.ok]


def _ratio(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


def metrics_of(outcomes: Sequence[Outcome]) -> dict[str, float | int]:
    """The summary metrics of ``faq-bot eval``."""
    ins = [o for o in outcomes if o.in_scope]
    oos = [o for o in outcomes if not o.in_scope]
    return {
        "n_in_scope": len(ins),
        "n_out_of_scope": len(oos),
        "top1": _ratio(sum(o.rank == 1 for o in ins), len(ins)),
        "top3": _ratio(sum(o.rank is not None and o.rank <= 3 for o in ins), len(ins)),
        "mrr": round(sum(1 / o.rank for o in ins if o.rank) / len(ins), 4) if ins else 0.0,
        "answered_correctly": _ratio(sum(o.answered_correctly for o in ins), len(ins)),
        "wrong_answers": _ratio(sum(o.wrong_answer for o in outcomes), len(outcomes)),
        "suggest_hit": _ratio(sum(o.suggest_hit for o in ins), len(ins)),
        "oos_rejection": _ratio(sum(o.reply.decision == Decision.ESCALATE for o in oos), len(oos)),
    }


def evaluate(engine: Engine, queries: Sequence[LabelledQuery], top_k: int = 10) -> Report:
    """Ask every query and measure."""
    outcomes = [Outcome(q, engine.ask(q.query, k=top_k)) for q in queries]
    categories_of = {e.id: e.category for e in engine.current.index.entries}
    table: dict[str, list[Outcome]] = {}
    for o in outcomes:
        key = categories_of.get(o.query.gold[0], "?") if o.in_scope else "(対象外)"
        table.setdefault(key or "(分類なし)", []).append(o)
    in_scope_keys = ("n_in_scope", "top1", "top3", "mrr", "answered_correctly", "wrong_answers", "suggest_hit")
    categories = []
    for name, group in table.items():
        m = metrics_of(group)
        keys = in_scope_keys if name != "(対象外)" else ("n_out_of_scope", "oos_rejection")
        categories.append({"category": name, **{k: m[k] for k in keys}})
    return Report(metrics_of(outcomes), categories, outcomes)


def ranking_line(o: Outcome) -> dict[str, Any]:
    """One ``--rankings`` JSON line."""
    return {
        "query": o.query.query,
        "gold": list(o.query.gold),
        "decision": str(o.reply.decision),
        "hits": [{"id": h.entry.id, "score": round(h.score, 4)} for h in o.reply.search.hits],
    }


def miss_line(o: Outcome) -> dict[str, Any]:
    """A compact description of a miss for printing."""
    top = o.reply.search.hits[0] if o.reply.search.hits else None
    return {
        "query": o.query.query,
        "gold": ",".join(o.query.gold) or "(escalate)",
        "decision": str(o.reply.decision),
        "top": top.entry.id if top else "-",
        "score": round(top.score, 3) if top else 0.0,
        "rank": o.rank,
    }


def report_dict(report: Report) -> dict[str, Any]:
    """Everything as plain data (for ``--json``)."""
    return {**report.metrics, "categories": report.categories, "misses": [miss_line(o) for o in report.misses]}


def scored(outcomes: Sequence[Outcome], top: int = 3) -> list[Scored]:
    """The calibration input of each outcome: best score and what answering with it would be."""
    out = []
    for o in outcomes:
        hits = o.reply.search.hits
        score = hits[0].score if hits else 0.0
        if not o.in_scope:
            label = Label.OUT_OF_SCOPE
        else:
            label = Label.RIGHT if hits and hits[0].entry.id in o.query.gold else Label.WRONG
        out.append(Scored(score, label, o.rank is not None and o.rank <= top, bool(o.reply.unanswered)))
    return out
