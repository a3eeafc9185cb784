"""Answers worth a second look: logged questions the bot answered with a low probability, or that got a 👎.

A wrong confident answer is the worst a visitor can get, and the question log's unanswered list never shows one
(the bot did answer). Wrong answers gather where the decision model was least sure: of the answers given on the
five labelled sets of three FAQs (the bundled one, a municipal and a university FAQ), 41 of the 47 wrong ones had
a probability under 80 %, against 60 % of all answers (under 70 %: 28 of 47, and 40 %). So staff review the
answered questions under a probability they choose (``REVIEW_LEVELS``), the least probable first, and every
answer a visitor rated 👎; each is confirmed as right (確認済み: later publishes are checked against it), taken off
as nothing the FAQ should answer (対応不要), added as an alternate of the entry that should answer it, or made into
a new entry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from faq_bot.storage.chatlog import ChatLog, DoubtfulAnswer

#: The probabilities staff can review answers under; ``REVIEW_BELOW`` is the page's first choice.
REVIEW_LEVELS = (0.6, 0.7, 0.8, 0.9)
REVIEW_BELOW = 0.8
#: Pages past this are read as this (the database's offsets are 64-bit integers).
MAX_PAGE = 10**9


@dataclass(frozen=True)
class DoubtfulPage:
    """One page of answers to check: those rated 👎 first, then the least probable (``ChatLog.doubtful_answers``)."""

    rows: list[DoubtfulAnswer]
    page: int
    pages: int
    total_rows: int
    total_questions: int


def review(chatlog: ChatLog, days: int, below: float, page: int = 1, per_page: int = 30) -> DoubtfulPage:
    """One page of the answers to check of the last ``days`` days (0: all), answered under ``below`` or rated 👎
    (a page past the last is the last)."""
    since = time.time() - days * 86400 if days else 0.0
    page = min(max(page, 1), MAX_PAGE)  # an offset the database can hold (a page past the last is the last anyway)
    rows, total_rows, total_questions = chatlog.doubtful_answers(since, below, (page - 1) * per_page, per_page)
    pages = max(1, -(-total_rows // per_page))
    if page > pages:  # past the end (the list shrank, or a hand-typed page): the last page
        page = pages
        rows, total_rows, total_questions = chatlog.doubtful_answers(since, below, (page - 1) * per_page, per_page)
    return DoubtfulPage(rows, page, pages, total_rows, total_questions)
