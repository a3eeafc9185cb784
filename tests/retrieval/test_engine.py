from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from faq_bot.config import Settings
from faq_bot.content import faq as faq_table
from faq_bot.errors import UnknownCategoryError
from faq_bot.retrieval.confidence import DecisionModel
from faq_bot.retrieval.decision import Decision, Reply
from faq_bot.retrieval.engine import Engine, Pending
from faq_bot.runtime import open_engine
from tests.conftest import SMALL_FAQ
from tests.fakes import FakeEmbedder


def test_exact_question_is_answered_from_its_entry(fake_engine: Engine) -> None:
    reply = fake_engine.ask("請求書をダウンロードできますか")
    assert reply.decision == Decision.ANSWER and reply.hit is not None and reply.hit.entry.id == "2"


def test_empty_and_meaningless_input_is_asked_for_a_question_without_error(fake_engine: Engine) -> None:
    for text in ("", "   ", "？！…", "\n\t"):
        reply = fake_engine.ask(text)
        assert reply.decision == Decision.SMALLTALK and reply.confidence == 0.0 and reply.hit is None, text
        assert reply.answer == dict(fake_engine.params.decision.smalltalk_replies)["no_question"]


def test_category_restricted_ask_only_answers_from_those_categories(fake_engine: Engine) -> None:
    unrestricted = fake_engine.ask("請求書をダウンロードできますか")
    assert unrestricted.hit is not None and unrestricted.hit.entry.category == "請求"
    reply = fake_engine.ask("請求書をダウンロードできますか", ["支払い"])
    assert reply.search.hits, "the category has entries: the search must return them"
    assert {h.entry.id for h in reply.search.hits} == {"4", "5"}  # every entry of 支払い, nothing else
    assert all(h.entry.category == "支払い" for h in reply.search.hits)
    assert reply.hit is None or reply.hit.entry.category == "支払い"
    assert all(h.entry.category == "支払い" for h in (*reply.suggestions, *reply.related))


def test_a_narrowed_question_is_not_answered_from_its_categories_when_an_entry_outside_them_is_more_probable(
    fake_engine: Engine,
) -> None:
    live = fake_engine.current
    bold = replace(live, params=replace(live.params, decision=replace(live.params.decision, answer_threshold=0.0001)))
    question = "請求書はクレジットカードで払えますか"  # entry 4, under 支払い
    whole = bold.ask(question)
    assert whole.hit is not None and whole.hit.entry.id == "4"
    within = bold.ask(question, ["請求"])
    # Under so low a bar, 請求's best would be answered; entry 4 is more probable: not answered from 請求.
    assert within.decision != Decision.ANSWER and within.hit is None
    assert within.outside is not None and within.outside.entry.id == "4"
    assert all(h.entry.category == "請求" for h in within.related)  # nothing from outside in the reply
    inside = bold.ask(question, ["支払い"])  # the most probable entry is inside: answered as before
    assert inside.decision == Decision.ANSWER and inside.hit is not None and inside.hit.entry.id == "4"
    assert inside.outside is None


def test_entry_lookup_by_id(fake_engine: Engine) -> None:
    entry = fake_engine.entry("4")
    assert entry is not None and entry.question == "クレジットカードは使えますか"
    assert fake_engine.entry("404") is None


def test_publish_switches_to_the_new_faq_and_version(fake_engine: Engine, settings: Settings) -> None:
    old = fake_engine.current
    text = SMALL_FAQ + "7\t新\t新しい質問です\t新しい回答です\t\n"
    new_index = fake_engine.build(faq_table.parse(text))
    loaded = fake_engine.publish(new_index)
    assert fake_engine.current is loaded and loaded.faq_version != old.faq_version
    assert fake_engine.entry("7") is not None
    assert old.retriever.search("新しい質問です").hits[0].entry.id != "7"  # old view stays intact


def test_publish_serves_the_version_made_ready_for_that_index_and_no_other(fake_engine: Engine) -> None:
    text = SMALL_FAQ + "7\t新\t新しい質問です\t新しい回答です\t\n"
    new_index = fake_engine.build(faq_table.parse(text))
    ready = fake_engine.loaded_for(new_index)
    assert fake_engine.publish(new_index, ready) is ready and fake_engine.current is ready
    other = fake_engine.build(faq_table.parse(SMALL_FAQ))  # made ready for ``new_index``, not for this one
    served = fake_engine.publish(other, ready)
    assert served is not ready and served.index is other and fake_engine.entry("7") is None


def test_opening_twice_reuses_the_saved_index(settings: Settings) -> None:
    first = open_engine(settings, FakeEmbedder())
    second = open_engine(settings, FakeEmbedder())
    assert first.current.index.path == second.current.index.path


def test_a_broken_file_on_disk_at_start_up_serves_the_last_good_build(settings: Settings) -> None:
    good = open_engine(settings, FakeEmbedder()).current.faq_version
    settings.faq_path.write_bytes(b"id\tquestion\n1\tno answer column\n")
    assert open_engine(settings, FakeEmbedder()).current.faq_version == good


def test_without_follow_file_the_current_build_is_used_even_if_the_file_changed(settings: Settings) -> None:
    good = open_engine(settings, FakeEmbedder()).current.faq_version
    settings.faq_path.write_text(SMALL_FAQ + "7\tx\t追加の質問\t追加の回答\t\n", encoding="utf-8")
    assert open_engine(settings, FakeEmbedder(), follow_file=False).current.faq_version == good
    assert open_engine(settings, FakeEmbedder()).current.faq_version != good


