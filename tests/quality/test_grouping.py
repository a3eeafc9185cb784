from __future__ import annotations

import itertools

from faq_bot.quality.grouping import group_questions
from faq_bot.storage.chatlog import LoggedQuestion
from tests.fakes import FakeEmbedder

_ids = itertools.count()


def q(text: str, entry: str | None = None, t: float = 0.0) -> LoggedQuestion:
    return LoggedQuestion(f"r{next(_ids)}", t, text, "escalate", entry, 0.1, "v", None, None, None)


def test_similar_questions_form_one_group_with_a_count() -> None:
    asked = [q("領収書を発行してほしい", "2"), q("領収書を発行してほしいです", "2"), q("領収書を発行してほしい", "2")]
    asked += [q("社員食堂はありますか", None, 5.0)]
    groups = group_questions(asked, FakeEmbedder(), similarity=0.75)
    assert [g.count for g in groups] == [3, 1]
    assert groups[0].representative == "領収書を発行してほしい" and groups[0].nearest_entry == "2"
    assert groups[1].last_seen == 5.0


def test_no_questions_no_groups() -> None:
    assert group_questions([], FakeEmbedder()) == []
