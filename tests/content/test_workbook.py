"""Reading an FAQ or a question set from .xlsx: the FAQ's sheet among several, stray far cells, oversized and damaged
workbooks."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import resource
import time
import zipfile
from collections.abc import Callable, Sequence

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from faq_bot.content import workbook
from faq_bot.content.workbook import read_workbook, row_texts, sheet_rows
from faq_bot.errors import FaqFormatError, FormatProblem

HEADER = ["id", "分類", "質問", "回答"]
ENTRY = ["1", "見積", "見積書は何度でも発行できますか", "はい、何度でも発行できます。"]
MEMO = ("編集メモ", [["メモ"], ["回答は敬体で書く"]])


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
    sheet = sheet_rows(raw, "faq.xlsx")
    assert [n for n, _ in sheet.rows] == [1, 2, 5, 7]  # blank rows 3, 4 and 6 are not rows of text
    assert [(c.row, c.col) for c in sheet.refused] == [(5, 1)]
    assert sheet.refused[0].message == workbook.FORMULA


def _edited(edit: Callable[[Worksheet], None], rows: list[list[str]] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [HEADER, *(rows or [ENTRY])]:
        sheet.append(row)
    edit(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FOUR = [[str(i), "見積", f"質問{i}です", f"回答{i}です。"] for i in range(1, 5)]


def test_a_cell_excel_stored_as_a_date_or_a_time_is_refused_with_its_cell() -> None:
    def dated(sheet: Worksheet) -> None:
        sheet["D3"] = dt.datetime(2026, 1, 5)  # 「1/5」 typed into the answer
        sheet["D3"].number_format = "yyyy/m/d"
        sheet["C4"] = dt.time(10, 30)

    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_edited(dated, FOUR), "faq.xlsx")
    by_cell = {(p.line, p.column): p.message for p in caught.value.problems}
    assert set(by_cell) == {(3, "D列（回答）"), (4, "C列（質問）")}
    assert "日付・時刻（2026/1/5）" in by_cell[3, "D列（回答）"] and "文字列" in by_cell[3, "D列（回答）"]
    assert "（10:30）" in by_cell[4, "C列（質問）"]

    def dated_id(sheet: Worksheet) -> None:
        sheet["A3"] = dt.datetime(2026, 1, 5)  # an id typed as 1/5: a date, not an id

    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_edited(dated_id, FOUR), "faq.xlsx")
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "A列（id）")]  # once: why it was refused
    assert "日付・時刻" in caught.value.problems[0].message


def test_a_cell_merged_down_a_column_is_its_value_on_each_row_and_said_so() -> None:
    def merged(sheet: Worksheet) -> None:
        for row in range(2, 6):
            sheet[f"B{row}"] = None
        sheet["B2"] = "利用登録"
        sheet.merge_cells("B2:B4")

    faq = read_workbook(_edited(merged, FOUR), "faq.xlsx")
    assert [e.category for e in faq.entries] == ["利用登録", "利用登録", "利用登録", ""]
    (note,) = [w for w in faq.warnings if "結合" in w.message]
    assert note.line == 2 and note.column == "B列（分類）" and "B2:B4" in note.message and "利用登録" in note.message


def test_a_cell_merged_across_columns_is_refused() -> None:
    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_edited(lambda sheet: sheet.merge_cells("C3:D3"), FOUR), "faq.xlsx")
    (problem,) = [p for p in caught.value.problems if p.line == 3]  # not also the row's cells read as fewer
    assert problem.column == "C列（質問）" and "C3:D3" in problem.message and "結合を解除" in problem.message


def test_a_merge_across_hides_no_problem_of_its_own_row_or_of_the_header() -> None:
    def stray(sheet: Worksheet) -> None:
        sheet.merge_cells("B3:C3")
        sheet["F3"] = "メモ"  # more cells than the header has: no merge makes a row longer

    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_edited(stray, FOUR), "faq.xlsx")
    assert [(p.column, p.message[:8]) for p in caught.value.problems if p.line == 3] == [
        ("B列（分類）", "B3:C3 のセ"),
        (None, "列の数が6です（"),
    ]
    book = Workbook()
    for row in (["分類", "質問", "回答", "メモ", ""], ENTRY[1:]):  # no id column, and a heading merged across
        book.active.append(row)
    book.active.merge_cells("D1:E1")
    headed = io.BytesIO()
    book.save(headed)
    with pytest.raises(FaqFormatError) as caught:
        read_workbook(headed.getvalue(), "faq.xlsx")
    assert any("D1:E1" in p.message for p in caught.value.problems)
    assert any("必須の列「id / No.」" in p.message for p in caught.value.problems)  # the header's own problem too


def test_a_merge_down_to_the_last_row_of_excel_names_the_rows_read() -> None:
    def merged(sheet: Worksheet) -> None:
        sheet["B2"] = "利用登録"
        sheet.merge_cells("B2:B1048576")

    faq = read_workbook(_edited(merged, FOUR), "faq.xlsx")
    assert [e.category for e in faq.entries] == ["利用登録"] * 4
    (note,) = [w for w in faq.warnings if "結合" in w.message]
    assert "2〜5行目" in note.message and "1048576行目" not in note.message


def test_a_header_merged_over_two_rows_is_refused_and_publishes_no_heading_as_an_entry() -> None:
    def two_row_header(sheet: Worksheet) -> None:
        sheet.insert_rows(2)
        sheet["C2"] = "（60字以内）"  # a second header row of hints under the merged headings
        for col in "ABD":
            sheet.merge_cells(f"{col}1:{col}2")

    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_edited(two_row_header, FOUR), "faq.xlsx")
    merged = [
        p for p in caught.value.problems if "見出しのセルが下の行と結合されています（見出し行は1行目）" in p.message
    ]
    assert sorted((p.line, p.column) for p in merged) == [(1, "A列（id）"), (1, "B列（分類）"), (1, "D列（回答）")]


def test_a_title_merged_down_to_the_header_is_refused_as_such_and_without_a_header_no_merge_is_blamed_on_it() -> None:
    def titled(sheet: Worksheet) -> None:
        sheet.insert_rows(1)
        sheet["F1"] = "メモ: 回答は敬体で"
        sheet.merge_cells("F1:F2")  # a note box down to the header row

    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_edited(titled, FOUR), "faq.xlsx")
    (problem,) = [p for p in caught.value.problems if "結合" in p.message]
    assert problem.line == 2 and "見出し行より上のセル（タイトルやメモ）が見出し行まで" in problem.message

    def headless(sheet: Worksheet) -> None:
        sheet["A1"], sheet["C1"] = "番号", "問い"  # no header row names the FAQ's columns
        sheet.merge_cells("B1:B3")

    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_edited(headless, FOUR), "faq.xlsx")
    assert not any("見出し行（" in p.message and "結合" in p.message for p in caught.value.problems)
    assert any("必須の列" in p.message for p in caught.value.problems)


def test_a_sheet_of_more_merges_than_a_faq_has_or_of_overlapping_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workbook, "MAX_MERGES", 3)

    def many(sheet: Worksheet) -> None:
        for row in range(2, 6):
            sheet.merge_cells(f"E{row}:F{row}")

    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_edited(many, FOUR), "faq.xlsx")
    assert "結合されたセル" in caught.value.problems[0].message and "解除" in caught.value.problems[0].message

    def far_right(sheet: Worksheet) -> None:  # formatting beyond the columns read is no matter
        for row in range(2, 6):
            sheet.merge_cells(f"BZ{row}:CA{row}")

    assert [e.id for e in read_workbook(_edited(far_right, FOUR), "faq.xlsx").entries] == ["1", "2", "3", "4"]

    def overlapping(sheet: Worksheet) -> None:  # Excel never saves these; a generated file might
        sheet["B2"], sheet["B3"] = "利用登録", "支払い"
        sheet.merged_cells.add("B2:B4")  # (merge_cells would clear the cells under an earlier one)
        sheet.merged_cells.add("B3:B5")  # which category is row 3's?

    monkeypatch.setattr(workbook, "MAX_MERGES", 10_000)
    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_edited(overlapping, FOUR), "faq.xlsx")
    (problem,) = caught.value.problems
    assert problem.line == 3 and "B2:B4 と B3:B5 が重なっています" in problem.message


def test_a_title_row_above_the_header_is_passed_over_and_said_so() -> None:
    def titled(sheet: Worksheet) -> None:
        sheet.insert_rows(1)
        sheet["A1"] = "FAQ一覧（2026年12月版）"
        sheet.merge_cells("A1:D1")

    faq = read_workbook(_edited(titled, FOUR), "faq.xlsx")
    assert [e.id for e in faq.entries] == ["1", "2", "3", "4"]
    (note,) = [w for w in faq.warnings if "見出し行" in w.message]
    assert note.line == 1 and "2行目" in note.message and "FAQ一覧" in note.message


def test_a_header_problem_names_the_header_row_and_a_hidden_column_as_hidden() -> None:
    def memo(sheet: Worksheet) -> None:
        sheet.insert_rows(1)
        sheet["A1"] = "FAQ一覧"
        sheet["E2"] = "担当メモ"
        sheet.column_dimensions["E"].hidden = True

    with pytest.raises(FaqFormatError) as caught:
        read_workbook(_edited(memo, FOUR), "faq.xlsx")
    (problem,) = caught.value.problems
    assert problem.line == 2 and problem.column == "E列（非表示）"
    assert "担当メモ" in problem.message and "再表示" in problem.message


def test_a_hidden_faq_column_is_read_and_said_so() -> None:
    def folded(sheet: Worksheet) -> None:
        sheet["E1"] = "言い換え"
        sheet["E2"] = "見積は再発行できますか"
        sheet.column_dimensions["E"].hidden = True

    faq = read_workbook(_edited(folded, FOUR), "faq.xlsx")
    assert faq.entries[0].alternates == ("見積は再発行できますか",)
    (note,) = [w for w in faq.warnings if "非表示の列" in w.message]
    assert note.line == 1 and note.column == "E列（言い換え）" and "再表示" in note.message


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


def _sheets(*sheets: tuple[str, list[list[str]]], active: int = 0, hidden: tuple[str, ...] = ()) -> bytes:
    """A workbook of the named sheets and their rows, in order; ``active`` is the selected one."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = "hidden" if title in hidden else "visible"
        for row in rows:
            sheet.append(row)
    book.active = active
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _messages(problems: Sequence[FormatProblem]) -> list[str]:
    return [p.message for p in problems]


