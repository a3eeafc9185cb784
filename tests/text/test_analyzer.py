from __future__ import annotations

import threading
import time
from typing import Any

from faq_bot.config import PROJECT_ROOT
from faq_bot.priority import lower_this_thread
from faq_bot.text.analyzer import KEPT_LENGTH, TextAnalyzer
from faq_bot.text.normalize import is_meaningful, normalize, reading_bigrams
from faq_bot.text.synonyms import SynonymTable

SYNONYMS = SynonymTable.load(PROJECT_ROOT / "data" / "synonyms.tsv")


def test_normalize_unifies_width_case_and_spaces() -> None:
    assert normalize("  ＰＤＦ　ﾀﾞｳﾝﾛｰﾄﾞ\n ") == "pdf ダウンロード"


def test_meaningless_input_is_detected() -> None:
    assert not is_meaningful("？？？ ... ！")
    assert is_meaningful("見積")
    assert is_meaningful("a")


def test_synonym_variants_become_the_canonical_spelling() -> None:
    a = TextAnalyzer(SYNONYMS)
    assert a.prepare("見積もりと見積りをクレカで") == "見積と見積をクレジットカードで"
    # Card brands in katakana read as the FAQ writes them (VISA, Master, JCB, AMEX, DINERS).
    assert a.analyze("アメックスやダイナースクラブは使えますか").words == a.analyze("AMEXやDINERSは使えますか").words


def test_the_faqs_noun_is_read_where_a_casual_って_makes_it_a_verb() -> None:
    # 「見積もりって」 is written 「見積って」 by the table, which janome reads as the verb 見積る's て-form;
    # the shipped table maps the verbs 見積る and 見積もる to the noun 見積, so the question keeps the FAQ's word.
    a = TextAnalyzer(SYNONYMS)
    for question in ("見積もりって何回でも出せるの?", "見積って何回でも出せる？", "見積もって何回でも出せる？"):
        assert a.analyze(question).words[0] == "見積", question


def test_analyzer_keeps_content_base_forms_only() -> None:
    words = TextAnalyzer().analyze("請求書をダウンロードする方法を知りたいのですが").words
    assert "請求" in words and "ダウンロード" in words
    assert not {"を", "たい", "です", "の", "する"} & set(words)


def test_a_polite_message_has_the_words_of_the_plain_question() -> None:
    """Keigo is no topic: ございます, いただけますでしょうか, よろしいでしょうか, お願い, ご教示 and いつごろ added
    words the FAQ never uses (ヨロシイ, ゴザル), which a long polite message was marked down for."""
    a = TextAnalyzer()
    plain = a.analyze("見積書の発行方法を教えてください").words
    for polite in (
        "見積書の発行方法をご教示いただけますでしょうか",
        "見積書の発行方法を教えていただけますか。よろしくお願いいたします",
        "見積書の発行方法を教えてもらえますか",
        "見積書の発行方法はございますでしょうか。どうすればよろしいでしょうか",
    ):
        assert a.analyze(polite).words == plain, polite
    assert a.analyze("請求書はいつごろ届きますか").words == a.analyze("請求書はいつ届きますか").words


def test_keigo_words_are_no_topic_only_where_they_are_keigo() -> None:
    """教示 is keigo after ご (ご教示ください), but a topic on its own (不服申立ての教示); お願い is keigo, but the head
    of a compound noun (お願い書) is part of a document's name, not left out with its suffix."""
    a = TextAnalyzer()
    assert "教示" in a.analyze("不服申立ての教示はありますか").words
    assert "教示" not in a.analyze("手順をご教示ください").words
    assert "お願い書" in a.analyze("お願い書の書き方は").words
    assert "お願い" not in a.analyze("よろしくお願いします").words


def test_hiragana_query_shares_reading_bigrams_with_kanji_text() -> None:
    a = TextAnalyzer()
    kanji = set(reading_bigrams(a.analyze("見積書").reading))
    kana = set(reading_bigrams(a.analyze("みつもりしょ").reading))
    assert len(kanji & kana) >= 3


def test_english_function_words_are_not_content() -> None:
    assert TextAnalyzer(SYNONYMS).analyze("Is there a free trial?").words == ("トライアル",)


def test_each_word_knows_where_it_stands_and_can_be_taken_out() -> None:
    analysis = TextAnalyzer().analyze("クレジットカードの分割払いはできますか")
    assert [analysis.normalized[s:e] for s, e in analysis.spans] == list(analysis.words)
    assert analysis.without({"分割払い"}) == "クレジットカードのはできますか"
    assert analysis.without(set()) == analysis.normalized


