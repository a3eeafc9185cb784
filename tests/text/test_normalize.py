from __future__ import annotations

import pytest

from faq_bot.text.normalize import normalize, normalize_lines


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
