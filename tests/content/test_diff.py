"""How a changed field reads in the preview: the characters that changed, or the whole field when rewritten."""

from __future__ import annotations

from faq_bot.content.diff import Segment, marked


def changed(segments: tuple[Segment, ...]) -> list[str]:
    return [s.text for s in segments if s.changed]


def test_a_small_edit_marks_only_the_characters_that_changed() -> None:
    before, after = marked("毎月10日頃に発行します。", "毎月15日頃に発行します。")
    assert changed(before) == ["0"] and changed(after) == ["5"]
    assert "".join(s.text for s in after) == "毎月15日頃に発行します。"


def test_a_rewritten_answer_is_marked_whole_not_as_scattered_kana() -> None:
    old = "マイページの会員情報からいつでも変更できます。"
    new = "お手数ですが、担当者までメールでご連絡ください。手続きをご案内します。"
    before, after = marked(old, new)
    assert before == (Segment(old, True),) and after == (Segment(new, True),)


def test_a_character_or_two_left_between_two_changes_is_marked_with_them() -> None:
    before, after = marked("請求書を郵送で送ります。", "見積書をPDFで送ります。")
    # 「書を」 between 請求→見積 and 郵送→PDF would otherwise stand alone, unmarked
    assert changed(before) == ["請求書を郵送"] and changed(after) == ["見積書をPDF"]


def test_an_added_or_emptied_field_is_one_run() -> None:
    assert marked("", "新しい言い換え") == ((), (Segment("新しい言い換え", True),))
    assert marked("古い言い換え", "") == ((Segment("古い言い換え", True),), ())


def test_a_cp932_look_alike_is_no_change_but_a_width_fix_is_one() -> None:
    from faq_bot.content.diff import diff
    from faq_bot.content.faq import FaqEntry

    live = FaqEntry("1", "支払い", "ｸﾚｼﾞｯﾄｶｰﾄﾞは使えますか", "VISA〜JCBに対応しています。")
    excel = FaqEntry("1", "支払い", "ｸﾚｼﾞｯﾄｶｰﾄﾞは使えますか", "VISA～JCBに対応しています。")  # what CP932 brings back
    fixed = FaqEntry("1", "支払い", "クレジットカードは使えますか", "VISA〜JCBに対応しています。")
    assert diff([live], [excel]) == []
    assert [(c.id, c.fields) for c in diff([live], [fixed])] == [("1", ("question",))]
