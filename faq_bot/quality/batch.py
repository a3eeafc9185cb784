"""A batch coverage test: a labelled question set run against the live FAQ, with a threshold proposal."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from faq_bot.content.faq import FaqEntry
from faq_bot.content.queries import NEAR_MISS_STYLE, QUERY_SET, LabelledQuery, check_labels, queries_of
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


def template_rows(entries: Sequence[FaqEntry]) -> list[list[str]]:
    """A question set to start from, for the FAQ given: the headings, one of its questions as it is, and a line
    for each kind of question worth asking (to be replaced with the staff's own)."""
    first = entries[0] if entries else None
    id_ = first.id if first else "1"
    rows = [["質問", "正解", "文体", "絞り込み"]]
    if first is not None:
        rows.append([first.question, id_, "FAQの質問そのまま", ""])
    rows += [
        [f"（訪問者が書きそうな言い方で、FAQ {id_} が答える質問）", id_, "言い換え", ""],
        ["（FAQの話題に近いが、FAQでは答えられない質問）", "なし", NEAR_MISS_STYLE, ""],
        ["（FAQとは関係のない質問）", "なし", "", ""],
    ]
    return rows


def batch_queries(
    raw: bytes,
    source: str,
    known_ids: Collection[str],
    known_categories: Collection[str],
    *,
    pasted: bool = False,
    category_of: Mapping[str, str] | None = None,
) -> list[LabelledQuery]:
    """The questions of an uploaded set (TSV or .xlsx); ``FaqFormatError`` if it has none or too many, or names
    a gold id or a category the live FAQ (``known_ids``, ``known_categories``) does not have (``check_labels``).
    ``pasted``: a table pasted from Excel, numbered by its rows (a box of text shows no line numbers)."""
    queries = queries_of(raw, source, by_row=pasted)
    if not queries:
        raise FaqFormatError(source, [FormatProblem(None, None, "質問の行が1件もありません。")], what=QUERY_SET)
    if len(queries) > MAX_BATCH:
        problem = FormatProblem(None, None, f"一度に{MAX_BATCH}問までです（{len(queries)}問あります）。")
        raise FaqFormatError(source, [problem], what=QUERY_SET)
    check_labels(queries, source, known_ids, known_categories, category_of=category_of)
    return queries


def run_batch(
    engine: Engine, queries: list[LabelledQuery], max_wrong: float = MAX_WRONG, progress: Progress | None = None
) -> BatchResult:
    """Ask every question; measure; propose thresholds (a もしかして threshold only where the questions place one:
    ``calibrate.with_current_suggest``)."""
    report = evaluate(engine, queries, progress=progress)
    current = engine.params.decision.suggest_threshold
    return BatchResult(report, proposal_for(scored(report.outcomes), max_wrong, current))
