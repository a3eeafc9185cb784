"""The answers to check (``faq_bot.quality.doubtful``): the same words with the same entry once, 👎 first, then the
least probable."""

from __future__ import annotations

from faq_bot.quality.doubtful import doubtful_answers, doubtful_page
from faq_bot.storage.chatlog import LoggedQuestion


def asked(rid: str, message: str, entry: str, p: float, created: float, rating: str | None = None,
          comment: str | None = None) -> LoggedQuestion:  # fmt: skip
    return LoggedQuestion(rid, created, message, "answer", entry, p, "v1", rating, comment, None)


def test_the_same_words_answered_with_the_same_entry_are_one_row_with_its_lowest_probability() -> None:
    rows = doubtful_answers([
        asked("a", "カードは使える？", "4", 0.7, 10.0),
        asked("b", "カードは使える？", "4", 0.5, 20.0, "down", "JCBは？"),
        asked("c", "カードは使える？", "5", 0.6, 30.0),  # another entry: another row
        asked("d", "カードは使える？", "4", 0.65, 5.0, "down"),
    ])  # fmt: skip
    assert [(r.entry_id, r.count, r.confidence, r.down, r.last_seen) for r in rows] == [
        ("4", 3, 0.5, 2, 20.0),
        ("5", 1, 0.6, 0, 30.0),
    ]
    assert rows[0].comments == ("JCBは？",) and rows[0].request_ids == ("a", "b", "d")


def test_rows_rated_down_come_first_then_the_least_probable_then_the_newest() -> None:
    rows = doubtful_answers([
        asked("a", "一", "1", 0.7, 1.0),
        asked("b", "二", "1", 0.5, 1.0),
        asked("c", "三", "1", 0.95, 1.0, "down"),
        asked("d", "四", "1", 0.5, 9.0),
    ])  # fmt: skip
    assert [r.message for r in rows] == ["三", "四", "二", "一"]


def test_a_page_past_the_last_is_the_last_and_counts_rows_and_questions() -> None:
    questions = [asked(str(n), f"質問{n}", "1", n / 100, 1.0) for n in range(25)] + [asked("x", "質問3", "1", 0.9, 2.0)]
    shown = doubtful_page(questions, page=9, per_page=10)
    assert (shown.page, shown.pages, shown.total_rows, shown.total_questions) == (3, 3, 25, 26)
    assert [r.message for r in shown.rows] == [f"質問{n}" for n in range(20, 25)]
    assert doubtful_page([], page=2).pages == 1 and not doubtful_page([]).rows
