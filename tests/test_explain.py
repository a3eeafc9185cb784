from __future__ import annotations

from faq_bot.engine import Engine
from faq_bot.explain import explain


def test_explanation_has_tokens_shared_tokens_and_thresholds(fake_engine: Engine) -> None:
    e = explain(fake_engine.current, "請求書をダウンロードしたい")
    assert "ダウンロード" in e.tokens and e.normalized == "請求書をダウンロードしたい"
    top = e.hits[0]
    assert top.id == "2" and "ダウンロード" in top.shared_tokens and top.rank == 1
    assert e.answer_threshold == fake_engine.settings.answer_threshold and e.decision in {"answer", "suggest"}
    assert top.matched in {"question", "alternate", "answer"}
