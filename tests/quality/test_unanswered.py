from __future__ import annotations

import itertools
import time
from dataclasses import replace
from pathlib import Path

import pytest

from faq_bot.errors import DatabaseError
from faq_bot.quality import unanswered as unanswered_module
from faq_bot.quality.grouping import summary
from faq_bot.quality.unanswered import (
    Rechecked,
    UnansweredQuestions,
    recheck,
    recheck_after_rollback,
    rechecked_message,
    settle_answered,
)
from faq_bot.retrieval.engine import Engine
from faq_bot.storage.chatlog import ChatLog, ChatRecord, pack_vector
from faq_bot.storage.database import Database
from faq_bot.storage.history import PublishEvent
from tests.fakes import FakeEmbedder
from tests.waiting import wait_until

_ids = itertools.count()


def asked(
    engine: Engine, message: str, decision: str = "escalate", *, with_vector: bool = True, ago: float = 0.0
) -> ChatRecord:
    """A logged question as the chat route logs it (with the chat's own embedding, unless not)."""
    vector = engine.search(message).vector if with_vector else None
    assert not with_vector or vector is not None
    return ChatRecord(
        f"q{next(_ids)}", message, decision, "1", 0.2, "v1", created=time.time() - ago,
        vector=pack_vector(vector) if vector is not None else None, model=engine.embedder.model_id,
    )  # fmt: skip


@pytest.fixture
def chatlog(tmp_path: Path) -> ChatLog:
    return ChatLog(Database.sqlite(tmp_path / "log.sqlite3"))


def encoder_of(engine: Engine) -> FakeEmbedder:
    assert isinstance(engine.embedder, FakeEmbedder)
    return engine.embedder


def test_questions_logged_with_their_embedding_are_grouped_without_encoding(
    fake_engine: Engine, chatlog: ChatLog
) -> None:
    chatlog.write([asked(fake_engine, t) for t in ("社員食堂はありますか", "社員食堂はありますか？", "駐車場は何台")])
    calls = encoder_of(fake_engine).calls
    shown = UnansweredQuestions(chatlog, fake_engine, similarity=0.8).page(days=0)
    assert encoder_of(fake_engine).calls == calls  # the page encoded nothing
    assert [g.count for g in shown.groups] == [2, 1] and shown.waiting == 0
    assert shown.groups[0].representative.startswith("社員食堂")


def test_new_questions_join_the_groups_formed_and_settled_ones_leave(fake_engine: Engine, chatlog: ChatLog) -> None:
    unanswered = UnansweredQuestions(chatlog, fake_engine, similarity=0.8)
    first = asked(fake_engine, "社員食堂はありますか")
    chatlog.write([first])
    assert [g.count for g in unanswered.page(days=0).groups] == [1]
    suggested = asked(fake_engine, "社員食堂はありますか？", "suggest")
    chatlog.write([suggested, asked(fake_engine, "駐車場は何台")])
    groups = unanswered.page(days=0).groups
    assert [g.count for g in groups] == [2, 1] and set(groups[0].request_ids) == {
        first.request_id,
        suggested.request_id,
    }
    chatlog.record_click(suggested.request_id, "1")  # the visitor opened a suggestion: answered
    chatlog.dismiss([first.request_id], "dismissed")  # staff dealt with it
    assert [g.representative for g in unanswered.page(days=0).groups] == ["駐車場は何台"]


