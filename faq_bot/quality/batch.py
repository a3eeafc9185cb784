"""A batch coverage test: a labelled question set run against the live FAQ, with a threshold proposal."""

from __future__ import annotations

from dataclasses import dataclass

from faq_bot.content.queries import QUERY_SET, LabelledQuery, decode_queries, parse_queries
from faq_bot.errors import FaqFormatError, FormatProblem
from faq_bot.progress import Progress
from faq_bot.quality.calibrate import MAX_WRONG, Thresholds, propose
from faq_bot.quality.evaluate import Report, evaluate, scored
from faq_bot.retrieval.engine import Engine

MAX_BATCH = 5000


@dataclass(frozen=True)
class BatchResult:
    """The report and the thresholds proposed from it."""

    report: Report
    proposal: Thresholds


def batch_queries(raw: bytes, source: str) -> list[LabelledQuery]:
    """The questions of an uploaded set; ``FaqFormatError`` if it has none or too many."""
    queries = parse_queries(decode_queries(raw, source), source)
    if not queries:
        raise FaqFormatError(source, [FormatProblem(None, None, "質問の行が1件もありません。")], what=QUERY_SET)
    if len(queries) > MAX_BATCH:
        problem = FormatProblem(None, None, f"一度に{MAX_BATCH}問までです（{len(queries)}問あります）。")
        raise FaqFormatError(source, [problem], what=QUERY_SET)
    return queries


def run_batch(
    engine: Engine, queries: list[LabelledQuery], max_wrong: float = MAX_WRONG, progress: Progress | None = None
) -> BatchResult:
    """Ask every question; measure; propose thresholds."""
    report = evaluate(engine, queries, progress=progress)
    return BatchResult(report, propose(scored(report.outcomes), max_wrong))
