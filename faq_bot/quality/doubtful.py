"""Answers worth a second look: logged questions the bot answered with a low probability, or that got a 👎.

A wrong confident answer is the worst a visitor can get, and the question log's unanswered list never shows one
(the bot did answer). Wrong answers gather where the decision model was least sure: of the answers given on the
five labelled sets of three FAQs (the bundled one, a municipal and a university FAQ), 41 of the 47 wrong ones had
a probability under 80 %, against 60 % of all answers (under 70 %: 28 of 47, and 40 %). So staff review the
answered questions under a probability they choose (``REVIEW_LEVELS``), the least probable first, and every
answer a visitor rated 👎; each is confirmed (right, or nothing the FAQ should answer: it leaves the list) or
added as an alternate of the entry that should answer it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from faq_bot.storage.chatlog import ChatLog, LoggedQuestion

#: The probabilities staff can review answers under; ``REVIEW_BELOW`` is the page's first choice.
REVIEW_LEVELS = (0.6, 0.7, 0.8, 0.9)
REVIEW_BELOW = 0.8
#: Questions read at most for one page (the least probable first; a month's log holds far fewer to check).
REVIEW_LIMIT = 5000


@dataclass(frozen=True)
class DoubtfulAnswer:
    """One question (the same words, answered with the same entry in the same categories, counted once) to check."""

    message: str
    entry_id: str
    categories: tuple[str, ...]  # the categories the visitor narrowed the question to (none: the whole FAQ)
    confidence: float  # the lowest probability it was answered with
    count: int
    down: int  # 👎 ratings
    comments: tuple[str, ...]  # what visitors wrote with their rating
    last_seen: float
    request_ids: tuple[str, ...]


@dataclass(frozen=True)
class DoubtfulPage:
    """One page of answers to check: those rated 👎 first, then the least probable."""

    rows: list[DoubtfulAnswer]
    page: int
    pages: int
    total_rows: int
    total_questions: int


def doubtful_answers(questions: Sequence[LoggedQuestion]) -> list[DoubtfulAnswer]:
    """The logged answers as rows to check, the same words answered with the same entry (in the same categories) as
    one row: a row with a 👎 first, then the least probable, then the most recently asked."""
    merged: dict[tuple[str, str, str], list[LoggedQuestion]] = {}
    for q in questions:
        merged.setdefault((q.message, q.entry_id or "", q.categories), []).append(q)
    rows = [
        DoubtfulAnswer(
            message=message,
            entry_id=entry_id,
            categories=tuple(c for c in categories.split("|") if c),
            confidence=min(q.confidence for q in asked),
            count=len(asked),
            down=sum(q.rating == "down" for q in asked),
            comments=tuple(q.comment for q in asked if q.rating == "down" and q.comment),
            last_seen=max(q.created for q in asked),
            request_ids=tuple(q.request_id for q in asked),
        )
        for (message, entry_id, categories), asked in merged.items()
    ]
    rows.sort(key=lambda r: (r.down == 0, r.confidence, -r.last_seen))
    return rows


def doubtful_page(questions: Sequence[LoggedQuestion], page: int = 1, per_page: int = 30) -> DoubtfulPage:
    """One page of ``doubtful_answers`` (a page past the last is the last)."""
    rows = doubtful_answers(questions)
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    return DoubtfulPage(rows[start : start + per_page], page, pages, len(rows), len(questions))


def review(chatlog: ChatLog, days: int, below: float, page: int = 1, per_page: int = 30) -> DoubtfulPage:
    """One page of the answers to check of the last ``days`` days (0: all), answered under ``below`` or rated 👎."""
    since = time.time() - days * 86400 if days else 0.0
    return doubtful_page(chatlog.doubtful_answers(since, below, REVIEW_LIMIT), page, per_page)
