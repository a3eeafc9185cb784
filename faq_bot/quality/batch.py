"""A batch coverage test: a labelled question set run against the live FAQ, with a threshold proposal."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from faq_bot.content.queries import QUERY_SET, LabelledQuery, queries_of
from faq_bot.errors import FaqFormatError, FormatProblem
from faq_bot.progress import Progress
from faq_bot.quality.calibrate import MAX_WRONG, Thresholds, proposal_for
from faq_bot.quality.evaluate import Report, evaluate, scored
from faq_bot.retrieval.engine import Engine

MAX_BATCH = 5000


@dataclass(frozen=True)
class BatchResult:
    """The report and the thresholds proposed from it (None when its questions cannot support a proposal)."""

    report: Report
    proposal: Thresholds | None


def batch_queries(
    raw: bytes, source: str, known_ids: Collection[str] | None = None, known_categories: Collection[str] | None = None
) -> list[LabelledQuery]:
    """The questions of an uploaded set (TSV or .xlsx); ``FaqFormatError`` if it has none or too many, or
    (with ``known_ids``, the live FAQ's) names a gold id the FAQ does not have: a typo would count as a
    wrong answer and move every figure; so (with ``known_categories``) does a category to narrow to that the FAQ
    does not have."""
    queries = queries_of(raw, source)
    if not queries:
        raise FaqFormatError(source, [FormatProblem(None, None, "質問の行が1件もありません。")], what=QUERY_SET)
    if len(queries) > MAX_BATCH:
        problem = FormatProblem(None, None, f"一度に{MAX_BATCH}問までです（{len(queries)}問あります）。")
        raise FaqFormatError(source, [problem], what=QUERY_SET)
    # Each line's unknown ids and categories, in line order.
    unknown = [
        problem
        for q in queries
        for problem in (
            *(FormatProblem(q.line, "正解", f"正解のid「{g}」は公開中のFAQにありません。")
              for g in q.gold if known_ids is not None and g not in known_ids),
            *(FormatProblem(q.line, "絞り込み", f"分類「{c}」は公開中のFAQにありません。")
              for c in q.categories if known_categories is not None and c not in known_categories),
        )
    ]  # fmt: skip
    if unknown:
        raise FaqFormatError(source, unknown, what=QUERY_SET)
    return queries


def run_batch(
    engine: Engine, queries: list[LabelledQuery], max_wrong: float = MAX_WRONG, progress: Progress | None = None
) -> BatchResult:
    """Ask every question; measure; propose thresholds (a もしかして threshold only where the questions place one:
    ``calibrate.with_current_suggest``)."""
    report = evaluate(engine, queries, progress=progress)
    current = engine.params.decision.suggest_threshold
    return BatchResult(report, proposal_for(scored(report.outcomes), max_wrong, current))