def test_the_list_narrows_to_questions_with_some_words_or_to_what_the_visitor_got(
    fake_engine: Engine, chatlog: ChatLog
) -> None:
    chatlog.write(
        [
            asked(fake_engine, "社員食堂はありますか"),
            asked(fake_engine, "社員食堂はありますか？", "suggest"),
            asked(fake_engine, "ＰＤＦの請求書が欲しい", "suggest"),
            asked(fake_engine, "駐車場は何台"),
        ]
    )
    unanswered = UnansweredQuestions(chatlog, fake_engine, similarity=0.8)
    everything = unanswered.page(days=0)
    assert sorted((g.count, g.suggested) for g in everything.groups) == [(1, 0), (1, 1), (2, 1)]
    assert all(g.turned_down == 0 for g in everything.groups)
    pdf = next(g for g in everything.groups if g.representative == "ＰＤＦの請求書が欲しい")
    assert chatlog.record_feedback(pdf.request_ids[0], "down", None)  # 「どれにも当てはまらない」
    assert {g.representative: g.turned_down for g in unanswered.page(days=0).groups if g.turned_down} == {
        "ＰＤＦの請求書が欲しい": 1
    }  # the page kept before is not shown again: the turned down ones are what it depends on too
    parking = next(g for g in everything.groups if g.representative == "駐車場は何台")
    assert chatlog.record_feedback(parking.request_ids[0], "down", "台数だけ知りたかった")  # sent to a person: 👎
    rated = next(g for g in unanswered.page(days=0).groups if g.representative == "駐車場は何台")
    assert (rated.turned_down, rated.down, rated.comments) == (0, 1, ("台数だけ知りたかった",))
    canteen = unanswered.page(days=0, containing="社員食堂")
    assert [g.count for g in canteen.groups] == [2] and canteen.total_questions == 2
    assert (
        unanswered.page(days=0, containing="pdf").groups[0].representative == "ＰＤＦの請求書が欲しい"
    )  # widths, case
    suggested = unanswered.page(days=0, got="suggest")
    assert {g.representative for g in suggested.groups} == {"ＰＤＦの請求書が欲しい", "社員食堂はありますか？"}
    assert unanswered.page(days=0, containing="社員食堂", got="escalate").total_questions == 1
    assert unanswered.page(days=0, containing="託児所").groups == []
    assert unanswered.page(days=0).total_questions == 4  # (no filter: all again)


def test_days_and_pages(fake_engine: Engine, chatlog: ChatLog) -> None:
    topics = ["社員食堂", "駐車場の台数", "喫煙所の場所", "託児所の有無", "制服の貸与"]
    chatlog.write([asked(fake_engine, t, ago=40 * 86400 if i == 0 else 0.0) for i, t in enumerate(topics)])
    unanswered = UnansweredQuestions(chatlog, fake_engine, similarity=0.95)
    assert unanswered.page(days=30).total_groups == 4  # the old one is outside the last 30 days
    pages = [unanswered.page(days=0, page=p, per_page=2) for p in (1, 2, 3, 9)]
    assert [len(p.groups) for p in pages] == [2, 2, 1, 1] and pages[0].pages == 3
    assert pages[3].page == 3  # past the end: the last page
    assert {g.representative for p in pages[:3] for g in p.groups} == set(topics)


def test_questions_logged_without_an_embedding_are_encoded_once_in_the_background(
    fake_engine: Engine, chatlog: ChatLog
) -> None:
    old = [asked(fake_engine, t, with_vector=False) for t in ("社員食堂はありますか", "駐車場は何台", "喫煙所")]
    chatlog.write(old)
    unanswered = UnansweredQuestions(chatlog, fake_engine, similarity=0.8)
    first = unanswered.page(days=0)
    assert first.waiting + first.total_questions == 3
    wait_until(lambda: unanswered.page(days=0).waiting == 0, what="the backfill")
    assert unanswered.page(days=0).total_questions == 3 and chatlog.count("question_vectors") == 3
    calls = encoder_of(fake_engine).calls
    assert UnansweredQuestions(chatlog, fake_engine, similarity=0.8).page(days=0).total_questions == 3
    assert encoder_of(fake_engine).calls == calls  # after a restart: read, not encoded again


