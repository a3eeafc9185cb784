from __future__ import annotations

import pytest

from faq_bot.text.analyzer import TextAnalyzer
from faq_bot.text.kana import Respeller, katakana_runs, needs_respelling

WORDS = [("支払い", 3), ("方法", 5), ("請求", 4), ("書", 6), ("契約", 9), ("変更", 7), ("開始", 1), ("パスワード", 2)]
WORDS += [("追加", 2), ("ユーザー", 3), ("する", 9), ("スグ", 2)]


@pytest.fixture(scope="module")
def respeller() -> Respeller:
    return Respeller.from_words(WORDS, TextAnalyzer(), katakana_runs(["パスワードとユーザーの管理"]))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("しはらいほうほう", "支払い方法"),
        ("けいやくへんこうしたい", "契約変更したい"),
        ("せいきゅうしょ", "請求書"),  # a one-kanji suffix after a word
        ("ぱすわーどをへんこうする", "パスワードを変更する"),  # loanwords come back in katakana
        ("ゆーざーをついかしたい", "ユーザーを追加したい"),
        ("たいかいしたい", "たいかいしたい"),  # 開始 would sit inside a word: left as typed
        ("しょ", "しょ"),  # a lone one-kanji word is never produced
        ("すぐつかえる", "すぐつかえる"),  # kana words of the FAQ are not "respelled"
        # A word directly followed by a verb typed without a particle (chat style): つかえる, おしえて, ...
        ("ぱすわーどつかえない", "パスワードつかえない"),
        ("しはらいほうほうおしえて", "支払い方法おしえて"),
        ("けいやくほしい", "契約ほしい"),
        ("ぱすわーどわすれた", "パスワードわすれた"),
        ("せいきゅうあります", "請求あります"),
    ],
)
def test_hiragana_runs_become_the_faqs_own_words(respeller: Respeller, typed: str, expected: str) -> None:
    assert respeller.respell(typed) == expected


def test_words_the_faq_does_not_use_are_never_produced(respeller: Respeller) -> None:
    assert respeller.respell("きょうのてんき") == "きょうのてんき"


def test_the_more_frequent_word_wins_a_shared_reading() -> None:
    r = Respeller.from_words([("口座", 1), ("講座", 5)], TextAnalyzer(), "")
    assert r.respell("こうざ") == "講座"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("しはらいほうほう", True),
        ("パスワードをかえたい", True),
        ("支払い方法", False),
        ("マニュアル", False),
        ("pdf", False),
    ],
)
def test_only_questions_without_kanji_are_respelled(text: str, expected: bool) -> None:
    assert needs_respelling(text) is expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("海員の登録方法", ("会員の登録方法", {"会員"})),  # the IME's other word of the same reading
        ("納品の機嫌はいつですか", ("納品の期限はいつですか", {"期限"})),
        ("使用書がほしい", ("仕様書がほしい", {"仕様書"})),  # the compound (使用 + 書), not its head
        ("会員の登録方法", None),  # the FAQ's own words stay
        ("天気はどうですか", None),  # no FAQ word is read the same
    ],
)
def test_a_word_the_faq_never_uses_is_mended_to_the_faq_word_read_the_same(
    typed: str, expected: tuple[str, set[str]] | None
) -> None:
    analyzer = TextAnalyzer()
    words = ["会員", "登録", "方法", "期限", "仕様書", "仕様", "書"]
    respeller = Respeller.from_words([(w, 1.0) for w in words], analyzer, "")
    assert respeller.mend_homophones(analyzer.analyze(typed), set(words), analyzer.noun_reading) == expected


