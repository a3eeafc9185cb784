from __future__ import annotations

import itertools

from faq_bot.quality.grouping import QuestionGrouper, group_questions, search_key, summary
from faq_bot.storage.chatlog import LoggedQuestion
from faq_bot.text.normalize import normalize
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
    # Words to look for: each of them, in any width or case, anywhere in the question.
    assert search_key("  領収書　ほしい 領収書") == ("領収書", "ほしい")
    found = grouper.kept(lambda _: True, search_key("ほしい　領収書"))
    assert [[qq.message for qq, _ in kept] for kept in found] == [
        ["領収書を発行してほしい", "領収書を発行してほしいです"]
    ]
    assert grouper.kept(lambda _: True, search_key("領収書 駐車場")) == []


def test_the_entry_offered_is_the_one_found_for_the_representative_not_a_vote_of_the_group() -> None:
    def asked(text: str, entry: str, confidence: float, t: float) -> tuple[LoggedQuestion, str]:
        question = LoggedQuestion(f"r{next(_ids)}", t, text, "suggest", entry, confidence, "v", None, None, None)
        return question, normalize(text)

    # Asked twice (the representative), closest to 28; three other phrasings each once, each closest to 14:
    # a vote over the group offered 14 for the text that gets added, which the bot found for other texts.
    kept = [asked("請求書を再発行してほしい", "28", 0.55, 1.0), asked("請求書を再発行してほしい", "28", 0.6, 2.0)]
    kept += [asked(f"見積書を再発行してほしい{i}", "14", 0.3, 3.0 + i) for i in range(3)]
    group = summary(kept)
    assert group.representative == "請求書を再発行してほしい"
    assert (group.nearest_entry, group.nearest_confidence) == ("28", 0.6)
    # Asked again after a publish: the latest search of that text is the one nearest to the live FAQ.
    group = summary([*kept, asked("請求書を再発行してほしい", "31", 0.4, 9.0)])
    assert (group.nearest_entry, group.nearest_confidence) == ("31", 0.4)