def test_paging_through_an_unchanged_log_groups_once(
    fake_engine: Engine, chatlog: ChatLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    chatlog.write([asked(fake_engine, t) for t in ("社員食堂", "駐車場の台数", "喫煙所の場所")])
    unanswered = UnansweredQuestions(chatlog, fake_engine, similarity=0.95)
    unanswered.refresh()
    grouper, counted, summarised = unanswered._grouper, [], []
    kept = grouper.kept
    grouper.kept = lambda keep, containing=(): counted.append(1) or kept(keep, containing)  # type: ignore[method-assign]
    monkeypatch.setattr(unanswered_module, "summary", lambda k, down=(): summarised.append(1) or summary(k, down))
    pages = [unanswered.page(days=0, page=p, per_page=1) for p in (1, 2, 3, 1)]
    assert [p.groups[0].representative for p in pages] == ["喫煙所の場所", "駐車場の台数", "社員食堂", "喫煙所の場所"]
    assert len(counted) == 1 and len(summarised) == 3  # the first page again: its groups as summarised before
    chatlog.dismiss([pages[0].groups[0].request_ids[0]], "dismissed")  # a change: grouped again, without it
    assert unanswered.page(days=0).total_groups == 2 and len(counted) == 2
    first = unanswered.page(days=0, page=1, per_page=1)  # the page seen before is summarised again
    assert first.groups[0].representative == "駐車場の台数" and len(summarised) == 3 + 2 + 1
    # Two colleagues, each on a filter of their own, take turns: neither makes the other's list group again.
    for _ in range(3):
        assert unanswered.page(days=0, containing="駐車場").total_groups == 1
        assert unanswered.page(days=0, got="escalate").total_groups == 2
    assert len(counted) == 2 + 2
    for words in ("駐車場", "食堂", "喫煙", "場所", "台数", "の"):  # more filters than are kept: the oldest go
        unanswered.page(days=0, containing=words)
    assert len(unanswered._kept) == unanswered_module.LISTS_KEPT
    unanswered.page(days=0, containing="の")  # the latest is kept
    assert len(counted) == 2 + 2 + 5  # (駐車場 was kept already)


def test_a_question_is_settled_only_when_answered_with_the_entry_it_was_added_to(
    fake_engine: Engine, chatlog: ChatLog
) -> None:
    card = fake_engine.ask("クレジットカードは使えますか")
    assert card.decision.value == "answer" and card.hit is not None and card.hit.entry.id == "4"
    first = asked(fake_engine, "クレジットカードは使えますか", "answer")
    second = asked(fake_engine, "社員食堂はありますか")
    chatlog.write([first, second])
    ids = [first.request_id, second.request_id]
    elsewhere = settle_answered(fake_engine, chatlog, ids, "5")  # answered, but still with entry 4: not settled
    assert elsewhere.answered == () and elsewhere.still_open == tuple(ids)
    assert chatlog.count("dismissals") == 0
    settled = settle_answered(fake_engine, chatlog, ids, "4")
    assert settled.answered == (first.request_id,) and settled.still_open == (second.request_id,)
    assert settle_answered(fake_engine, chatlog, [second.request_id]).answered == ()  # any entry: escalated still


def test_after_a_rollback_only_the_questions_settled_since_that_the_faq_no_longer_answers_come_back(
    fake_engine: Engine, chatlog: ChatLog
) -> None:
    answered = asked(fake_engine, "クレジットカードは使えますか", "answer")  # logged as answered with entry 1
    to_check = replace(asked(fake_engine, "クレジットカードは使えますか", "answer"), entry_id="4")
    lost = asked(fake_engine, "社員食堂はありますか")
    confirmed = asked(fake_engine, "喫煙所の場所")
    chatlog.write([answered, to_check, lost, confirmed])
    chatlog.dismiss([answered.request_id, to_check.request_id, lost.request_id], "alternate")  # a publish settled
    chatlog.dismiss([confirmed.request_id], "dismissed")  # staff's 対応不要: not the rollback's to undo
    assert recheck(fake_engine, chatlog, time.time() + 60) == Rechecked((), ())  # settled before that version
    # escalated again, or answered again with the entry the visitor got (4: an answer to check again)
    rechecked = recheck(fake_engine, chatlog, 0.0)
    assert set(rechecked.restored) == {lost.request_id, to_check.request_id} and rechecked.settled == ()
    assert chatlog.count("dismissals") == 2
    assert set(chatlog.put_back_questions(10)) == {lost.request_id, to_check.request_id}


def test_a_rollback_asks_again_only_what_was_settled_while_another_version_was_served(
    fake_engine: Engine, chatlog: ChatLog
) -> None:
    to_check = replace(asked(fake_engine, "クレジットカードは使えますか", "answer"), entry_id="4")
    later = replace(asked(fake_engine, "社員食堂はありますか"), request_id="later")
    chatlog.write([to_check, later])
    chatlog.dismiss([to_check.request_id], "alternate")  # settled by the publish of the version gone back to
    settled_at = chatlog.settled_since(0.0, 10)[0][1]
    chatlog.dismiss([later.request_id], "alternate")  # settled while the next version was served
    events = [  # newest first, as the history gives them
        PublishEvent("publish", "b2", "next", "file.tsv", 5, created=settled_at + 0.0005),
        PublishEvent("publish", "b1", "target", "file.tsv", 5, created=settled_at - 1),
    ]
    rechecked = recheck_after_rollback(fake_engine, chatlog, "target", settled_at - 2, lambda limit: events)
    assert rechecked == Rechecked((later.request_id,), ())  # the one settled by the target's own publish stays so

    def broken(limit: int) -> list[PublishEvent]:
        raise DatabaseError("locked")

    chatlog.dismiss([later.request_id], "alternate")  # without the history: all since the build, asked again
    rechecked = recheck_after_rollback(fake_engine, chatlog, "target", settled_at - 2, broken)
    assert rechecked is not None and set(rechecked.restored) == {to_check.request_id, later.request_id}
    assert recheck_after_rollback(fake_engine, chatlog, "target", None, broken) == Rechecked((), ())


def test_a_question_narrowed_to_categories_is_asked_again_in_them_and_a_gone_category_is_left_out(
    fake_engine: Engine, chatlog: ChatLog
) -> None:
    # Narrowed to 会員, the visitor cannot get entry 4 (支払い): entry 4 answering the words in the whole FAQ
    # does not settle it. A category the FAQ no longer has is no longer offered: the question asked without it.
    narrowed = replace(asked(fake_engine, "クレジットカードは使えますか", "answer"), categories=("会員",))
    gone = replace(asked(fake_engine, "クレジットカードは使えますか", "answer"), categories=("旧分類",))
    chatlog.write([narrowed, gone])
    settled = settle_answered(fake_engine, chatlog, [narrowed.request_id, gone.request_id], "4")
    assert settled.answered == (gone.request_id,) and settled.still_open == (narrowed.request_id,)


def test_rolling_forward_again_takes_off_the_questions_the_rollback_put_back(
    fake_engine: Engine, chatlog: ChatLog
) -> None:
    card = replace(asked(fake_engine, "クレジットカードは使えますか"), entry_id=None)  # escalated when asked
    to_check = replace(asked(fake_engine, "クレジットカードは使えますか", "answer"), entry_id="4")
    canteen = asked(fake_engine, "社員食堂はありますか")
    chatlog.write([card, to_check, canteen])
    # Put back by a rollback (the alternates that answered them went with it), as the FAQ served then said.
    chatlog.dismiss([card.request_id, to_check.request_id, canteen.request_id], "alternate")
    chatlog.undismiss([card.request_id, to_check.request_id, canteen.request_id], ("alternate",))
    # Rolled forward to a version that answers the card question (with entry 4, as the fake FAQ does): it leaves
    # the list; answered with the entry the visitor got, the other stays an answer to check; 社員食堂, unanswered.
    rechecked = recheck(fake_engine, chatlog, time.time() + 60)
    assert rechecked == Rechecked((), (card.request_id,))
    assert set(chatlog.put_back_questions(10)) == {to_check.request_id, canteen.request_id}
    assert recheck(fake_engine, chatlog, time.time() + 60) == Rechecked((), ())  # nothing more to take off
    # Both at once, in one write: one settled since the version (no longer answered) back, one put back off.
    parking = asked(fake_engine, "駐車場は何台ありますか")
    card_again = replace(asked(fake_engine, "クレジットカードは使えますか"), entry_id=None)
    chatlog.write([parking, card_again])
    chatlog.dismiss([parking.request_id, card_again.request_id], "alternate")
    chatlog.undismiss([card_again.request_id], ("alternate",))
    assert recheck(fake_engine, chatlog, 0.0) == Rechecked((parking.request_id,), (card_again.request_id,))
    assert parking.request_id in chatlog.put_back_questions(10) and chatlog.count("dismissals") == 2
    said = "以前にバージョンを戻したときに質問ログの一覧に戻した質問1件は、このバージョンで回答されるため、"
    assert rechecked_message(rechecked) == said + "一覧から外しました。"
    both = rechecked_message(Rechecked(("x", "y"), ("z",)))
    assert both.startswith("公開で回答されるようになっていた質問2件は、") and both.endswith("一覧から外しました。")
    assert rechecked_message(Rechecked((), ())) == ""
