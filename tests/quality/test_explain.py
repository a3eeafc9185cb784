from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from faq_bot.config import Settings
from faq_bot.quality.explain import FAQ_OFFSET, explain
from faq_bot.retrieval.confidence import ConfidenceModel
from faq_bot.retrieval.engine import Engine
from faq_bot.runtime import open_engine
from tests.fakes import FAKE_DECISION_MODEL, FakeEmbedder


def test_explanation_has_tokens_shared_tokens_and_thresholds(fake_engine: Engine) -> None:
    e = explain(fake_engine.current, "請求書をダウンロードする方法")
    assert "ダウンロード" in e.tokens and e.normalized == "請求書をダウンロードする方法"
    top = e.hits[0]
    assert top.id == "2" and "ダウンロード" in top.shared_tokens and top.rank == 1
    assert e.answer_threshold == fake_engine.params.decision.answer_threshold and e.decision in {"answer", "suggest"}
    assert top.matched in {"question", "alternate", "answer"}
    # The もしかして side explains itself too: the topic model's signals add up to its log-odds.
    assert {c.name for c in e.topic_contributions} == set(fake_engine.model.topic.features)
    log_odds = e.topic_intercept + sum(c.contribution for c in e.topic_contributions)
    # (never below the first candidate's own probability)
    assert max(1 / (1 + math.exp(-log_odds)), e.hits[0].probability) == pytest.approx(e.on_topic, abs=1e-3)
    assert e.topic_sum == pytest.approx(1 / (1 + math.exp(-log_odds)), abs=1e-4)  # what the console says the sum is
    assert e.topic_base_probability == pytest.approx(1 / (1 + math.exp(-e.topic_intercept)))


def test_a_signal_that_says_nothing_contributes_nothing(settings: Settings, tmp_path: Path) -> None:
    # Measured from the mean of the training data, 「FAQにない語の割合 0」 showed as a push one way or the other.
    answer = ConfidenceModel(("coverage", "unknown", "asked_missing"), (0.3, 0.3, 0.05), (0.3, 0.3, 0.2),
                             (2.0, 0.5, -0.5), -1.0, "tests")  # fmt: skip
    path = tmp_path / "model.json"
    replace(FAKE_DECISION_MODEL, answer=answer).save(path)
    loaded = open_engine(settings.model_copy(update={"decision_model_path": path}), FakeEmbedder()).current
    e = explain(loaded, "請求書はダウンロードできますか")
    rows = {c.name: c for c in e.hits[0].contributions}
    assert rows["unknown"].value == rows["asked_missing"].value == 0
    assert rows["unknown"].contribution == rows["asked_missing"].contribution == 0
    # The share of words in common is measured from its mean, as the model weighs it.
    assert rows["coverage"].contribution == pytest.approx(2.0 * (rows["coverage"].value - 0.3) / 0.3, abs=1e-3)
    log_odds = e.intercept + sum(c.contribution for c in rows.values())
    assert 1 / (1 + math.exp(-log_odds)) == pytest.approx(e.hits[0].probability, abs=1e-3)
    assert e.base_probability == pytest.approx(1 / (1 + math.exp(-e.intercept)))


def test_explanation_says_what_the_best_entry_does_not_answer(fake_engine: Engine) -> None:
    e = explain(fake_engine.current, "見積書の料金はいくらですか")
    assert e.hits[0].id == "3"  # 見積書を発行できますか: names no price
    assert e.decision == "escalate" and e.unanswered == ("料金・費用",)
    assert explain(fake_engine.current, "請求書をダウンロードする方法").unanswered == ()


