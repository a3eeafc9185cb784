"""The batch coverage report: result table, summaries, confused pairs, CSV and HTML (plots in ``plots``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from faq_bot import assets
from faq_bot.quality.calibrate import (
    FEW_QUESTIONS,
    MAX_WRONG,
    NEVER_SUGGEST,
    Thresholds,
    figures,
    why_no_proposal,
    with_current_suggest,
)
from faq_bot.quality.evaluate import Outcome, Report, scored
from faq_bot.quality.explain import reason
from faq_bot.quality.plots import plots
from faq_bot.retrieval.decision import Decision, decision_label
from faq_bot.retrieval.params import DecisionParams
from faq_bot.spreadsheet import csv_text

DECISION_LABELS = {d.value: d.label for d in Decision}


@dataclass(frozen=True)
class Row:
    """One question of a batch test."""

    query: str
    expected: str
    got: str
    decision: str
    rank: int | None
    probability: float  # that the best entry's answer answers: what the answer threshold is compared to
    score: float
    dense: float
    lexical: float
    ok: bool
    categories: tuple[str, ...] = ()  # asked within these (the file's 絞り込み)
    reason: str = ""  # why a probable entry was not the answer (``explain.reason``), as the test console says it
    style: str = ""  # the file's 文体
    line: int = 0  # where the question stands in its file (the row Excel shows)


def rows(report: Report, decision: DecisionParams) -> list[Row]:
    """The result table."""
    out = []
    for o in report.outcomes:
        top = o.reply.search.hits[0] if o.reply.search.hits else None
        # 結果 is what the visitor got: the answering entry, the もしかして candidates, or nothing (a person).
        got = o.reply.hit.entry.id if o.reply.hit else ",".join(h.entry.id for h in o.reply.suggestions)
        out.append(
            Row(
                o.query.query,
                ",".join(o.query.gold),
                got,
                o.reply.decision.value,
                o.rank,
                round(o.reply.confidence, 4),
                round(top.score, 4) if top else 0.0,
                round(top.dense, 4) if top else 0.0,
                round(top.lexical, 4) if top else 0.0,
                o.ok,
                o.query.categories,
                reason(o.reply, decision),
                o.query.style,
                o.query.line,
            )
        )
    return out


def confused_pairs(outcomes: Sequence[Outcome], top: int = 10) -> list[tuple[str, str, int]]:
    """(expected id, id ranked first instead, count), most frequent first."""
    pairs: Counter[tuple[str, str]] = Counter()
    for o in outcomes:
        hits = o.reply.search.hits
        if o.in_scope and hits and hits[0].entry.id not in o.query.gold:
            pairs[(o.query.gold[0], hits[0].entry.id)] += 1
    return [(a, b, n) for (a, b), n in pairs.most_common(top)]


def entry_questions(outcomes: Sequence[Outcome]) -> dict[str, str]:
    """The question of every entry the searches met (id -> question), to name the entries by more than an id."""
    return {h.entry.id: h.entry.question for o in outcomes for h in o.reply.search.hits}


def _got(row: Row) -> str:
    """What the visitor got, as the page's 結果 column says it."""
    if row.decision == Decision.ESCALATE.value:
        return "担当者へ"
    if row.decision == Decision.SUGGEST.value:
        return f"候補 {row.got}"
    return row.got


def to_csv(table: Sequence[Row]) -> str:
    """The result table as CSV (UTF-8 with BOM so that Excel opens it right; no cell runs as a formula); the
    probability in %, as the page shows it (Excel reads 85.1% as a number), the scores as they are."""
    head = ["行", "質問", "期待", "結果", "判定", "理由", "期待の順位", "確率", "総合", "密", "語彙", "正しい",
            "絞り込み", "文体"]  # fmt: skip
    body = (
        [r.line or "", r.query, r.expected or "担当者へ", _got(r), decision_label(r.decision), r.reason, r.rank or "",
         f"{r.probability * 100:.1f}%", r.score, r.dense, r.lexical, "○" if r.ok else "×", "、".join(r.categories),
         r.style]
        for r in table
    )  # fmt: skip
    return csv_text([head, *body])