def test_the_faq_sheet_behind_a_memo_sheet_is_read_and_named() -> None:
    raw = _sheets(MEMO, ("FAQ", [["No.", "カテゴリ", "question", "answer"], ENTRY]))
    faq = read_workbook(raw, "faq.xlsx")
    assert [e.question for e in faq.entries] == ["見積書は何度でも発行できますか"]
    assert _messages(faq.warnings) == ["シート「FAQ」を読み込みました（ほかのシート: 編集メモ）。"]
    assert row_texts(raw)[2].startswith("1\t見積")  # the rows shown next to a problem are the FAQ sheet's


def test_of_two_faq_sheets_the_active_one_is_read_and_the_other_said_ignored() -> None:
    old = ["1", "見積", "古い質問", "古い回答"]
    raw = _sheets(MEMO, ("FAQ旧", [HEADER, old]), ("FAQ", [HEADER, ENTRY]), active=2)
    faq = read_workbook(raw, "faq.xlsx")
    assert [e.question for e in faq.entries] == ["見積書は何度でも発行できますか"]
    read, ignored = _messages(faq.warnings)
    assert read == "シート「FAQ」を読み込みました（ほかのシート: 編集メモ、FAQ旧）。"
    assert "「FAQ旧」" in ignored and "読み込んでいません" in ignored
    # The memo sheet selected: the first sheet with the FAQ's columns.
    raw = _sheets(MEMO, ("FAQ旧", [HEADER, old]), ("FAQ", [HEADER, ENTRY]), active=0)
    assert [e.question for e in read_workbook(raw, "faq.xlsx").entries] == ["古い質問"]