def test_explanation_says_when_sharing_no_word_changed_the_reply() -> None:
    from faq_bot.content.faq import FaqEntry
    from faq_bot.quality.explain import _no_shared_words
    from faq_bot.retrieval.decision import decide
    from faq_bot.retrieval.params import DecisionParams
    from faq_bot.retrieval.retriever import Hit, Search
    from faq_bot.text.analyzer import Analysis

    params = DecisionParams(answer_threshold=0.6, suggest_threshold=0.4, suggestion_count=3)

    def search(text: str, *probabilities: float) -> Search:
        hits = tuple(Hit(FaqEntry(str(i), "c", f"q{i}", f"a{i}"), p, 0.9, 0.0, "question", f"q{i}")
                     for i, p in enumerate(probabilities))  # fmt: skip  # no word in common with any
        return Search(text, Analysis(text, ("語",), ""), hits)

    assert _no_shared_words(decide(search("あほ", 0.7, 0.1, 0.05), params), params)  # else answered / listed
    assert _no_shared_words(decide(search("how can i pay", 0.7, 0.1), params), params)  # else answered
    assert not _no_shared_words(decide(search("ねこ", 0.01, 0.01), params), params)  # escalated either way
    # The batch test's rows say it as the console does (``reason``); an answer or a plain escalation needs none.
    from faq_bot.quality.explain import reason

    assert reason(decide(search("how can i pay", 0.7, 0.1), params), params) == (
        "1位の確率 70.0% ですが、1位の項目と共通の語がないため回答しません"
    )
    assert reason(decide(search("ねこ", 0.01, 0.01), params), params) == ""


def test_the_bars_on_a_candidates_own_probability_and_on_the_lead_are_said() -> None:
    from faq_bot.content.faq import FaqEntry
    from faq_bot.quality.explain import reason
    from faq_bot.retrieval.decision import decide
    from faq_bot.retrieval.params import DecisionParams
    from faq_bot.retrieval.retriever import Hit, Search
    from faq_bot.text.analyzer import Analysis

    def search(*probabilities: float, on_topic: float | None = None) -> Search:
        hits = tuple(Hit(FaqEntry(str(i), "c", f"q{i}", f"a{i}"), p, 0.9, 0.5, "question", f"q{i}")
                     for i, p in enumerate(probabilities))  # fmt: skip  # each shares a word with the message
        return Search("請求書", Analysis("請求書", ("請求書",), ""), hits, on_topic=on_topic)

    params = DecisionParams(answer_threshold=0.6, suggest_threshold=0.3, candidate_threshold=0.05)
    # On the subject (the topic model: 40 %), but no candidate worth offering: escalated, and said why (the
    # summary's 40 % ≥ 30 % alone would promise candidates).
    weak = decide(search(0.04, 0.03, 0.02, on_topic=0.4), params)
    assert weak.decision.value == "escalate"
    assert reason(weak, params) == (
        "候補のどれかが答えである確率は 40.0% ですが、どの候補も確率が 5.0% に届かないため、もしかしてを示しません"
    )
    assert reason(decide(search(0.04, 0.03, on_topic=0.1), params), params) == ""  # off the subject: nothing more
    # A message without a content word is escalated by that rule (no prompt configured): not the candidates' bar.
    bare = replace(search(0.04, 0.03, on_topic=0.4), analysis=Analysis("？", (), ""))
    silent = replace(params, smalltalk_replies=())
    assert decide(bare, silent).decision.value == "escalate" and reason(decide(bare, silent), silent) == ""
    assert reason(decide(search(0.3, 0.2, on_topic=0.4), params), params) == ""  # candidates offered

    close = DecisionParams(answer_threshold=0.6, suggest_threshold=0.3, answer_margin=0.1)
    tie = decide(search(0.7, 0.65, on_topic=0.9), close)
    assert tie.decision.value == "suggest"
    assert reason(tie, close) == "1位の確率 70.0% ですが、2位との差が 10.0ポイント未満のため回答しません"
    assert reason(decide(search(0.7, 0.5, on_topic=0.9), close), close) == ""  # answered
    # Where another bar holds it back as well (the topic model's own probability), the lead is not the reason.
    held = replace(search(0.7, 0.65, on_topic=0.9), topic_probability=0.2)
    held_back = decide(held, close)
    assert held_back.decision.value == "suggest" and "2位との差" not in reason(held_back, close)


