from __future__ import annotations

import csv
import io

import pytest

from faq_bot.spreadsheet import csv_line, csv_text, safe_cell


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"],
)
def test_cells_that_start_like_a_formula_are_made_text(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["請求書はいつ発行されますか", "a=b", "", "メール@は後ろ", 0.5, -0.25, 3])
def test_other_cells_and_numbers_are_left_as_they_are(value: str | float) -> None:
    assert safe_cell(value) == value


def test_csv_lines_quote_as_usual_and_the_file_starts_with_a_bom() -> None:
    line = csv_line(["=1+1", 'a"b,c', None, 0.5])
    assert next(csv.reader(io.StringIO(line))) == ["'=1+1", 'a"b,c', "", "0.5"]
    assert csv_text([["x"], ["@y"]]) == "\ufeffx\r\n'@y\r\n"
