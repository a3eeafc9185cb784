"""Property-based fuzzing of the Excel reader: sheets with merges (any shape, overlapping too), dates, hidden rows
and columns, title rows and stray cells give entries or a typed format error, nothing else."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from faq_bot.content.queries import queries_of
from faq_bot.content.workbook import read_workbook
from faq_bot.errors import FaqFormatError

pytestmark = pytest.mark.fuzz

HEADINGS = st.sampled_from(["id", "分類", "質問", "回答", "言い換え", "query", "gold", "追加日", "", "メモ"])
VALUES = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),  # (Excel keeps no controls)
    st.integers(-5, 60),
    st.sampled_from([dt.datetime(2026, 1, 5), dt.time(10, 30), "=1+1", "id", "質問", "回答", "なし", None]),
)


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
ODD = st.sampled_from([dt.datetime(2026, 1, 5), dt.time(10, 30), "=1+1", "id", "質問", None, 7])


@st.composite
def sheets(draw: st.DrawFn) -> bytes:
    book = Workbook()
    sheet = book.active
    faq_like = draw(st.booleans())
    headings = ["id", "分類", "質問", "回答", "言い換え"][: draw(st.integers(4, 5))] if faq_like else None
    width = len(headings) if headings else draw(st.integers(1, 7))
    height = draw(st.integers(1, 9))
    top = draw(st.integers(1, 3))  # a title row or two above the header, sometimes
    for col in range(1, width + 1):
        sheet.cell(row=top, column=col, value=headings[col - 1] if headings else draw(HEADINGS))
    for row in range(top + 1, top + height + 1):
        for col in range(1, width + 1):
            if draw(st.integers(0, 9)) == 0:
                value = draw(ODD)  # a date, a formula, a heading, an empty cell
            elif faq_like and col == 1:
                value = row - top
            else:
                value = draw(TEXT) if faq_like else draw(VALUES)
            sheet.cell(row=row, column=col, value=value)
    if top > 1 and draw(st.booleans()):
        sheet.cell(row=1, column=1, value="FAQ一覧")
    for _ in range(draw(st.integers(0, 3))):
        c1, r1 = draw(st.integers(1, width + 1)), draw(st.integers(1, top + height))
        c2, r2 = c1 + draw(st.integers(0, 1)), r1 + draw(st.integers(0, 4))
        sheet.merged_cells.add(f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")  # overlaps too
    if draw(st.booleans()):
        sheet.row_dimensions[draw(st.integers(1, top + height))].hidden = True
    if draw(st.booleans()):
        sheet.column_dimensions[get_column_letter(draw(st.integers(1, width)))].hidden = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets())
def test_any_sheet_gives_entries_or_a_format_error_with_its_rows(raw: bytes) -> None:
    try:
        faq = read_workbook(raw, "fuzz.xlsx")
    except FaqFormatError as exc:
        assert exc.problems and all(p.message and (p.line is None or p.line >= 1) for p in exc.problems)
    else:
        assert faq.entries and all(e.id and e.question.strip() and e.answer.strip() for e in faq.entries)
        assert all(w.message for w in faq.warnings)
    try:
        queries_of(raw, "fuzz.xlsx")
    except FaqFormatError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
