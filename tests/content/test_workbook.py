"""Reading an FAQ or a question set from .xlsx: stray far cells, oversized and damaged workbooks."""

from __future__ import annotations

import io
import resource
import time
import zipfile

import pytest
from openpyxl import Workbook

from faq_bot.content import workbook
from faq_bot.content.workbook import read_workbook, sheet_rows
from faq_bot.errors import FaqFormatError

HEADER = ["id", "分類", "質問", "回答"]


def _book(*cells: tuple[str, str], rows: list[list[str]] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [HEADER, *(rows or [["1", "見積", "見積書は何度でも発行できますか", "はい、何度でも発行できます。"]])]:
        sheet.append(row)
    for ref, value in cells:
        sheet[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_rows_keep_their_sheet_numbers_and_formulas_their_cells() -> None:
    raw = _book(("B5", "=1+1"), ("A7", "7"))
    rows, formulas = sheet_rows(raw, "faq.xlsx")
    assert [n for n, _ in rows] == [1, 2, 5, 7]  # blank rows 3, 4 and 6 are not rows of text
    assert formulas == [(5, 1)]


def test_a_stray_cell_far_down_and_right_costs_nothing_and_loses_no_entry() -> None:
    # Read as a whole sheet, one value at XFD1048576 makes 17 billion cells: the process dies.
    raw = _book(("XFD1048576", "迷子のセル"))
    assert len(raw) < 10_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    faq = read_workbook(raw, "faq.xlsx")
    assert time.perf_counter() - started < 30
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KB: no sheet built in memory
    assert [e.id for e in faq.entries] == ["1"]


def test_a_value_past_the_last_row_read_is_refused_with_its_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook, "MAX_ROWS", 50)
    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_book(("C90", "遠くの質問")), "faq.xlsx")
    (problem,) = caught.value.problems
    assert problem.line == 90 and "50行目まで" in problem.message and "行を削除" in problem.message


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _book(rows=[[str(i), "分類", f"質問{i}", "回答" * 200] for i in range(1, 200)])
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        unpacked = sum(i.file_size for i in archive.infolist())
    monkeypatch.setattr(workbook, "MAX_UNPACKED", unpacked - 1)
    with pytest.raises(FaqFormatError) as caught:
        read_workbook(raw, "faq.xlsx")
    assert "展開すると" in caught.value.problems[0].message and "上限" in caught.value.problems[0].message
    monkeypatch.setattr(workbook, "MAX_UNPACKED", unpacked)
    assert len(read_workbook(raw, "faq.xlsx").entries) == 199


def test_a_zip_that_is_no_workbook_reads_as_unreadable() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "こんにちは")
    with pytest.raises(FaqFormatError) as caught:
        sheet_rows(out.getvalue(), "faq.xlsx")
    assert caught.value.problems[0].message == workbook.UNREADABLE
