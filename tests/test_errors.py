from __future__ import annotations

from faq_bot.errors import FormatProblem


def test_a_problem_names_a_tsv_column_by_its_heading_and_an_excel_column_once() -> None:
    assert str(FormatProblem(3, "質問", "質問が空です。")) == "3行目 列「質問」: 質問が空です。"
    # Was 「15行目 列「C列（質問）」」.
    assert str(FormatProblem(15, "C列（質問）", "HTMLタグ")) == "15行目 C列（質問）: HTMLタグ"
    assert str(FormatProblem(None, None, "読めません。")) == "読めません。"