def test_a_hidden_faq_sheet_is_read_only_when_no_visible_sheet_has_the_columns() -> None:
    old = ["1", "見積", "古い質問", "古い回答"]
    raw = _sheets(("FAQ", [HEADER, ENTRY]), ("FAQ旧", [HEADER, old]), hidden=("FAQ旧",))
    faq = read_workbook(raw, "faq.xlsx")
    assert [e.question for e in faq.entries] == ["見積書は何度でも発行できますか"]
    assert _messages(faq.warnings) == ["シート「FAQ」を読み込みました（ほかのシート: FAQ旧（非表示））。"]
    raw = _sheets(MEMO, ("FAQ", [HEADER, ENTRY]), hidden=("FAQ",))
    faq = read_workbook(raw, "faq.xlsx")
    assert [e.id for e in faq.entries] == ["1"]
    assert _messages(faq.warnings) == ["非表示のシート「FAQ」を読み込みました（ほかのシート: 編集メモ）。"]


def test_without_a_faq_sheet_the_error_names_the_sheets_and_the_columns_needed() -> None:
    tally = ("集計", [["分類", "件数"], ["見積", "3"]])
    raw = _sheets(MEMO, tally, ("下書き", [["質問", "回答"], ["見積は？", "はい"]]), hidden=("下書き",))
    with pytest.raises(FaqFormatError) as caught:
        read_workbook(raw, "faq.xlsx")
    assert _messages(caught.value.problems) == [
        "FAQのシートが見つかりません（見たシート: 編集メモ、集計、下書き（非表示））。"
        "FAQのシートには、必須の列「id / No.」「question / 質問」「answer / 回答」のある見出し行が必要です。"
    ]
    assert caught.value.problems[0].line is None and row_texts(raw) == {}