def test_explanation_lists_the_words_the_faq_never_uses(fake_engine: Engine) -> None:
    e = explain(fake_engine.current, "請求書を宇宙で受け取りたい")
    assert "宇宙" in e.unknown_words and "請求書" not in e.unknown_words
    compound = explain(fake_engine.current, "領収書は出ますか").unknown_words  # 領収書 and its part 領収: once
    assert "領収書" in compound and "領収" not in compound
    known = explain(fake_engine.current, "請求書をダウンロードする方法").unknown_words
    assert known == ("方法",)  # 請求書 and ダウンロード are the FAQ's words; 方法 is in none of its entries


def test_words_the_faq_never_uses_outside_the_asking_sentence_are_told_apart(fake_engine: Engine) -> None:
    """The share of unknown words is the asking sentence's: a greeting's words the FAQ never uses are listed
    apart, so staff do not read them as what kept the answer back."""
    e = explain(fake_engine.current, "宇宙旅行を計画しています。請求書をダウンロードしたいのですが、方法はありますか。")
    assert e.focus and "宇宙" in e.unknown_words and "方法" in e.unknown_words
    assert "宇宙" in e.unknown_elsewhere and "方法" not in e.unknown_elsewhere
    assert explain(fake_engine.current, "請求書を宇宙で受け取りたい").unknown_elsewhere == ()  # one sentence


def test_the_adaptation_to_this_faq_is_one_more_row_and_the_rows_add_up(settings: Settings, tmp_path: Path) -> None:
    cautious = tmp_path / "cautious.json"
    replace(FAKE_DECISION_MODEL, own_near_miss=-10.0).save(cautious)  # fitted where near misses scored very low
    loaded = open_engine(settings.model_copy(update={"decision_model_path": cautious}), FakeEmbedder()).current
    e = explain(loaded, "請求書をダウンロードする方法")
    rows = {c.name: c for c in e.hits[0].contributions}
    assert loaded.model.faq_offset < 0 and e.faq_offset == pytest.approx(loaded.model.faq_offset, abs=1e-4)
    assert rows[FAQ_OFFSET].contribution == pytest.approx(loaded.model.faq_offset, abs=1e-4)
    assert e.intercept == pytest.approx(FAKE_DECISION_MODEL.answer.intercept, abs=1e-4)  # as fitted
    log_odds = e.intercept + sum(c.contribution for c in rows.values())
    assert 1 / (1 + math.exp(-log_odds)) == pytest.approx(e.hits[0].probability, abs=1e-3)
    plain = explain(open_engine(settings, FakeEmbedder()).current, "請求書をダウンロードする方法")
    assert FAQ_OFFSET not in {c.name for c in plain.hits[0].contributions} and plain.faq_offset == 0


def test_an_answer_the_editors_wording_decided_says_so(fake_engine: Engine) -> None:
    from dataclasses import replace

    from faq_bot.quality.explain import EXACT

    live = fake_engine.current
    strict = replace(live.params, decision=replace(live.params.decision, answer_threshold=0.999))
    e = explain(replace(live, params=strict), "見積を作りたい。")  # entry 3's alternate, under a bar it cannot reach
    assert e.decision == "answer" and e.hits[0].id == "3"
    assert e.reason == f"{EXACT}、確率 {e.confidence * 100:.1f}% でも回答します"
    # Where the probability alone answers, it is said as for any answer.
    assert explain(live, "見積を作りたい。").reason == ""
    assert EXACT not in explain(fake_engine.current, "見積書を作りたいのですが").reason


def test_explanation_says_when_a_more_probable_entry_outside_the_chosen_categories_kept_the_answer_back(
    fake_engine: Engine,
) -> None:
    live = fake_engine.current
    bold = replace(live, params=replace(live.params, decision=replace(live.params.decision, answer_threshold=0.0001)))
    shown = explain(bold, "請求書はクレジットカードで払えますか", ["請求"])
    assert shown.decision == "escalate" and not shown.no_shared_words and not shown.off_subject
    assert shown.reason.startswith("1位の確率 ")
    assert "選んだ分類の外に、より確率の高い項目（4「クレジットカードは使えますか」、分類 支払い、" in shown.reason
    assert shown.reason.endswith("）があるため、選んだ分類からは回答しません")
