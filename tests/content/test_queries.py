"""Labelled question sets: TSV or the first sheet of an .xlsx, every line that cannot be a question named."""

from __future__ import annotations

import io

import pytest

from faq_bot.content.queries import queries_of
from faq_bot.errors import FaqFormatError


def test_a_tsv_and_the_same_sheet_give_the_same_questions() -> None:
    from openpyxl import Workbook

    rows = [["query", "gold", "style"], ["請求書はいつ届きますか", "1,2", "casual"], ["今日の天気は？", "", ""]]
    tsv = "\n".join("\t".join(r) for r in rows).encode("cp932")
    book = Workbook()
    for r in rows:
        book.active.append([int(c) if c.isdigit() else c for c in r])
    out = io.BytesIO()
    book.save(out)
    from_tsv = queries_of(tsv, "q.tsv")
    from_sheet = queries_of(out.getvalue(), "q.xlsx")
    assert [(q.query, q.gold, q.line, q.style) for q in from_tsv] == [
        ("請求書はいつ届きますか", ("1", "2"), 2, "casual"),
        ("今日の天気は？", (), 3, ""),
    ]
    assert [(q.query, q.gold, q.line, q.style) for q in from_sheet] == [(q.query, q.gold, q.line, q.style)
                                                                       for q in from_tsv]  # fmt: skip


def test_a_gold_without_its_question_is_named_by_line_and_blank_lines_are_skipped() -> None:
    with pytest.raises(FaqFormatError) as caught:
        queries_of("query\tgold\n見積を作りたい\t3\n\t5\n\t\n".encode(), "q.tsv")
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "質問")]
    assert "質問が空です" in caught.value.problems[0].message and caught.value.what == "質問集"


def test_a_formula_in_a_question_set_is_named_by_its_column_letter_and_heading() -> None:
    from openpyxl import Workbook

    book = Workbook()
    for row in (["質問", "正解"], ["請求書はいつ届きますか", "=1+1"]):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(FaqFormatError) as caught:
        queries_of(out.getvalue(), "q.xlsx")
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, "B列（正解）")]


def test_a_date_or_a_merge_in_a_column_not_read_is_no_matter_but_one_in_the_questions_is_refused() -> None:
    import datetime as dt

    from openpyxl import Workbook

    def sheet_with(cell: str) -> bytes:
        book = Workbook()
        for row in (
            ["質問", "正解", "追加日", "メモ", "備考"],
            ["請求書はいつ届きますか", "3"],
            ["見積を作りたい", "4"],
        ):
            book.active.append(row)
        book.active["C2"] = dt.date(2026, 12, 1)  # a column of notes Excel keeps as dates
        book.active["D3"] = "要確認"
        book.active.merge_cells("D3:E3")  # merged across, beside the set
        book.active[cell] = dt.datetime(2026, 1, 5)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    read = queries_of(sheet_with("C3"), "q.xlsx")
    assert [(q.query, q.gold) for q in read] == [("請求書はいつ届きますか", ("3",)), ("見積を作りたい", ("4",))]
    with pytest.raises(FaqFormatError) as caught:
        queries_of(sheet_with("A3"), "q.xlsx")
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "A列（質問）")]


def test_a_damaged_workbook_is_a_question_set_problem_in_japanese() -> None:
    with pytest.raises(FaqFormatError) as caught:
        queries_of(b"PK\x03\x04" + b"\x00" * 40, "q.xlsx")
    assert caught.value.what == "質問集" and "壊れているか" in caught.value.problems[0].message


def test_japanese_headings_and_any_case_or_width_name_the_columns() -> None:
    from faq_bot.content.queries import parse_queries

    rows = parse_queries("質問\t正解\t文体\nいつ届く？\t3\tcasual\n", "q.tsv")
    assert [(q.query, q.gold, q.style) for q in rows] == [("いつ届く？", ("3",), "casual")]
    assert parse_queries("Query\tＧＯＬＤ\nx\t1\n", "q.tsv")[0].gold == ("1",)


def test_the_categories_to_narrow_to_are_read_with_either_separator_once_each() -> None:
    raw = "質問\t正解\t絞り込み\n請求書は？\t1\t請求|見積\n見積は？\t3\t 見積、請求、見積 \n振込は？\t5\t\n".encode()
    assert [q.categories for q in queries_of(raw, "q.tsv")] == [("請求", "見積"), ("見積", "請求"), ()]


def test_gold_ids_typed_in_full_width_or_with_japanese_commas_are_read() -> None:
    from faq_bot.content.queries import parse_queries

    assert parse_queries("質問\t正解\nx\t１１、１２\n", "q.tsv")[0].gold == ("11", "12")
    assert parse_queries("質問\t正解\nx\t11|12\n", "q.tsv")[0].gold == ("11", "12")  # as between alternates


def test_a_gold_cell_that_says_none_in_words_is_a_question_for_a_person() -> None:
    from faq_bot.content.queries import parse_queries

    text = "質問\t正解\n天気は？\tなし\n株価は？\t－\n相場は？\tNone\n為替は？\t該当なし\n見積は？\t-1\n"
    assert [q.gold for q in parse_queries(text, "q.tsv")] == [(), (), (), (), ("-1",)]
    with pytest.raises(FaqFormatError) as caught:  # なし without its question is a slip too, as an id is
        parse_queries("質問\t正解\nx\t1\n\tなし\n", "q.tsv")
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "質問")]