def test_a_homophone_is_mended_only_where_the_faq_uses_it_with_the_questions_other_words() -> None:
    analyzer = TextAnalyzer()
    words = ["会員", "登録", "方法", "契約", "道路"]
    respeller = Respeller.from_words([(w, 1.0) for w in words], analyzer, "")
    typed = analyzer.analyze("海員の登録方法")
    seen: list[tuple[str, list[str]]] = []

    def fits(word: str, others: list[str], evidence: bool) -> bool:
        seen.append((word, others))
        return "登録" in others and not evidence

    assert respeller.mend_homophones(typed, set(words), analyzer.noun_reading, fits) == ("会員の登録方法", {"会員"})
    assert seen == [("会員", ["登録", "方法"])]  # the question's known words, the unknown 海員 not among them
    never = respeller.mend_homophones(typed, set(words), analyzer.noun_reading, lambda word, others, evidence: False)
    assert never is None
    # A katakana word that differs in small kana only is the same word, not a homophone: it needs no fit, and
    # it is no guess (the decision does not count it as a word the FAQ never uses).
    loanword = Respeller.from_words([("セキュリティ", 1.0)], analyzer, katakana_runs(["セキュリティ"]))
    typo = analyzer.analyze("セキュリテイ対策")
    mended = loanword.mend_homophones(
        typo, {"セキュリティ"}, analyzer.noun_reading, lambda word, others, evidence: False
    )
    assert mended == ("セキュリティ対策", frozenset())


def test_a_word_read_the_same_but_for_a_small_tsu_is_mended_only_with_evidence_that_it_belongs() -> None:
    analyzer = TextAnalyzer()
    words = ["出張", "旅費", "精算"]
    respeller = Respeller.from_words([(w, 1.0) for w in words], analyzer, "")
    assert respeller.held_keys == {"シュチョウ": "シュッチョウ"}  # the readings with っ, by their key
    typed = analyzer.analyze("主張旅費の精算")  # しゅちょう typed for しゅっちょう
    asked: list[tuple[str, list[str], bool]] = []

    def fits(word: str, others: list[str], evidence: bool) -> bool:
        asked.append((word, others, evidence))
        return "旅費" in others

    mended = respeller.mend_homophones(typed, set(words), analyzer.noun_reading, fits)
    assert mended == ("出張旅費の精算", {"出張"})
    assert asked == [("出張", ["旅費", "精算"], True)]  # a bolder guess than a homophone: evidence asked for
    alone = analyzer.analyze("主張の根拠")
    without = respeller.mend_homophones(alone, set(words), analyzer.noun_reading, lambda w, o, evidence: not evidence)
    assert without is None
    # Only a っ left out: 実行 typed right, where the FAQ says 事項, is no typo of it.
    fewer = Respeller.from_words([("事項", 1.0), ("予定", 1.0)], analyzer, "")
    assert fewer.mend_homophones(analyzer.analyze("実行の予定"), {"事項", "予定"}, analyzer.noun_reading) is None
    short = Respeller.from_words([("一致", 1.0)], analyzer, "")  # イッチ without っ is イチ: too short to tell a word
    assert short.held_keys == {}
    assert short.mend_homophones(analyzer.analyze("位置の確認"), {"一致"}, analyzer.noun_reading) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("セキュリテイ対策", ("セキュリティ対策", set())),  # a small kana typed large
        ("クレジツトカードの登録", ("クレジットカードの登録", set())),
        ("マニユアルが見たい", ("マニュアルが見たい", set())),
        ("プリンタの登録", ("プリンターの登録", set())),  # the final long-vowel mark left off (JIS style)
        ("クレジトカードの登録", ("クレジットカードの登録", set())),  # a small ッ left out inside the word
        ("マニュアルのダウンロド", ("マニュアルのダウンロード", set())),  # a long-vowel mark left out inside it
        ("ログインの方法", None),  # the FAQ's own word
        ("アイテムの登録", None),  # another word altogether
        ("ドア", None),  # too short to take for a typo
    ],
)
def test_a_katakana_word_the_faq_never_uses_is_mended_when_only_small_kana_or_a_bar_or_tsu_left_out_differ(
    typed: str, expected: tuple[str, set[str]] | None
) -> None:
    analyzer = TextAnalyzer()
    words = ["セキュリティ", "クレジットカード", "マニュアル", "プリンター", "ログイン", "ダウンロード"]
    words += ["登録", "方法", "対策"]
    katakana = katakana_runs(["セキュリティ、クレジットカード、マニュアル、プリンター、ログイン、ダウンロード"])
    respeller = Respeller.from_words([(w, 1.0) for w in words], analyzer, katakana)
    assert respeller.mend_homophones(analyzer.analyze(typed), set(words), analyzer.noun_reading) == expected


