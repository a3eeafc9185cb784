from __future__ import annotations

import pytest

from faq_bot.storage.masking import luhn_ok, mask_personal_data


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Full-width digits and dashes, and the long dash a kana keyboard gives for "-".
        ("電話は０９０－１２３４－５６７８です", "電話は[電話番号]です"),
        ("090ー1234ー5678 に折り返しを", "[電話番号] に折り返しを"),
        ("０３‐１２３４―５６７８", "[電話番号]"),
        ("（０３）１２３４ｰ５６７８", "[電話番号]"),
        # Brackets around any group (市外局番(市内局番)番号, the usual way to write a landline), dots, slashes,
        # spaces around a dash, and the international form with the trunk 0 in brackets.
        ("電話番号は03（1234）5678です", "電話番号は[電話番号]です"),
        ("090(1234)5678", "[電話番号]"),
        ("0467(12)3456まで", "[電話番号]まで"),
        ("090 - 1234 - 5678", "[電話番号]"),
        ("090.1234.5678 / 090/1234/5678", "[電話番号] / [電話番号]"),
        ("+81(0)90-1234-5678", "[電話番号]"),
        ("4111.1111.1111.1111", "[カード番号]"),
        ("カードNo.4111111111111111で", "カードNo.[カード番号]で"),
        # A date just before a number does not hide it.
        ("2024/10/15 090-1234-5678に", "2024/10/15 [電話番号]に"),
        ("10/15 090-1234-5678", "10/15 [電話番号]"),
        # Full-width e-mail addresses, wholly or only the at sign; text around them stays as typed.
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍまで", "[メールアドレス]まで"),
        ("連絡はtaro＠example.comへ", "連絡は[メールアドレス]へ"),
        # Card numbers (Luhn-checked), with or without spaces and dashes, in any width.
        ("カード 4111111111111111 で払いました", "カード [カード番号] で払いました"),
        ("4111 1111 1111 1111", "[カード番号]"),
        ("５５００－００００－００００－０００４", "[カード番号]"),
        ("3714 496353 98431", "[カード番号]"),
        # Postal codes.
        ("〒100-0001 東京都千代田区", "[郵便番号] 東京都千代田区"),
        ("〒１００－０００１", "[郵便番号]"),
        ("住所は123-4567の近く", "住所は[郵便番号]の近く"),
        # Not personal data: dates, prices, order numbers, katakana long vowels, short digit runs.
        ("注文番号12345、2024-10-15、1,234,567円", "注文番号12345、2024-10-15、1,234,567円"),
        ("2024.10.15と2024/10/15 12:30", "2024.10.15と2024/10/15 12:30"),
        ("円周率3.14159265358979、版1.2.3", "円周率3.14159265358979、版1.2.3"),
        # Digits joined by dots and slashes that are no phone number (no trunk 0, no country code).
        ("192.168.100.200から接続", "192.168.100.200から接続"),
        ("プランは980/1980/2980円、1200/600/700mm", "プランは980/1980/2980円、1200/600/700mm"),
        ("注文番号 2024/1015/0001、版12.345.6789", "注文番号 2024/1015/0001、版12.345.6789"),
        # Digits inside a word of letters: a reference in a URL, not a phone number.
        ("https://example.com/form_ABC0123456789_x", "https://example.com/form_ABC0123456789_x"),
        ("メールアドレスを変更したい", "メールアドレスを変更したい"),
        ("ＡＢＣ－１２３の型番", "ＡＢＣ－１２３の型番"),
    ],
)
def test_personal_data_is_masked_in_any_width(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


def test_numbers_that_fail_the_luhn_check_are_not_card_numbers() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert "[カード番号]" not in mask_personal_data("問い合わせ番号 4111111111111112")


def test_text_around_a_mask_keeps_its_full_width_characters() -> None:
    assert mask_personal_data("ＴＥＬ：０９０－１２３４－５６７８（平日）") == "ＴＥＬ：[電話番号]（平日）"