#: A proposed answer threshold this far under the current one is shown with a caution: a set of questions close
#: to the FAQ's own wording makes every answer look safe (five points: more than a proposal's usual wobble).
CAUTION_BELOW = 0.05


def _gains(proposal: Thresholds, current: Thresholds) -> bool:
    """True when the proposed thresholds change anything for the better on these questions: fewer wrong answers,
    or more answered right, helped or out-of-scope questions escalated."""
    pairs = [
        (proposal.answered_correctly, current.answered_correctly), (proposal.helpful, current.helpful),
        (proposal.oos_rejection, current.oos_rejection), (-proposal.wrong_answers, -current.wrong_answers),
    ]  # fmt: skip
    return any(p > c for p, c in pairs)


def _groups(metrics: Mapping[str, float | int]) -> list[float | int]:
    """The sizes of the groups the report's rates are over (in-scope, out-of-scope questions), those it has."""
    return [n for n in (metrics["n_in_scope"], metrics["n_out_of_scope"]) if n]


def few_questions(metrics: Mapping[str, float | int]) -> bool:
    """True when one question moves a rate of the report by a point or more: the in-scope or the out-of-scope
    questions are fewer than ``FEW_QUESTIONS`` (150 answerable questions and 5 unanswerable ones are few)."""
    return min(_groups(metrics), default=0) < FEW_QUESTIONS


def one_question_moves(metrics: Mapping[str, float | int]) -> str:
    """How many points one question moves a rate of the report at most, as the warning says it (「約33」, 「25」):
    100 over the smaller of the groups the rates are over (in-scope, out-of-scope questions)."""
    groups = _groups(metrics)
    points = 100 / min(groups) if groups else 100.0
    shown = f"{points:.0f}" if points >= 10 else f"{points:.1f}"  # 33 or 1.7: as precise as the claim needs
    return shown if float(shown) == points else f"約{shown}"


def context(
    report: Report, decision: DecisionParams, source: str, proposal: Any = None, max_wrong: float = MAX_WRONG,
    timezone: str = "Asia/Tokyo", table: Sequence[Row] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Everything the HTML report template shows (``table``: its ``rows``, when already made for the CSV).

    A proposed suggest threshold of 0 % is not shown as one: the report keeps the current one and shows the
    figures the proposed answer threshold gives with it (``calibrate.with_current_suggest``).
    """
    data = scored(report.outcomes)
    if proposal is not None:
        proposal = with_current_suggest(proposal, data, decision.suggest_threshold)
    current = figures(data, decision.answer_threshold, decision.suggest_threshold)
    no_gain = proposal is not None and not _gains(proposal, current)
    shown = proposal.answer if proposal is not None and not no_gain else None  # drawn only where it is proposed
    return {
        "decision_labels": DECISION_LABELS,
        "source": source,
        "generated": datetime.now(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z"),
        "metrics": report.metrics,
        "styles": report.styles,
        "categories": report.categories,
        "rows": rows(report, decision) if table is None else table,
        "confused": confused_pairs(report.outcomes),
        "entry_questions": entry_questions(report.outcomes),
        "plots": plots(report.outcomes, decision.answer_threshold, shown),
        "answer_threshold": decision.answer_threshold,
        "caution_below": CAUTION_BELOW,
        "suggest_threshold": decision.suggest_threshold,
        "proposal": proposal,
        "current": current,  # what the current thresholds give, beside the proposal
        "no_gain": no_gain,
        "no_proposal": why_no_proposal(data) if proposal is None else None,
        "few_questions": few_questions(report.metrics),
        "one_question_moves": one_question_moves(report.metrics),
        "suggest_not_proposed": proposal is not None and not proposal.suggest_proposed,
        "never_suggest": NEVER_SUGGEST,
        "max_wrong": max_wrong,
    }


def render_html(
    report: Report, decision: DecisionParams, source: str, proposal: Any = None, max_wrong: float = MAX_WRONG,
    timezone: str = "Asia/Tokyo",
) -> str:  # fmt: skip
    """A self-contained HTML report (plots embedded, no scripts)."""
    page = assets.environment().get_template("report.html")
    html: str = page.render(**context(report, decision, source, proposal, max_wrong, timezone))
    return html
