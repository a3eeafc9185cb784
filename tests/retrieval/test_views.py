import pytest

from faq_bot.retrieval.views import as_sentences, focus, is_asking, sentences, without_subject


def test_a_message_is_cut_into_sentences_and_short_fragments_join_the_next() -> None:
    assert sentences("お世話になります。注文を取り消したいです。よろしく") == [
        "お世話になります。",
        "注文を取り消したいです。",
        "よろしく",
    ]
    assert sentences("はい。見積書は出せますか") == ["はい。見積書は出せますか"]


def test_a_fragment_without_a_letter_is_no_sentence() -> None:
    # A reference number after the question is part of the message, not a second sentence.
    assert sentences("請求書はいつ発行されますか？ (12345-0-17)") == ["請求書はいつ発行されますか？"]
    assert focus("What is the online market? (150)") is None
    assert sentences("(12345)") == []
    assert sentences("注文を取り消したいです。(ab12cd34-001)") == ["注文を取り消したいです。"]
    assert sentences("注文を取り消したいです。（ａｂ１２ｃｄ３４）") == ["注文を取り消したいです。"]  # typed full-width
    assert sentences("注文を取り消したいです。(注文番号 12345)") == ["注文を取り消したいです。", "(注文番号 12345)"]


def test_the_asking_sentence_is_the_last_one_that_asks() -> None:
    message = "いつもお世話になっております。先月注文しました。請求書はいつ届きますか。よろしくお願いします。"
    assert focus(message) == "請求書はいつ届きますか。"
    assert is_asking("見積書を送ってください")
    assert not is_asking("よろしくお願いします。")
    assert focus("注文を取り消したい") is None


@pytest.mark.parametrize("between", ["\n", "\r\n", "\r", "\u2028", "\u2029", "\n\n\n", "\n　\n", "｡", "．"])
def test_any_line_break_or_japanese_full_stop_ends_a_sentence(between: str) -> None:
    assert focus(f"いつもお世話になっております{between}請求書はいつ届きますか") == "請求書はいつ届きますか"


@pytest.mark.parametrize(
    "message", ["1.5倍の数量で見積もりたい", "Sample Co.,Ltd.の者ですが見積もりたい", "注文ミスった…どうしよう"]
)
def test_a_point_in_a_number_a_name_or_an_ellipsis_ends_no_sentence(message: str) -> None:
    assert focus(message) is None


def test_a_message_typed_with_line_breaks_reads_as_the_same_message_typed_with_full_stops() -> None:
    assert as_sentences("お世話になっております\r\n見積書を郵送してほしいです\n\n可能でしょうか") == (
        "お世話になっております。見積書を郵送してほしいです。可能でしょうか"
    )
    # A line that ends a sentence already, or a clause (、), gets no 。; NFKC makes ！ !
    assert as_sentences("はい。\n請求書の件で、\nご連絡しました！\n") == "はい。請求書の件で、ご連絡しました!"
    assert as_sentences("請求書はいつ届きますか") == "請求書はいつ届きますか"


NAMES = ("若葉市", "若葉市役所")


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "若葉市の粗大ごみの出し方を教えてください。",
            "粗大ごみの出し方を教えてください。",
        ),  # the name and its particle
        ("若葉市では粗大ごみを回収していますか", "粗大ごみを回収していますか"),
        ("若葉市役所で住民票を取れますか", "住民票を取れますか"),  # the longest name first
        ("住民票は若葉市でも取れますか", "住民票は取れますか"),
        ("若葉市営住宅の申込みはいつですか", "若葉市営住宅の申込みはいつですか"),  # inside a longer word: kept
        ("新若葉市の住民票はどこで取れますか", "新若葉市の住民票はどこで取れますか"),
        ("若葉市とは？", "若葉市とは？"),  # the name is what it asks about
        ("若葉市について教えてください", "若葉市について教えてください"),
        ("若葉市は何県にありますか", "若葉市は何県にありますか"),
        ("問い合わせ先は若葉市ですか", "問い合わせ先は若葉市ですか"),
        ("若葉市のみの制度ですか", "若葉市のみの制度ですか"),  # のみ is no particle of the name
        ("若葉市でもできますか", "できますか"),  # the retriever keeps the name where nothing else is asked
        ("若葉市の", "若葉市の"),  # too little left without it
        ("粗大ごみの出し方を教えてください", "粗大ごみの出し方を教えてください"),
    ],
)
def test_the_asking_sentence_is_read_without_the_name_of_what_the_faq_is_about(sentence: str, expected: str) -> None:
    assert without_subject(sentence, NAMES) == expected


def test_names_are_matched_as_normalised_text_and_none_leaves_the_sentence_alone() -> None:
    assert without_subject("abcマーケットのパスワードを変えたい", ("ＡＢＣマーケット",)) == "パスワードを変えたい"
    assert without_subject("若葉市の粗大ごみの出し方", ()) == "若葉市の粗大ごみの出し方"
    assert without_subject("abc.co.jpのページにログインできますか", ("abc",)) == "abc.co.jpのページにログインできますか"
    assert without_subject("info@abcのアドレスに送れますか", ("abc",)) == "info@abcのアドレスに送れますか"
