from __future__ import annotations

import pytest

from faq_bot.text.normalize import fold, folded, locate_all, normalize, normalize_lines


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("ダウンロ－ド", "ダウンロード"),
        ("サ‐ビス", "サービス"),
        ("ユーザ-を追加", "ユーザーを追加"),
        ("メ−ル", "メール"),
    ],
)
def test_a_dash_typed_for_the_long_vowel_mark_after_katakana_becomes_one(typed: str, normalized: str) -> None:
    assert normalize(typed) == normalized


@pytest.mark.parametrize(
    "text",
    [
        "プランa-1",
        "inv-2024-001",
        "10日-15日",
        "データ—それ",
        "ab-cd",
        "ログイン-ログアウト",  # after ン: two words joined
        "セキュリティ-ソフト",  # after a small kana
        "テスト-環境",  # before a kanji
        "サービス-",  # at the end
        "ユーザー-1",
    ],
)
def test_other_dashes_stay(text: str) -> None:
    assert normalize(text) == text


def test_lines_are_normalised_one_by_one_and_kept() -> None:
    assert normalize_lines("  お世話になっております\r\n\r\n　ＰＤＦ　で  もらえますか？ \n") == (
        "お世話になっております\npdf で もらえますか?"
    )
    assert normalize_lines("一行だけ") == normalize("一行だけ")


@pytest.mark.parametrize(
    ("text", "wanted", "found"),
    [
        ("カードはＶＩＳＡとJCBです", "visa", "ＶＩＳＡ"),  # widths and case, as written
        ("請求書は\n  毎月発行します", "請求書は 毎月", "請求書は\n  毎月"),  # white space left out
        ("請求書は\n毎月発行します", "請求書は毎月", "請求書は\n毎月"),  # a line break where no space is typed
        ("アプリをダウンロ-ドする", "ダウンロード", "ダウンロ-ド"),  # a dash typed for ー
        ("ダウンロードする", "ダウンロ－ド", "ダウンロード"),
        ("ﾀﾞｳﾝﾛｰﾄﾞ", "ダウンロード", "ﾀﾞｳﾝﾛｰﾄﾞ"),  # half width: NFKC joins ﾀﾞ, and so does the match
        ("ｶﾞｲﾄﾞを見てカタログ", "カ", "カ"),  # not the ｶ of ｶﾞ (which is ガ)
        ("か\u3099いど", "が", "か\u3099"),  # か and a combining mark
        ("請求書", "見積書", None),
        ("請求書", " ", None),  # nothing to look for
    ],
)
def test_locate_finds_the_words_as_written(text: str, wanted: str, found: str | None) -> None:
    spans = locate_all(text, [wanted])
    assert (text[spans[0][0] : spans[0][1]] if spans else None) == found


def test_locate_all_marks_every_place_of_every_word_and_joins_what_touches() -> None:
    text = "見積書は見積画面から。ああああ"
    assert locate_all(text, ["見積", "画面"]) == [(0, 2), (4, 8)]  # 見積 twice; 見積 and 画面 touch: one span
    assert locate_all(text, ["ああ"]) == [(11, 15)]  # overlapping places too
    assert locate_all(text, ["a.b", "(", ""]) == [] and locate_all("a.b", ["A.B"]) == [(0, 3)]  # words, not patterns


@pytest.mark.parametrize("text", ["ﾀﾞｳﾝ ﾛｰﾄﾞ\nＰＤＦ", "か\u3099いど", "ダウンロ-ド ΟΔΟΣ ①Straße", "請求書は\n  毎月"])
def test_fold_maps_each_character_back_to_the_text_and_folds_as_the_filter_does(text: str) -> None:
    assert fold(text).text == folded(text)  # the search's filter and its marks compare alike
    mapped = fold("ﾀﾞｳﾝ ﾛｰﾄﾞ\nＰＤＦ")
    assert mapped.text == "ダウンロードpdf"
    assert (mapped.starts[0], mapped.ends[0]) == (0, 2)  # ダ: ﾀ and its ﾞ
    assert mapped.starts[mapped.text.index("p")] == len("ﾀﾞｳﾝ ﾛｰﾄﾞ\n")
