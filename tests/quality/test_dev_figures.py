"""The real model on the shipped FAQ: behaviour a visitor would notice."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq_bot.config import PROJECT_ROOT
from faq_bot.content.queries import read_queries
from faq_bot.quality.evaluate import evaluate
from faq_bot.quality.explain import explain
from faq_bot.retrieval.decision import Decision
from faq_bot.retrieval.engine import Engine

pytestmark = pytest.mark.integration
DEV_SET = PROJECT_ROOT.parent / "shared" / "eval" / "dev_queries.tsv"
VISITOR_SET = PROJECT_ROOT.parent / "shared" / "eval" / "visitor_queries.tsv"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("請求書のPDFはどこから取れますか", {"31", "29"}),
        ("クレカ払いに対応してる？", {"21", "20"}),
        ("ユーザーの権限を分けたい", {"40"}),
        ("How can I pay?", {"20", "21", "22"}),
        ("せいきゅうしょ だうんろーど", {"31"}),
        ("しはらいほうほうをおしえて", {"20"}),
        ("ゆーざーをついかしたい", {"41", "42"}),
        ("Which credit cards do you take?", {"21"}),
        ("Can I add more users?", {"41", "42"}),
    ],
)
def test_paraphrases_find_their_entry_first(real_engine: Engine, question: str, expected: set[str]) -> None:
    assert real_engine.search(question).hits[0].entry.id in expected


@pytest.mark.parametrize("question", ["明日の天気は晴れますか", "おいしいラーメン屋を教えて"])
def test_chatter_escalates(real_engine: Engine, question: str) -> None:
    assert real_engine.ask(question).decision == Decision.ESCALATE


@pytest.mark.parametrize("question", ["", "？？？", "すみません", "はい"])
def test_input_that_asks_nothing_is_asked_for_its_question_never_answered(real_engine: Engine, question: str) -> None:
    reply = real_engine.ask(question)
    assert reply.decision == Decision.SMALLTALK and reply.hit is None and reply.suggestions == ()


CHATTER_WORDS = ["ねこ", "いぬ", "あほ", "ばか", "うざい", "なんで？", "ねこですか", "ばかですね"]


@pytest.mark.parametrize("word", CHATTER_WORDS)
def test_a_word_that_shares_nothing_with_the_faq_is_never_answered(real_engine: Engine, word: str) -> None:
    # The answer model alone was sure of one entry: 「あほ」 → 注文を誤ってしまいました (0.55), 「ねこ」 0.43.
    # None has a word in common with its candidates (です/ですか give sound pairs most entries have: readings
    # do not count).
    reply = real_engine.ask(word)
    assert reply.decision != Decision.ANSWER
    why = explain(real_engine.current, word)
    if why.confidence >= why.answer_threshold:  # probable enough: the console says why not (no word, far subject)
        assert why.no_shared_words or why.off_subject


def test_candidates_sharing_no_word_are_offered_only_if_the_topic_model_alone_finds_the_message_on_the_subject(
    real_engine: Engine,
) -> None:
    insult = real_engine.ask("ばか")  # got three unrelated もしかして candidates from the best one's probability
    assert insult.decision == Decision.ESCALATE and insult.suggestions == ()
    # A question in other words than the FAQ's keeps its candidates: 購入 in the FAQ, 買える in the question.
    assert real_engine.ask("何が買える？").decision == Decision.SUGGEST


def test_a_loanword_typed_in_hiragana_beside_kanji_is_read_as_the_faqs_katakana_word(real_engine: Engine) -> None:
    search = real_engine.ask("ぱすわーどを変更したい").search
    assert search.analysis.normalized == "パスワードを変更したい" and "パスワード" in search.analysis.words
    assert search.hits[0].signals is not None and search.hits[0].signals.coverage == 1.0


@pytest.mark.parametrize(("message", "kind"), [("こんにちは！", "greeting"), ("ありがとうございました", "thanks")])
def test_small_talk_gets_a_friendly_reply_not_an_escalation(real_engine: Engine, message: str, kind: str) -> None:
    reply = real_engine.ask(message)
    assert reply.decision == Decision.SMALLTALK and reply.escalation is None
    assert reply.answer == dict(real_engine.params.decision.smalltalk_replies)[kind]


def test_a_long_polite_message_finds_its_entry_through_the_asking_sentence(real_engine: Engine) -> None:
    message = (
        "いつもお世話になっております。来期の予算を組むため、社内で費用の確認を進めております。"
        "オンラインマーケットで使えるクレジットカードの種類を教えていただけますでしょうか。"
        "お手数をおかけしますが、よろしくお願いいたします。"
    )
    reply = real_engine.ask(message)
    assert reply.search.focus is not None and "クレジットカード" in reply.search.focus
    offered = [reply.hit] if reply.hit else list(reply.suggestions)
    assert reply.decision in (Decision.ANSWER, Decision.SUGGEST) and "21" in [h.entry.id for h in offered]


@pytest.mark.parametrize("question", ["会員登録に費用はかかりますか", "振込手数料はいくらですか"])
def test_near_misses_asking_a_price_the_faq_never_names_escalate(real_engine: Engine, question: str) -> None:
    reply = real_engine.ask(question)
    assert reply.decision == Decision.ESCALATE and reply.unanswered == ("料金・費用",)


@pytest.mark.parametrize(
    "question", ["見積書に社印は押されていますか", "ユーザーの一括登録はできますか", "請求書をFAXで送ってもらえますか"]
)
def test_a_near_miss_whose_key_word_the_faq_never_uses_is_not_answered(real_engine: Engine, question: str) -> None:
    reply = real_engine.ask(question)
    top = reply.search.hits[0].signals
    assert reply.decision != Decision.ANSWER
    assert top is not None and top.unknown_meaning > 0.02  # 社印, 一括, FAX carry the question


def test_a_when_question_whose_entry_gives_a_time_is_answered(real_engine: Engine) -> None:
    reply = real_engine.ask("契約はいつ確定しますか")
    assert reply.decision == Decision.ANSWER and reply.hit is not None and reply.hit.entry.id == "17"


def test_category_filter_keeps_the_best_entry_inside_the_category(real_engine: Engine) -> None:
    hits = real_engine.search("見積書を出したい", ["請求"]).hits
    assert hits and all(h.entry.category == "請求" for h in hits)


@pytest.mark.skipif(not DEV_SET.is_file(), reason="shared dev set not beside the checkout")
def test_dev_set_figures_stay_above_the_floor(real_engine: Engine) -> None:
    m = evaluate(real_engine, read_queries(Path(DEV_SET))).metrics
    # Floors a little under what the shipped decision model gives (measured: top1 0.9636,
    # answered 0.8909, helpful 0.9636, wrong 0.0, out of scope escalated 1.0).
    assert m["top1"] >= 0.93 and m["answered_correctly"] >= 0.87 and m["helpful"] >= 0.93
    assert m["wrong_answers"] <= 0.03 and m["oos_rejection"] >= 0.92


@pytest.mark.skipif(not VISITOR_SET.is_file(), reason="shared visitor set not beside the checkout")
def test_visitor_set_figures_stay_above_the_floor(real_engine: Engine) -> None:
    report = evaluate(real_engine, read_queries(Path(VISITOR_SET)))
    m = report.metrics
    # Measured: answered 0.6059, helpful 0.9235, wrong 0.0285, near misses safe 0.898, chatter escalated 0.9259.
    assert m["answered_correctly"] >= 0.58 and m["helpful"] >= 0.89
    assert m["wrong_answers"] <= 0.05 and m["near_oos_safe"] >= 0.88
    styles = {row["style"]: row for row in report.styles}
    assert styles["long"]["answered_correctly"] >= 0.62  # long polite messages are answered, not diluted
    assert styles["oos"]["oos_rejection"] >= 0.92  # chatter escalates, it gets no もしかして


def test_a_set_written_blind_stays_above_the_floor(real_engine: Engine) -> None:
    # data/blind_queries.tsv: written from the FAQ alone by someone who never saw the evaluation sets or the
    # decision's rules, and never fitted on. Measured: answered 0.70, helpful 0.94, wrong 0.0132, near misses
    # safe 0.9677, chatter escalated 0.90.
    report = evaluate(real_engine, read_queries(PROJECT_ROOT / "data" / "blind_queries.tsv"))
    m = report.metrics
    assert m["top1"] >= 0.93 and m["answered_correctly"] >= 0.66 and m["helpful"] >= 0.9
    assert m["wrong_answers"] <= 0.035 and m["near_oos_safe"] >= 0.9
    assert {row["style"]: row for row in report.styles}["oos"]["oos_rejection"] >= 0.85


def test_the_console_shows_a_mended_word_as_read_not_as_unknown(real_engine: Engine) -> None:
    why = explain(real_engine.current, "海員登録の方法を教えて")  # the IME's other choice for 会員
    assert "会員" in why.mended_words and "会員" not in why.unknown_words


def test_each_phrasing_the_faq_writes_is_answered_with_its_entry(real_engine: Engine) -> None:
    # The editors' own wording decides, whatever the probability.
    loaded = real_engine.current
    for entry in loaded.index.entries[:12]:
        for text in (entry.question, *entry.alternates):
            reply = loaded.ask(text)
            if reply.unanswered:  # a time or a price asked that its answer does not name: escalated all the same
                continue
            if len(set(reply.search.analysis.words)) < 2:  # one word (「quote」) names a topic: the model decides
                continue
            assert reply.decision == Decision.ANSWER and reply.hit is not None, text
            assert reply.hit.entry.id == entry.id, text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("クレジトカードは使えますか", "21"),
        ("請求書をダウンロドしたい", "31"),
    ],
)
def test_a_kana_left_out_of_a_word_still_finds_it(real_engine: Engine, typed: str, expected: str) -> None:
    # A small ッ or a long-vowel mark left out of a katakana word.
    reply = real_engine.current.ask(typed)
    assert reply.search.hits[0].entry.id == expected and reply.decision != Decision.ESCALATE
