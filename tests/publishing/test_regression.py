"""The regression set checked on every publish: it keeps working when one of its lines is broken."""

from __future__ import annotations

from pathlib import Path

from faq_bot.publishing.regression import regression_set
from tests.conftest import write


def test_a_line_without_its_question_is_left_out_not_the_whole_set(tmp_path: Path) -> None:
    path = write(tmp_path / "regression.tsv", "query\tgold\n請求書はいつ届きますか\t1\n\t5\n社員食堂はありますか\t\n")
    assert [(q.query, q.gold) for q in regression_set(path)] == [
        ("請求書はいつ届きますか", ("1",)),
        ("社員食堂はありますか", ()),
    ]


def test_a_missing_or_unreadable_set_is_empty(tmp_path: Path) -> None:
    assert regression_set(None) == [] and regression_set(tmp_path / "none.tsv") == []
    assert regression_set(write(tmp_path / "bad.tsv", "q\tx\n1\t2\n")) == []
