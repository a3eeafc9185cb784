from __future__ import annotations

import pytest

from faq_bot.errors import FormatProblem, LoginThrottledError, RateLimitedError, waiting_time


def test_a_problem_names_a_tsv_column_by_its_heading_and_an_excel_column_once() -> None:
    assert str(FormatProblem(3, "質問", "質問が空です。")) == "3行目 列「質問」: 質問が空です。"
    # Was 「15行目 列「C列（質問）」」.
    assert str(FormatProblem(15, "C列（質問）", "HTMLタグ")) == "15行目 C列（質問）: HTMLタグ"
    assert str(FormatProblem(None, None, "読めません。")) == "読めません。"


@pytest.mark.parametrize(("seconds", "said"), [(1, "1秒"), (40, "40秒"), (89, "89秒"), (90, "2分"), (898, "15分")])
def test_a_wait_is_said_as_people_say_it(seconds: int, said: str) -> None:
    assert waiting_time(seconds) == said


def test_a_login_lockout_says_minutes_not_hundreds_of_seconds() -> None:
    assert "。15分ほど待って" in str(LoginThrottledError(898)) and "898" not in str(LoginThrottledError(898))
    assert "30秒ほど待って" in str(RateLimitedError(30))


def test_an_unknown_category_is_said_with_the_faqs_own() -> None:
    from faq_bot.errors import UnknownCategoryError

    said = str(UnknownCategoryError(["請球"], ["請求", "見積"]))
    assert said == "不明な分類です: 請球（このFAQの分類: 請求、見積）"
    assert str(UnknownCategoryError(["x"], [f"c{i}" for i in range(25)])).endswith("c19…）")