def test_repeated_questions_are_served_from_the_cache_of_their_own_faq_version(settings: Settings) -> None:
    emb = FakeEmbedder()
    engine = open_engine(settings, emb)
    first = engine.ask("クレジットカードは使えますか")
    calls = emb.calls
    assert engine.ask("クレジットカードは使えますか") is first and emb.calls == calls  # cached: no encoder call
    assert engine.ask("クレジットカードは使えますか？").decision == first.decision
    text = SMALL_FAQ.replace("VISAとJCBに対応しています。", "VISAのみ対応しています。")
    engine.publish(engine.build(faq_table.parse(text)))
    after = engine.ask("クレジットカードは使えますか")
    assert after is not first and after.answer == "VISAのみ対応しています。"


def test_a_line_break_ends_a_sentence_in_a_cached_reply_as_in_a_search(settings: Settings) -> None:
    # A chat message often ends its sentences with line breaks, not 。: the reply cache's key must not
    # fold them into spaces, or the asking sentence is lost for every visitor (the batch test kept it).
    engine = open_engine(settings, FakeEmbedder())
    message = "いつもお世話になっております\r\n\r\nクレジットカードは使えますか"
    reply = engine.ask(message)
    assert reply.search.focus == "クレジットカードは使えますか"
    assert reply.search.focus == engine.current.retriever.search(message).focus
    assert engine.ask("いつもお世話になっております クレジットカードは使えますか").search.focus is None  # one sentence
    uncached = open_engine(settings.model_copy(update={"reply_cache_size": 0}), FakeEmbedder())
    assert uncached.ask(message).search.focus == reply.search.focus  # the same without the reply cache
    other_break = "いつもお世話になっております\u2028クレジットカードは使えますか"
    batched = uncached.current.search_many([other_break], uncached.embedder)
    assert batched[0].focus == reply.search.focus  # and in a batch test, whatever the line break
    # The whole message reads as with 。: the same text embedded, the same reply.
    stops = engine.ask("いつもお世話になっております。クレジットカードは使えますか")
    assert reply.search.analysis.normalized == stops.search.analysis.normalized

    def ranked(r: Reply) -> list[tuple[str, float | None]]:
        return [(h.entry.id, h.probability) for h in r.search.hits]

    assert ranked(reply) == ranked(stops)


def test_cache_can_be_disabled(settings: Settings) -> None:
    emb = FakeEmbedder()
    engine = open_engine(settings.model_copy(update={"reply_cache_size": 0}), emb)
    engine.ask("クレジットカードは使えますか")
    calls = emb.calls
    engine.ask("クレジットカードは使えますか")
    assert emb.calls == calls + 1


def test_a_batch_searches_exactly_as_one_question_at_a_time(fake_engine: Engine) -> None:
    # Whole message, asking sentence and the text without 分割払い: three views, one batch.
    question = "いつもお世話になっております。請求書の分割払いはできますか"
    r = fake_engine.current.retriever
    assert len(r.views(r.parse(question))) == 3
    batched = fake_engine.current.search_many([question, "請求書をダウンロード"], fake_engine.embedder)
    for search, alone in zip(batched, (r.search(question), r.search("請求書をダウンロード")), strict=True):
        assert [h.entry.id for h in search.hits] == [h.entry.id for h in alone.hits]
        assert [h.signals for h in search.hits] == [h.signals for h in alone.hits]
    assert batched[0].hits[0].signals is not None and batched[0].hits[0].signals.unknown_meaning > 0


def test_a_reply_in_two_steps_is_the_reply_of_ask(fake_engine: Engine) -> None:
    # A server reads and decides on its event loop and waits for the encoder in between.
    loaded = fake_engine.current
    question = "請求書はダウンロードできますか"
    step = loaded.begin(question)
    assert isinstance(step, Pending) and step.views == loaded.retriever.views(loaded.retriever.parse(question))
    reply = loaded.finish(step, fake_engine.embedder.encode_queries(step.views))
    again = fake_engine.ask(question)
    assert reply.decision == again.decision and reply.search.hits and again.search.hits
    assert [h.entry.id for h in reply.search.hits] == [h.entry.id for h in again.search.hits]
    assert reply.confidence == pytest.approx(again.confidence)


def test_what_needs_no_encoding_is_replied_at_once(fake_engine: Engine) -> None:
    loaded = fake_engine.current
    assert isinstance(loaded.begin("ありがとうございます"), Reply)  # small talk
    assert isinstance(loaded.begin("！！！"), Reply)  # nothing to search
    asked = fake_engine.ask("注文方法がよく分かりません")
    assert loaded.begin("注文方法がよく分かりません") is asked  # the reply cache
    with pytest.raises(UnknownCategoryError):
        loaded.begin("見積書の発行", ["存在しない分類"])  # refused before anything is encoded
    with pytest.raises(UnknownCategoryError):
        loaded.begin("ありがとうございます", ["存在しない分類"])  # small talk too: a wrong filter is an error


@pytest.mark.parametrize("fitted_on", ["another-encoder+int8-2", None])
def test_a_decision_model_fitted_on_other_vectors_is_served_with_a_word_to_calibrate(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture, fitted_on: str | None
) -> None:
    embedder = FakeEmbedder()
    path = tmp_path / "model.json"
    for encoder, warned in ((fitted_on, fitted_on is not None), (embedder.model_id, False)):
        caplog.clear()
        replace(DecisionModel.load(), encoder=encoder).save(path)
        engine = open_engine(settings.model_copy(update={"decision_model_path": path}), embedder)
        assert engine.current.model.encoder == encoder
        assert ("calibrate" in caplog.text) == warned, encoder  # the log names the way to fit it anew
        if warned:
            assert "another-encoder+int8-2" in caplog.text and embedder.model_id in caplog.text
