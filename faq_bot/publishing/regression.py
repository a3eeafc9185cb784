"""The regression set: questions whose outcome a publish must not change unnoticed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from faq_bot.content.queries import LabelledQuery, read_queries
from faq_bot.errors import FaqFormatError
from faq_bot.quality.judging import is_right_label, outcome_label
from faq_bot.retrieval.decision import decide
from faq_bot.retrieval.params import DecisionParams
from faq_bot.retrieval.retriever import Retriever

log = logging.getLogger("faq_bot.publishing")


@dataclass(frozen=True)
class RegressionChange:
    """A regression-set question whose outcome would change."""

    query: str
    expected: tuple[str, ...]
    before: str  # "answer:12", "suggest:3", "escalate"
    after: str
    verdict: str  # 改善 (now right), 悪化 (now wrong), 変化 (changed, still right or still wrong)


def regression_set(path: Path | None) -> list[LabelledQuery]:
    """The questions of the regression file (none if it is missing or unusable, with a warning)."""
    if path is None or not path.is_file():
        return []
    try:
        return read_queries(path)
    except FaqFormatError as exc:
        log.warning("regression set unusable: %s", exc)
        return []


def regression_changes(
    queries: Sequence[LabelledQuery], old: Retriever, new: Retriever, decision: DecisionParams
) -> list[RegressionChange]:
    """Regression questions whose decision or answer differs between two indexes."""
    if not queries:
        return []
    # Each FAQ may respell a hiragana question differently: one batch for both sides' texts.
    texts = [(old.analyze(q.query).normalized, new.analyze(q.query).normalized) for q in queries]
    unique = list(dict.fromkeys(t for pair in texts for t in pair))
    vectors = dict(zip(unique, old.embedder.encode_queries(unique), strict=True))
    out = []
    for q, (old_text, new_text) in zip(queries, texts, strict=True):
        a = outcome_label(decide(old.search(q.query, query_vector=vectors[old_text]), decision))
        b = outcome_label(decide(new.search(q.query, query_vector=vectors[new_text]), decision))
        if a != b:
            ra, rb = is_right_label(a, q.gold), is_right_label(b, q.gold)
            verdict = "改善" if rb and not ra else "悪化" if ra and not rb else "変化"
            out.append(RegressionChange(q.query, q.gold, a, b, verdict))
    return out
