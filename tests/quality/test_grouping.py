from __future__ import annotations

import itertools

from faq_bot.quality.grouping import QuestionGrouper, group_questions, summary
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


def test_a_page_summarises_only_its_groups_in_the_order_of_all_groups() -> None:
    asked = [q("領収書を発行してほしい", "2", 1.0), q("領収書を発行してほしいです", "2", 2.0)]
    asked += [q("社員食堂はありますか", None, 5.0)]
    asked += [q("駐車場はありますか", None, 3.0), q("駐車場はありますか", None, 4.0)]
    grouper = QuestionGrouper(0.75)
    grouper.add(asked, FakeEmbedder().encode_queries([a.message for a in asked]))
    assert [summary(kept) for kept in grouper.kept(lambda _: True)] == grouper.groups()
    assert [g.count for g in grouper.groups()] == [2, 2, 1]
    assert grouper.groups()[0].last_seen == 4.0  # equal counts: the most recent first
    recent = grouper.kept(lambda x: x.created >= 3.0)
    assert [len(kept) for kept in recent] == [2, 1] and recent[1][0][0].message == "社員食堂はありますか"