def test_a_first_row_without_the_columns_says_what_it_holds_and_what_would_do() -> None:
    for raw, said in (
        (b"", "1行目に見出し行がありません（空のファイルか"),
        ("タイトル\t\n質問\t正解\n".encode(), "（1行目は 「タイトル」）"),
        ("質問\t正解のFAQ番号\nx\t1\n".encode(), "正解の列は「正解」「正解id」「期待」か「gold」"),
    ):
        with pytest.raises(FaqFormatError) as caught:
            queries_of(raw, "q.tsv")
        assert said in caught.value.problems[0].message and caught.value.problems[0].line == 1


def test_a_csv_as_excel_saves_it_is_read_like_a_tsv() -> None:
    raw = '質問,正解,文体\r\n請求書は？,"11,12",casual\r\n"天気は、どう？",なし,oos\r\n'.encode("cp932")
    assert [(q.query, q.gold, q.style) for q in queries_of(raw, "q.csv")] == [
        ("請求書は？", ("11", "12"), "casual"),
        ("天気は、どう？", (), "oos"),
    ]


def test_a_near_miss_style_is_read_under_one_name_whatever_its_spelling() -> None:
    from faq_bot.content.queries import NEAR_MISS_STYLE, parse_queries

    text = (
        "質問\t正解\t文体\na\t\tnear-miss\nb\t\tNear_OOS\nc\t\tnear oos\nd\t1\tLong\ne\t1\t言い換え\n"
        "f\t\tｎｅａｒ－ｏｏｓ\n"
    )
    assert [q.style for q in parse_queries(text, "q.tsv")] == [NEAR_MISS_STYLE] * 3 + [
        "Long",
        "言い換え",
        NEAR_MISS_STYLE,
    ]


def test_gold_ids_and_categories_the_faq_lacks_are_named_line_by_line_with_the_faq() -> None:
    from faq_bot.content.queries import check_labels, parse_queries

    rows = parse_queries("質問\t正解\t絞り込み\n請求書は？\t1\t請求\n見積は？\t9\t見積|契約\n振込は？\t\t\n", "q.tsv")
    check_labels(rows[:1] + rows[2:], "q.tsv", {"1", "3"}, {"請求", "見積"})  # nothing unknown: no error
    with pytest.raises(FaqFormatError) as caught:
        check_labels(rows, "q.tsv", {"1", "3"}, {"請求", "見積"}, faq="FAQ「other.tsv」")
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "正解"), (3, "絞り込み")]
    assert caught.value.problems[0].message == "正解のid「9」はFAQ「other.tsv」にありません。"
    assert "分類「契約」" in caught.value.problems[1].message and caught.value.what == "質問集"


def test_a_line_narrowed_to_categories_without_its_gold_entry_is_named() -> None:
    from faq_bot.content.queries import check_labels, parse_queries

    rows = parse_queries("質問\t正解\t絞り込み\n同僚を追加したい\t41\t契約\n請求書は？\t1\t請求|契約\n", "q.tsv")
    category_of = {"41": "ユーザー追加", "1": "請求"}
    with pytest.raises(FaqFormatError) as caught:
        check_labels(rows, "q.tsv", set(category_of), {"請求", "契約", "ユーザー追加"}, category_of=category_of)
    (problem,) = caught.value.problems  # the second line's gold is in one of its categories: fine
    assert (problem.line, problem.column) == (2, "絞り込み")
    assert problem.message.startswith("正解のFAQ 41（分類 ユーザー追加） は、絞り込んだ分類（契約）にありません。")


def test_a_question_of_several_lines_is_numbered_by_the_line_it_starts_on() -> None:
    # Excel writes a cell with line breaks in quotes: the rows after it keep the lines an editor's text editor shows.
    raw = '質問,正解\r\n"お世話になっております。\r\n見積の期限は？",12\r\n請求書は？,\r\n,5\r\n'.encode()
    with pytest.raises(FaqFormatError) as caught:
        queries_of(raw, "q.csv")
    assert [(p.line, p.column) for p in caught.value.problems] == [(5, "質問")]
    from faq_bot.content.queries import parse_queries

    rows = parse_queries('質問\t正解\n"一行目\n二行目"\t1\n次\t2\n', "q.tsv")
    assert [(q.query, q.line) for q in rows] == [("一行目\n二行目", 2), ("次", 4)]


def test_a_gold_cell_with_none_and_ids_together_asks_which_is_meant() -> None:
    with pytest.raises(FaqFormatError) as caught:
        queries_of("質問\t正解\n請求書は？\tなし、3\n見積は？\t2\n".encode(), "q.tsv")
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (2, "正解")
    assert "「なし」とidが両方" in problem.message and "idだけ" in problem.message


def test_a_range_pasted_from_excel_is_numbered_by_its_rows() -> None:
    from faq_bot.content.queries import parse_queries

    text = '質問\t正解\n"お世話になっております。\n見積の期限は？"\t12\n請求書は？\t\n'
    assert [q.line for q in parse_queries(text, "貼り付けた表", by_row=True)] == [2, 3]  # Excel's rows 2 and 3
    assert [q.line for q in parse_queries(text, "q.tsv")] == [2, 4]  # a file's text lines
