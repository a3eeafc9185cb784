"""How a changed field reads in the preview: the characters that changed, or the whole field when rewritten."""

from __future__ import annotations

from faq_bot.content.diff import Segment, by_line, change_counts, marked, order_change
from faq_bot.content.faq import FaqEntry


def changed(segments: tuple[Segment, ...]) -> list[str]:
    return [s.text for s in segments if s.changed]


def test_a_small_edit_marks_only_what_changed_a_number_whole() -> None:
    before, after = marked("毎月10日頃に発行します。", "毎月15日頃に発行します。")
    assert changed(before) == ["10"] and changed(after) == ["15"]
    assert "".join(s.text for s in after) == "毎月15日頃に発行します。"


def test_latin_words_are_marked_whole_not_from_the_middle() -> None:
    before, after = marked(
        "クレジットカードは、VISA、Master、JCB、AMEX、DINERSに対応しています。",
        "クレジットカードは、VISA、Mastercard、JCB、American Express、Diners Clubに対応しています。",
    )
    assert changed(before) == ["Master", "AMEX、DINERS"]
    assert changed(after) == ["Mastercard", "American Express、Diners Club"]


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


def test_alternates_read_one_to_a_line_with_the_added_one_marked_on_its_own() -> None:
    before, after = marked("見積を出したい\n見積書がほしい", "見積を出したい\n見積書を作りたい\n見積書がほしい")
    assert [["".join(s.text for s in line)] for line in by_line(after)] == [
        ["見積を出したい"],
        ["見積書を作りたい"],
        ["見積書がほしい"],
    ]
    assert [s for line in by_line(after) for s in line if s.changed]  # the new one is marked
    assert all(not s.changed for s in by_line(before)[0])  # the first, the same on both sides, is not
    assert by_line(()) == ()  # no line of nothing
    joined_before, joined_after = marked("見積を出したい\n見積書がほしい", "見積を出したい見積書がほしい")
    lines = by_line(joined_before)  # two alternates made one: the break that went is marked where it was
    assert len(lines) == 2 and lines[0][-1] == Segment("\n", True)
    assert len(by_line(joined_after)) == 1


def test_a_cp932_look_alike_is_no_change_but_a_width_fix_is_one() -> None:
    from faq_bot.content.diff import diff
    from faq_bot.content.faq import FaqEntry

    live = FaqEntry("1", "支払い", "ｸﾚｼﾞｯﾄｶｰﾄﾞは使えますか", "VISA〜JCBに対応しています。")
    excel = FaqEntry("1", "支払い", "ｸﾚｼﾞｯﾄｶｰﾄﾞは使えますか", "VISA～JCBに対応しています。")  # what CP932 brings back
    fixed = FaqEntry("1", "支払い", "クレジットカードは使えますか", "VISA〜JCBに対応しています。")
    assert diff([live], [excel]) == []
    assert [(c.id, c.fields) for c in diff([live], [fixed])] == [("1", ("question",))]


def _entries(*rows: tuple[str, str]) -> list[FaqEntry]:
    return [FaqEntry(i, category, f"質問{i}", f"回答{i}") for i, category in rows]


def test_moving_one_entry_to_the_top_names_that_entry_and_the_category_buttons_new_order() -> None:
    old = _entries(("1", "見積"), ("2", "見積"), ("3", "請求"), ("4", "問い合わせ"))
    new = [old[3], *old[:3]]
    order = order_change(old, new)
    assert order is not None and order.moved == ("4",)
    assert order.categories_moved and order.categories_after == ("問い合わせ", "見積", "請求")


def test_entries_added_or_removed_are_no_reorder_and_a_move_within_a_category_keeps_the_buttons() -> None:
    old = _entries(("1", "見積"), ("2", "見積"), ("3", "請求"))
    assert order_change(old, [*old, FaqEntry("9", "新設", "質問9", "回答9")]) is None
    assert order_change(old, old[1:]) is None
    swapped = order_change(old, [old[1], old[0], old[2]])
    assert swapped is not None and len(swapped.moved) == 1 and not swapped.categories_moved
    assert change_counts([], swapped) == {"added": 0, "removed": 0, "changed": 0, "moved": 1}


def test_the_entries_named_as_moved_are_the_fewest_that_explain_the_new_order() -> None:
    old = _entries(*((str(i), "見積") for i in range(5)))
    # 1 2 3 kept their order, 4 and 0 were moved (runs next to each other would name 3: 1, 2 and 0 or 4)
    order = order_change(old, [old[1], old[4], old[2], old[0], old[3]])
    assert order is not None and order.moved == ("4", "0")
    many = _entries(*((str(i), "見積") for i in range(3000)))
    reversed_order = order_change(many, many[::-1])
    assert reversed_order is not None and len(reversed_order.moved) == 2999  # all but one, and quickly