def test_a_workbook_of_one_sheet_reads_as_before() -> None:
    faq = read_workbook(_book(), "faq.xlsx")
    assert [e.id for e in faq.entries] == ["1"] and faq.warnings == ()
    raw = _sheets(MEMO)
    with pytest.raises(FaqFormatError) as caught:
        read_workbook(raw, "faq.xlsx")
    assert _messages(caught.value.problems) == [
        "見出し「メモ」は不明な列です。",
        "必須の列「id / No.」が見出し行にありません。",
        "必須の列「question / 質問」が見出し行にありません。",
        "必須の列「answer / 回答」が見出し行にありません。",
    ]


def test_a_downloaded_workbook_says_which_version_it_was_made_from_after_it_is_saved_again() -> None:
    """Excel keeps a workbook's document properties and its very hidden sheets through a save; here openpyxl's full
    (not read-only) load and save stands in for one, as an editor's edit would."""
    noise = (hashlib.sha256(str(n).encode()).hexdigest() * 2 for n in range(600))  # does not compress to one cell
    published = ("id\t質問\t回答\n" + "".join(f"{n}\t質問{n}\t{x}\n" for n, x in enumerate(noise))).encode()
    version = hashlib.sha256(published).hexdigest()[:12]
    entries = read_workbook(_book(), "faq.xlsx").entries
    raw = workbook.write_workbook(entries, version, published)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(raw))
    assert book[workbook.ORIGIN_SHEET].sheet_state == "veryHidden" and book[workbook.ORIGIN_SHEET].max_row > 1
    book.active["C2"] = "編集した質問"
    out = io.BytesIO()
    book.save(out)
    assert workbook.workbook_origin(out.getvalue()) == workbook.WorkbookOrigin(version, published)
    again = read_workbook(out.getvalue(), "faq.xlsx")
    assert again.entries[0].question == "編集した質問" and again.warnings == ()  # not "one of two sheets read"


def test_a_workbook_without_a_version_or_with_another_value_has_no_origin_and_a_changed_copy_is_not_trusted() -> None:
    from openpyxl import load_workbook
    from openpyxl.packaging.custom import StringProperty

    assert workbook.workbook_origin(workbook.write_workbook([])) is None
    assert workbook.workbook_origin(_book()) is None
    assert workbook.workbook_origin(b"PK\x03\x04 damaged") is None
    book = Workbook()
    book.custom_doc_props.append(StringProperty(name=workbook.ORIGIN_PROPERTY, value="<script>"))
    out = io.BytesIO()
    book.save(out)
    assert workbook.workbook_origin(out.getvalue()) is None
    published = b"id\tquestion\tanswer\n1\tq\ta\n"
    version = hashlib.sha256(published).hexdigest()[:12]
    assert workbook.workbook_origin(workbook.write_workbook([], version)) == workbook.WorkbookOrigin(version, None)
    other = workbook.write_workbook([], version, published.replace(b"q", b"x"))  # not that version's file
    assert workbook.workbook_origin(other) == workbook.WorkbookOrigin(version, None)
    book = load_workbook(io.BytesIO(workbook.write_workbook([], version, published)))
    book[workbook.ORIGIN_SHEET]["A1"] = "not base64 at all!"
    out = io.BytesIO()
    book.save(out)
    assert workbook.workbook_origin(out.getvalue()) == workbook.WorkbookOrigin(version, None)


def test_hidden_rows_are_read_and_named_since_excel_does_not_show_them() -> None:
    def hide(sheet: Worksheet) -> None:
        sheet.row_dimensions[3].hidden = True

    faq = read_workbook(_edited(hide, FOUR), "faq.xlsx")
    assert [e.id for e in faq.entries] == ["1", "2", "3", "4"]
    (note,) = [w for w in faq.warnings if "非表示の行" in w.message]
    assert note.line == 3 and "3行目" in note.message and "公開されます" in note.message