def test_two_faq_words_that_look_alike_once_folded_are_never_guessed_between() -> None:
    analyzer = TextAnalyzer()
    words = ["サーバー", "サーバ"]  # both in the FAQ: サーバ typed is the FAQ's own word; no key for the pair
    respeller = Respeller.from_words([(w, 1.0) for w in words], analyzer, katakana_runs(["サーバー サーバ"]))
    assert respeller.loanword_keys == {}
    # Nor two that read the same without their ッ and ー (and a short word has no such key: ロル is no typo of ロール).
    pair = ("スーパーマン", "スパーマン", "ロール")
    loose = Respeller.from_words([(w, 1.0) for w in pair], analyzer, " ".join(pair))
    assert loose.loose_keys == {}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("利用ぱすわーどを変更", "利用パスワードを変更"),  # the FAQ's loanword typed in hiragana beside kanji
        ("ゆーざーを追加したい", "ユーザーを追加したい"),
        ("けいやくを変更", "けいやくを変更"),  # kanji words are not put in where the visitor typed kanji too
        ("支払いについて", "支払いについて"),  # particles and endings stay as typed
        ("天気のいい日", "天気のいい日"),
    ],
)
def test_in_a_text_with_kanji_only_loanwords_come_back(respeller: Respeller, typed: str, expected: str) -> None:
    assert respeller.respell_loanwords(typed) == expected


def test_a_word_janome_read_from_hiragana_is_no_loanword() -> None:
    # ほしい and かかる are kept as ホシイ and カカル among the FAQ's words, but the FAQ never writes them in
    # katakana: a question's ほしい stays ほしい (見積書がホシイ embedded and read worse, and hid a price question).
    words = [("ホシイ", 3), ("カカル", 2), ("マニュアル", 1), ("見積", 2), ("料金", 1)]
    r = Respeller.from_words(words, TextAnalyzer(), katakana_runs(["利用マニュアルがほしい", "料金はかかりません"]))
    assert r.respell_loanwords("見積書がほしい") == "見積書がほしい"
    assert r.respell_loanwords("料金はかかる？") == "料金はかかる？"
    assert r.respell_loanwords("利用まにゅあるがほしい") == "利用マニュアルがほしい"
    assert r.respell("みつもりがほしい") == "見積がほしい"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("見積書をゆうそうしてもらえますか", "見積書を郵送してもらえますか"),  # ゆうそう read as ユウ + ソウ
        ("会員のもうしこみ", "会員の申込"),
        ("見積書を発行したいです", "見積書を発行したいです"),  # したい is read: never 死体
        ("見積書はゆうびんで", "見積書はゆうびんで"),  # no FAQ word is read so
    ],
)
def test_a_word_left_in_hiragana_in_a_question_with_kanji_is_respelled_only_where_it_was_not_read(
    typed: str, expected: str
) -> None:
    analyzer = TextAnalyzer()
    words = ["見積書", "見積", "郵送", "会員", "申込", "発行", "死体"]
    respeller = Respeller.from_words([(w, 1.0) for w in words], analyzer, "")
    analysis = analyzer.analyze_prepared(analyzer.prepare(typed), keep=True)
    respelled = respeller.respell_unconverted(analysis, set(words), lambda t: analyzer.analyze_prepared(t, keep=True))
    assert respelled.normalized == expected
    assert (respelled is analysis) == (typed == expected)
