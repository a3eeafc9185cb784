"""The regression set: questions whose outcome a publish must not change unnoticed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from faq_bot.content.queries import LabelledQuery, read_queries
from faq_bot.errors import FaqFormatError
from faq_bot.model.embedder import Embedder
from faq_bot.quality.judging import is_right_label, outcome_label, outcome_text
from faq_bot.retrieval.engine import Loaded

log = logging.getLogger("faq_bot.publishing")


@dataclass(frozen=True)
class RegressionChange:
    """A regression-set question whose outcome would change."""

    query: str
    expected: tuple[str, ...]
    before: str  # "answer:12", "suggest:3", "escalate"
    after: str
    verdict: str  # 改善 (now right), 悪化 (now wrong), 変化 (changed, still right or still wrong)

    @property
    def before_label(self) -> str:
        """The outcome before, as editors read it (回答 12, もしかして 3,4, 担当者へ案内)."""
        return outcome_text(self.before)

    @property
    def after_label(self) -> str:
        """The outcome after, as editors read it."""
        return outcome_text(self.after)


def regression_set(path: Path | None) -> list[LabelledQuery]:
    """The questions of the regression file (none if it is missing or unusable, with a warning; a line that
    cannot be a question is left out, not the whole set)."""
    if path is None or not path.is_file():
        return []
    try:
        return read_queries(path, skip_incomplete=True)
    except FaqFormatError as exc:
        log.warning("regression set unusable: %s", exc)
        return []


def regression_changes(
    queries: Sequence[LabelledQuery], old: Loaded, new: Loaded, encoder: Embedder
) -> list[RegressionChange]:
    """Regression questions whose decision or answer differs between two versions of the FAQ."""
    if not queries:
        return []
    # Each FAQ may respell a hiragana question differently (and knows other words): one batch for
    # both sides' texts, each question read once per side.
    parsed = [(old.retriever.parse(q.query), new.retriever.parse(q.query)) for q in queries]
    texts = [(old.retriever.views(a), new.retriever.views(b)) for a, b in parsed]
    unique = list(dict.fromkeys(t for pair in texts for side in pair for t in side))
    encoded = dict(zip(unique, encoder.encode_queries(unique), strict=True))

    def vectors(views: list[str]) -> npt.NDArray[np.float32]:
        return np.stack([encoded[t] for t in views])

    out = []
    for q, (old_views, new_views), (read_old, read_new) in zip(queries, texts, parsed, strict=True):
        a = outcome_label(old.reply(old.retriever.search(q.query, query_vectors=vectors(old_views), parsed=read_old)))
        b = outcome_label(new.reply(new.retriever.search(q.query, query_vectors=vectors(new_views), parsed=read_new)))
        if a != b:
            ra, rb = is_right_label(a, q.gold), is_right_label(b, q.gold)
            verdict = "改善" if rb and not ra else "悪化" if ra and not rb else "変化"
            out.append(RegressionChange(q.query, q.gold, a, b, verdict))
    return out