def test_a_compound_stands_where_its_noun_and_suffix_stand() -> None:
    analysis = TextAnalyzer().analyze("請求書を再発行したい")
    spans = dict(zip(analysis.words, analysis.spans, strict=True))
    assert analysis.normalized[slice(*spans["請求書"])] == "請求書"
    assert analysis.without({"請求書"}) == "を再発行したい"
    assert analysis.without({"請求", "請求書"}) == "を再発行したい"  # overlapping spans cut as one


def test_only_words_written_as_they_are_count_as_written() -> None:
    analysis = TextAnalyzer().analyze("通知メールを止めたい")  # 止める stands inflected: 止め
    assert analysis.as_written({"通知", "止める"}) == {"通知"}


def test_a_word_typed_in_hiragana_does_not_stand_as_written() -> None:
    # janome cuts hiragana into pieces that are rarely words (しかた, さっぱり): taken out of a casual message,
    # they moved its embedding and cost right candidates, so only words typed as they are kept count.
    analysis = TextAnalyzer().analyze("ねこの写真がほしい")  # kept as ネコ, typed ねこ
    assert "ネコ" in analysis.words and analysis.as_written({"ネコ", "写真"}) == {"写真"}


def test_pieces_of_an_identifier_are_not_words() -> None:
    assert TextAnalyzer().analyze("請求書はダウンロードできますか (a1b2c3d4-0-17)").words == (
        "請求",
        "請求書",
        "ダウンロード",
    )


def test_letters_glued_to_digits_are_a_code_not_words() -> None:
    analyzer = TextAnalyzer()
    # Order numbers, references and run ids: letters and digits take turns, the letter runs are pieces of a code.
    assert analyzer.analyze("請求書はダウンロードできますか (3fa2b9c1-0-17)").words == (
        "請求",
        "請求書",
        "ダウンロード",
    )
    assert analyzer.analyze("注文番号ab12cd34の取消").words == ("注文", "番号", "取消")
    # A name with a number stays a word, written together or apart; so does a word on its own.
    for typed in ("Windows 11でPDFは見られますか", "Windows11でPDFは見られますか"):
        assert analyzer.analyze(typed).words == ("windows", "pdf", "見る")
    assert analyzer.analyze("Office365のライセンス").words == ("office", "ライセンス")
    assert analyzer.analyze("COVID-19のワクチン接種").words == ("covid", "ワクチン", "接種")
    assert analyzer.analyze("JCBカードは使えますか").words == ("jcb", "カード", "使える")


def test_a_question_never_waits_for_staff_work_in_the_middle_of_an_analysis() -> None:
    analyzer = TextAnalyzer()
    inside, release = threading.Event(), threading.Event()
    staff_tokenizer = analyzer._tokenizers[True][0]
    real_tokenize = staff_tokenizer.tokenize

    def slow_tokenize(text: str, *args: Any, **kwargs: Any) -> Any:
        inside.set()
        release.wait(20)  # a long answer being read by a lowest-priority thread
        return real_tokenize(text, *args, **kwargs)

    staff_tokenizer.tokenize = slow_tokenize  # type: ignore[method-assign]

    def staff() -> None:
        lower_this_thread()
        analyzer.analyze("長い回答の本文")

    worker = threading.Thread(target=staff)
    worker.start()
    try:
        assert inside.wait(20)
        started = time.monotonic()
        assert analyzer.analyze("請求書をダウンロードしたい").words == ("請求", "請求書", "ダウンロード")
        assert time.monotonic() - started < 5  # did not wait for the staff analysis to end
        assert worker.is_alive()
    finally:
        release.set()
        worker.join(20)


def test_short_questions_read_lately_are_not_read_again_and_nothing_else_is_kept() -> None:
    analyzer = TextAnalyzer()
    short = analyzer.prepare("請求書をダウンロードできますか")
    first = analyzer.analyze_prepared(short, keep=True)
    assert analyzer.analyze_prepared(short, keep=True) is first  # kept
    assert analyzer.analyze_prepared(short) == first and analyzer.analyze_prepared(short) is not first  # a build's
    long = analyzer.prepare("請求書について。" * (KEPT_LENGTH // 8 + 1))
    assert len(long) > KEPT_LENGTH
    once = analyzer.analyze_prepared(long, keep=True)
    again = analyzer.analyze_prepared(long, keep=True)
    assert again == once and again is not once  # read again: the same analysis, not kept
    assert TextAnalyzer().analyze_prepared(short, keep=True) is not first  # kept per analyser (its synonyms)
