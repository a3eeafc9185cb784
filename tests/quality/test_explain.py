from __future__ import annotations

import math

import pytest

from faq_bot.quality.explain import explain
from faq_bot.retrieval.engine import Engine


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


def test_explanation_says_what_the_best_entry_does_not_answer(fake_engine: Engine) -> None:
    e = explain(fake_engine.current, "見積書の料金はいくらですか")
    assert e.hits[0].id == "3"  # 見積書を発行できますか: names no price
    assert e.decision == "escalate" and e.unanswered == ("料金・費用",)
    assert explain(fake_engine.current, "請求書をダウンロードする方法").unanswered == ()


def test_explanation_says_when_nothing_is_shared_with_the_candidates(fake_engine: Engine) -> None:
    unrelated = explain(fake_engine.current, "関係ない話")
    assert unrelated.decision == "escalate" and unrelated.no_shared_words
    assert all(not h.shared_tokens for h in unrelated.hits)
    assert not explain(fake_engine.current, "請求書をダウンロードする方法").no_shared_words


def test_explanation_lists_the_words_the_faq_never_uses(fake_engine: Engine) -> None:
    e = explain(fake_engine.current, "請求書を宇宙で受け取りたい")
    assert "宇宙" in e.unknown_words and "請求書" not in e.unknown_words
    known = explain(fake_engine.current, "請求書をダウンロードする方法").unknown_words
    assert known == ("方法",)  # 請求書 and ダウンロード are the FAQ's words; 方法 is in none of its entries
