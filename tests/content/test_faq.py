from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from faq_bot.config import PROJECT_ROOT
from faq_bot.content import faq
from faq_bot.errors import FaqFormatError, FormatProblem
from tests.conftest import SMALL_FAQ, write

HEADER = "id\tcategory\tquestion\tanswer\talternates\n"


def problems_of(text: str) -> list[str]:
    with pytest.raises(FaqFormatError) as info:
        faq.parse(text, "t.tsv")
    return [str(p) for p in info.value.problems]


def test_shipped_faq_loads_with_47_entries_and_no_markup() -> None:
    loaded = faq.load(PROJECT_ROOT / "data" / "faq.tsv")
    assert [e.id for e in loaded.entries] == [str(i) for i in range(1, 48)]
    assert loaded.warnings == ()
    assert "オンラインマーケット" in loaded.categories
    text = "".join(e.question + e.answer + e.category for e in loaded.entries)
    for damage in ("見債", "マイベージ", "ショッピングカード", "<li>", "&gt;", "マーケッ ト", "手続 き"):
        assert damage not in text
    steps = loaded.by_id()["42"].answer.split("\n")
    assert [s[0] for s in steps] == ["①", "②", "③", "④"]


def test_seed_header_and_quoted_multiline_fields_are_read() -> None:
    text = 'No.\t分類\t質問\t回答\n1\t一般\t質問です\t"一行目\n二行目"\n2\t一般\t別の質問\t答え\n'
    loaded = faq.parse(text)
    assert loaded.entries[0].answer == "一行目\n二行目"
    assert loaded.entries[1].line == 4


def test_cp932_and_bom_files_are_decoded_and_reported(tmp_path: Path) -> None:
    cp932 = faq.load(write(tmp_path / "a.tsv", SMALL_FAQ, "cp932"))
    bom = faq.load(write(tmp_path / "b.tsv", "\ufeff" + SMALL_FAQ))
    assert cp932.encoding == "CP932 (Shift_JIS)" and bom.encoding == "UTF-8 (BOM付き)"
    assert cp932.entries == bom.entries


def test_crlf_line_ends_are_normalised() -> None:
    text = HEADER.replace("\n", "\r\n") + '1\tc\t質問\t"a\r\nb"\t\r\n'
    assert faq.parse(text).entries[0].answer == "a\nb"


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    raw = (HEADER + "1\tc\tq\ta\t\n").encode() + b"2\tc\t\xff\xfe\xfa\tx\t\n"
    with pytest.raises(FaqFormatError) as info:
        faq.read_bytes(raw, "bad.tsv")
    assert info.value.problems[0].line == 3
    assert "UTF-8" in str(info.value) and "CP932" in str(info.value)


def test_a_cp932_file_with_one_broken_character_names_its_line_not_the_first_japanese_one() -> None:
    # Read as UTF-8 it fails at its first Japanese character (line 2); as CP932 only at the broken one.
    lines = SMALL_FAQ.encode("cp932").split(b"\n")
    lines[4] = lines[4].replace(b"\t", b"\t\x85\x40", 1)  # 0x85 0x40: no character in CP932
    raw = b"\n".join(lines)
    with pytest.raises(FaqFormatError) as info:
        faq.read_bytes(raw, "sjis.tsv")
    problem = info.value.problems[0]
    assert problem.line == 5 and "CP932 (Shift_JIS) として読めない文字" in problem.message
    assert "0x85 0x40" in problem.message and problem.column == "分類"  # the pair, in the column it stands in
    shown = faq.readable_text(raw).splitlines()  # the page shows the lines as CP932, the broken one marked
    assert shown[1] == SMALL_FAQ.splitlines()[1] and "\ufffd" in shown[4]


@pytest.mark.parametrize(
    ("encoding", "label"),
    [
        ("utf-16", "UTF-16 (Excelの「Unicode テキスト」)"),  # Excel's "Unicode テキスト": UTF-16 LE with a BOM
        ("utf-16-be", "UTF-16 (Excelの「Unicode テキスト」)"),
        ("euc_jp", "EUC-JP"),
    ],
)
def test_a_faq_saved_as_utf16_or_euc_jp_reads_whole(encoding: str, label: str) -> None:
    raw = SMALL_FAQ.encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw
    read = faq.read_bytes(raw, "faq.txt")
    assert read.encoding == label
    assert [(e.id, e.question, e.answer) for e in read.entries] == [
        (e.id, e.question, e.answer) for e in faq.read_bytes(SMALL_FAQ.encode("utf-8"), "faq.tsv").entries
    ]
    assert raw.decode(faq.charset_of(raw)).lstrip("\ufeff") == SMALL_FAQ  # served back in its own encoding


def test_a_cp932_file_never_reads_as_euc_jp() -> None:
    # 、。 and hiragana start with bytes EUC-JP does not use: CP932 text is never taken for EUC-JP mojibake.
    assert faq.read_bytes(SMALL_FAQ.encode("cp932"), "sjis.tsv").encoding == "CP932 (Shift_JIS)"


def test_wrong_column_count_is_reported_with_line() -> None:
    assert any("3行目" in p and "列の数" in p for p in problems_of(HEADER + "1\tc\tq\ta\t\n2\tc\tq2\n"))


def test_missing_optional_trailing_column_is_accepted() -> None:
    assert faq.parse(HEADER + "1\tc\tq\ta\n").entries[0].alternates == ()


def test_empty_question_and_answer_are_reported_with_column() -> None:
    found = problems_of(HEADER + "1\tc\t\ta\t\n2\tc\tq\t \t\n")
    assert any("2行目" in p and "質問" in p for p in found)
    assert any("3行目" in p and "回答" in p for p in found)


def test_duplicate_id_names_both_lines_and_the_first_entry_by_its_question() -> None:
    found = problems_of(HEADER + "1\tc\tq1\ta\t\n1\tc\tq2\ta\t\n")
    assert found == ["3行目 列「id」: id「1」が重複しています（2行目、質問「q1」と同じid）。"]
    with pytest.raises(FaqFormatError) as info:
        faq.parse(HEADER + f"1\tc\t{'長' * 50}\ta\t\n1\tc\tq2\ta\t\n", "t.tsv")
    # to the editor of one entry, who sees no file: its question alone, a long one cut with …
    assert info.value.problems[0].without_line() == FormatProblem(
        None, "id", f"id「1」が重複しています（質問「{'長' * 39}…」と同じid）。"
    )


def test_duplicate_question_after_normalisation_is_reported() -> None:
    found = problems_of(HEADER + "1\tc\tＰＤＦは使えますか？\ta\t\n2\tc\tpdfは使えますか\tb\t\n")
    assert any("3行目" in p and "id 1 の質問と同じ" in p for p in found)


def test_alternate_equal_to_another_question_is_a_duplicate() -> None:
    assert any("id 2 の言い換え「q1」は id 1 の質問と同じ" in p
               for p in problems_of(HEADER + "1\tc\tq1\ta\t\n2\tc\tq2\tb\tq1\n"))  # fmt: skip
    # An alternate added above another entry's question: both fields named, as the entry editor shows it.
    found = problems_of(HEADER + "20\tc\tq20\ta\tq21\n21\tc\tq21\tb\t\n")
    assert any("id 21 の質問「q21」は id 20 の言い換えと同じ" in p for p in found)


def test_unknown_and_missing_header_columns_are_reported() -> None:
    found = problems_of("id\tquestion\tfoo\n1\tq\tx\n")
    assert any("foo" in p for p in found) and any("回答" in p or "answer" in p for p in found)


def test_unterminated_quote_is_a_format_error() -> None:
    assert problems_of(HEADER + '1\tc\t"q\ta\t\n')


def test_markup_is_kept_as_text_with_a_warning() -> None:
    loaded = faq.parse(HEADER + "1\tc\tq\t<script>alert(1)</script>\t\n")
    assert loaded.entries[0].answer == "<script>alert(1)</script>"
    assert loaded.warnings and loaded.warnings[0].column == "回答"
    # named by its id: a line number is no row an editor finds in Excel or in a merged file
    assert loaded.warnings[0].message.startswith("id 1 の回答にHTMLタグや文字参照が含まれています")


def test_a_cell_that_reads_as_a_spreadsheet_formula_is_kept_as_text_with_a_warning() -> None:
    # In a .xlsx a formula is refused (its value is wanted); in a TSV it is text a visitor would see as written.
    loaded = faq.parse(HEADER + '22\tc\tq\t=HYPERLINK("https://evil.example.com","こちら")\t=A1\n')
    assert loaded.entries[0].answer == '=HYPERLINK("https://evil.example.com","こちら")'
    messages = [(w.column, w.message) for w in loaded.warnings]
    assert messages[0][0] == "回答" and messages[0][1].startswith("id 22 の回答が数式のように見えます（「=HYPERLINK(")
    assert messages[1][0] == "言い換え" and "=A1" in messages[1][1]
    # Text that only starts like one (list items, a rule, a phone number), or a formula-like line inside: no formula.
    for text in ("- 項目", "- Chrome (最新版)", "-Q1 よくある質問", "=== お知らせ ===", "+81-3-1234-5678", "-1",
                 '"手順:\n=SUM(A1)"'):  # fmt: skip
        assert not faq.parse(HEADER + f"1\tc\tq\t{text}\t\n").warnings, text


@pytest.mark.parametrize(
    "field", ["<b>太字</b>", "< / p >", "&amp;", "&#12354;", '<a href="https://example.com">リンク</a>']
)
def test_tags_and_character_references_are_found(field: str) -> None:
    assert faq.parse(HEADER + f"1\tc\tq\t{field}\t\n").warnings


@pytest.mark.parametrize("field", ["5<6", "1 < 2", "AT&T", "&#;", "<>"])
def test_comparisons_and_ampersands_are_not_markup(field: str) -> None:
    assert not faq.parse(HEADER + f"1\tc\tq\t{field}\t\n").warnings


def _unbounded_repeats(pattern: str) -> list[str]:
    """Repeats in a regex with no upper bound (what lets one match attempt scan the rest of the text)."""
    from re import _constants, _parser  # type: ignore[attr-defined]

    found: list[str] = []

    def walk(sub: object) -> None:
        for op, av in sub:  # type: ignore[attr-defined]
            if op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT):
                low, high, inner = av
                if high == _constants.MAXREPEAT:
                    found.append(f"{op} {low}..")
                walk(inner)
            elif op is _constants.BRANCH:
                for branch in av[1]:
                    walk(branch)
            elif op is _constants.SUBPATTERN:
                walk(av[3])

    walk(_parser.parse(pattern))
    return found


def test_markup_check_is_linear_every_repeat_is_bounded() -> None:
    """Each match attempt of the markup pattern sees a bounded number of characters, so a field costs linear time.

    The old pattern ``<\\s*/?\\s*[a-zA-Z][^>]*>`` scanned to the end of the field from every "<":
    a 400 KB field of "<a" took 21 s (benchmark note in the commit; no timing in tests).
    """
    assert _unbounded_repeats(faq._MARKUP.pattern) == []
    assert _unbounded_repeats(r"<\s*/?\s*[a-zA-Z][^>]*>") != []  # the check itself can fail


def test_a_400_kb_upload_of_repeated_tag_starts_is_validated() -> None:
    rows = "".join(f"{i}\tc\t質問{i}\t{'<a' * 50_000}\t\n" for i in range(4))  # 4 answers of 100 KB
    found = problems_of(HEADER + rows)
    assert len(found) == 4 and all("20000文字を超えています" in p for p in found)


def test_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(FaqFormatError, match="大きすぎます"):
        faq.read_bytes(b"x" * 100, "big.tsv", max_bytes=10)


def test_empty_file_and_header_only_are_errors() -> None:
    assert problems_of("")
    assert problems_of(HEADER)


def test_alternates_split_on_bar_and_dump_round_trips() -> None:
    loaded = faq.parse(SMALL_FAQ)
    assert loaded.by_id()["3"].alternates == ("見積を作りたい", "quotation")
    assert faq.parse(faq.dump(loaded.entries)).entries == tuple(
        e.__class__(e.id, e.category, e.question, e.answer, e.alternates, e.line) for e in loaded.entries
    )


def format_problems(text: str) -> list[FormatProblem]:
    with pytest.raises(FaqFormatError) as info:
        faq.parse(text, "t.tsv")
    assert info.value.source == "t.tsv"
    return info.value.problems


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("id\tquestion\tanswer\tquestion", "question"),
        ("id\t質問\tanswer\tquestion", "question"),  # two names of the same column
        ("No.\tid\tquestion\tanswer", "id"),
    ],
)
def test_a_header_column_given_twice_is_reported_on_line_1_with_its_name(header: str, column: str) -> None:
    found = format_problems(header + "\n1\tq\ta\tb\n")
    assert found == [FormatProblem(1, column, f"列「{column}」が2回あります。")]


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("1\tc\t請求書\x07の発行\ta\t", "質問"),
        ("1\tc\tq\t回答\x1b[31m赤字\t", "回答"),
        ("1\t分類\x7f\tq\ta\t", "分類"),
        ("1\tc\tq\ta\t言い換え\x0cです", "言い換え"),
        ("1\x00\tc\tq\ta\t", "id"),
    ],
)
def test_control_characters_are_reported_with_line_and_column(row: str, column: str) -> None:
    found = format_problems(HEADER + "9\tc\t別の質問\t別の回答\t\n" + row + "\n")
    assert FormatProblem(3, column, "制御文字が含まれています。") in found
    assert {p.line for p in found} == {3}


@pytest.mark.parametrize("empty", ["", " ", "　"])
def test_an_empty_id_is_reported_with_line_and_column(empty: str) -> None:
    found = format_problems(HEADER + "1\tc\tq1\ta\t\n" + f"{empty}\tc\tq2\ta\t\n")
    assert found == [FormatProblem(3, "id", "idが空です。")]


@pytest.mark.parametrize("bad_id", ["1 2", "a/b", "番号1", "x" * 65, "1;DROP"])
def test_a_badly_formed_id_is_reported_with_line_and_column(bad_id: str) -> None:
    found = format_problems(HEADER + "1\tc\tq1\ta\t\n" + f"{bad_id}\tc\tq2\ta\t\n")
    assert found == [FormatProblem(3, "id", f"id「{bad_id[:20]}」は半角英数字と _ . - の64文字以内にしてください。")]


def test_an_id_typed_in_full_width_is_read_as_its_half_width_self() -> None:
    loaded = faq.parse(HEADER + "４８\tc\tq1\ta\t\nＡ－１\tc\tq2\ta\t\n")
    assert [e.id for e in loaded.entries] == ["48", "A-1"]
    assert format_problems(HEADER + "48\tc\tq1\ta\t\n４８\tc\tq2\ta\t\n")  # the same id twice


def test_well_formed_ids_of_every_allowed_character_are_accepted() -> None:
    loaded = faq.parse(HEADER + "A-1\tc\tq1\ta\t\nb_2.3\tc\tq2\ta\t\n" + "z" * 64 + "\tc\tq3\ta\t\n")
    assert [e.id for e in loaded.entries] == ["A-1", "b_2.3", "z" * 64]


@pytest.mark.parametrize(("name", "reason"), [("folder", "Is a directory"), ("missing.tsv", "No such file")])
def test_an_unreadable_file_is_a_format_error_naming_the_file(tmp_path: Path, name: str, reason: str) -> None:
    # A folder or a missing file: unreadable even as root (chmod 000 does not stop root).
    path = tmp_path / name
    if name == "folder":
        path.mkdir()
    with pytest.raises(FaqFormatError) as info:
        faq.load(path)
    assert info.value.source == str(path)
    [problem] = info.value.problems
    assert (problem.line, problem.column) == (None, None)
    assert problem.message.startswith("ファイルを読めません: ") and reason in problem.message


CRLF_SOURCE = (
    HEADER
    + "1\t請求\t請求書の郵送はいつ頃ですか\t毎月10日頃です。\t請求書の到着日|請求書の送付日を教えて\n"
    + '2\t請求\t請求書の宛名を変えたい\t"手順:\n1. マイページを開く\n2. 宛名を編集する"\t\n'
    + "3\t会員\t退会の方法は\t会員情報の画面からできます。\t\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_crlf_files_read_from_bytes_give_the_same_entries_as_lf_files(encoding: str) -> None:
    raw = CRLF_SOURCE.replace("\n", "\r\n").encode(encoding)
    loaded = faq.read_bytes(raw, "windows.tsv")
    assert loaded.entries == faq.parse(CRLF_SOURCE).entries  # same fields and the same line numbers
    assert loaded.by_id()["2"].answer == "手順:\n1. マイページを開く\n2. 宛名を編集する"
    assert loaded.by_id()["1"].alternates == ("請求書の到着日", "請求書の送付日を教えて")
    assert not any("\r" in e.question + e.answer + "".join(e.alternates) for e in loaded.entries)
    assert loaded.sha256 == hashlib.sha256(raw).hexdigest()  # identified by the bytes as uploaded


def test_a_crlf_file_with_a_problem_names_the_same_line_as_the_lf_file() -> None:
    broken = CRLF_SOURCE + "4\tc\t\t回答だけ\t\n"
    with pytest.raises(FaqFormatError) as info:
        faq.read_bytes(broken.replace("\n", "\r\n").encode(), "t.tsv")
    crlf = info.value.problems
    assert crlf == [FormatProblem(7, "質問", "質問が空です。")] == format_problems(broken)


def test_a_csv_saved_from_excel_is_told_to_be_saved_as_tab_separated_or_xlsx() -> None:
    found = problems_of("No.,分類,質問,回答\n1,c,q,a\n")
    assert len(found) == 1 and "カンマ区切り（CSV）" in found[0] and "タブ区切り" in found[0]
    lone = problems_of("質問\nq\n")  # one heading alone is a file missing columns, not a CSV
    assert not any("CSV" in p for p in lone) and any("必須の列" in p for p in lone)


def test_files_that_are_not_a_tsv_say_what_they_are() -> None:
    legacy = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100  # an Excel 97-2003 workbook
    with pytest.raises(FaqFormatError) as info:
        faq.read_bytes(legacy, "faq.xls")
    assert [p.message for p in info.value.problems] == [faq.LEGACY_EXCEL]
    with pytest.raises(FaqFormatError) as info:
        faq.read_bytes("メモ\n明日までに確認する\n".encode(), "faq.xlsx")  # a text file named .xlsx
    assert [p.message for p in info.value.problems] == [faq.NOT_A_WORKBOOK.format(suffix=".xlsx")]
    with pytest.raises(FaqFormatError) as info:
        faq.read_bytes("メモ\n".encode(), "faq.XLSM")
    assert "名前は .xlsm ですが" in info.value.problems[0].message
    assert faq.read_bytes(SMALL_FAQ.encode(), "faq.xlsx").entries  # a good TSV under that name is still read


def test_an_entrys_problems_are_its_own_told_without_file_lines() -> None:
    parsed = faq.parse(HEADER + "1\tc\t<b>q1</b>\ta\t\n2\tc\tq2\t<i>b</i>\t\n")
    assert len(parsed.warnings) == 2  # markup in entry 1's question and entry 2's answer
    mine = faq.entry_problems(parsed, parsed.warnings, "2")
    assert len(mine) == 1 and mine[0].line is None and str(mine[0]).startswith("列「回答」")
    assert faq.entry_problems(parsed, parsed.warnings, "9") == ()


def test_a_header_row_repeated_below_is_refused_not_published_as_an_entry() -> None:
    found = problems_of(HEADER + "1\tc\tq1\ta\t\n" + HEADER + "2\tc\tq2\tb\t\n")
    assert len(found) == 1 and "3行目" in found[0] and "見出し行（1行目）と同じ行です" in found[0]


def test_an_undecodable_character_inside_a_quoted_cell_of_several_lines_names_no_wrong_column() -> None:
    raw = (HEADER + '1\tc\tq1\t"一行目\n二行目').encode("cp932") + b"\x85\x40" + '"\t\n'.encode("cp932")
    with pytest.raises(FaqFormatError) as info:
        faq.read_bytes(raw, "sjis.tsv")
    problem = info.value.problems[0]
    assert problem.line == 3 and problem.column is None  # not 「id」, the first column of a physical line


@pytest.mark.parametrize("text", ["", "\n\n", "\t\t\n"])
def test_an_empty_file_says_which_headings_go_in_row_1_and_where_the_entries_start(text: str) -> None:
    assert format_problems(text) == [FormatProblem(1, None, faq.EMPTY_FILE)]
    assert "id・分類・質問・回答・言い換え" in faq.EMPTY_FILE and "2行目から" in faq.EMPTY_FILE


def test_a_file_of_headings_alone_says_where_the_entries_go() -> None:
    assert format_problems(HEADER + "\n\t\t\t\t\n") == [FormatProblem(None, None, faq.NO_ENTRIES)]


def test_a_quote_left_open_is_reported_on_the_line_it_opens_in_japanese() -> None:
    rows = "1\tc\tq1\ta\t\n" + '2\tc\t"q2\ta\t\n' + "3\tc\tq3\ta\t\n4\tc\tq4\ta\t\n"
    (problem,) = format_problems(HEADER + rows)
    assert (
        problem.line == 3
        and '3行目で始まるセルの引用符（"）が、ファイルの終わりまで閉じられていません' in problem.message
    )
    assert "expected" not in problem.message and "end of data" not in problem.message
    (after,) = format_problems(HEADER + '1\tc\t"q1"x\ta\t\n')
    assert after.line == 2 and '2行目の行で、閉じた引用符（"）のすぐ後に文字があります' in after.message


def test_a_duplicate_id_is_said_with_the_rows_other_problems_not_on_the_next_try() -> None:
    found = format_problems(HEADER + "48\tc\tq1\ta\t\n48\tc\tq2\t\t\n49\tc\t\t\t\n50\tc\t\ta\t\n")
    assert FormatProblem(3, "回答", "回答が空です。") in found
    assert any(p.line == 3 and p.column == "id" and "id「48」が重複しています（2行目" in p.message for p in found)
    assert not any("重複" in p.message for p in found if p.line in (4, 5))  # two empty questions are no duplicate


def test_an_entry_found_shows_every_word_searched_for_marked_where_it_is() -> None:
    answer = (
        "お支払いはクレジットカード（ＶＩＳＡ・JCB）と銀行振込です。\n請求書払いは、月末締め翌月末払いです。"
        "毎月末までに入金を確認いたします。ご不明点はお問い合わせください。"
    )
    entry = faq.FaqEntry("4", "支払い", "支払い方法は？", answer, ("カードで払える",))
    found = faq.entry_contains(entry, "visa")  # in the answer only: a part of it, the word as written
    part = (
        ("お支払いはクレジットカード（", False),
        ("ＶＩＳＡ", True),
        ("・JCB）と銀行振込です。 請求書払いは", False),
    )
    assert found == faq.Found(elsewhere=(("回答", (*part, ("…", False))),))
    # every word, in every field shown: the category and the question whole (an ideographic space parts words too)
    both = faq.entry_contains(entry, "支払　方法")
    assert both == faq.Found((("支払", True), ("い", False)), (("支払", True), ("い", False), ("方法", True),
                                                            ("は？", False)))  # fmt: skip
    # words the category and question lack: each where it is — one part for words near each other, another for a
    # word far from them in the same answer, the alternate for one only it has
    apart = faq.entry_contains(entry, "支払い カード visa 問い合わせ")
    assert apart is not None and [label for label, _ in apart.elsewhere] == ["回答", "回答"]
    assert [r for _, part in apart.elsewhere for r, hit in part if hit] == ["カード", "ＶＩＳＡ", "問い合わせ"]
    card = faq.entry_contains(entry, "払える")
    assert card is not None and card.elsewhere == (("言い換え", (("カードで", False), ("払える", True))),)
    # across a line break, typed without a space (as Japanese is written)
    across = faq.entry_contains(entry, "銀行振込です。請求書払い")
    assert across is not None and ("銀行振込です。\n請求書払い", True) in across.elsewhere[0][1]
    assert faq.entry_contains(entry, "４") == faq.Found()  # the id: shown as it is
    assert faq.entry_contains(entry, "宇宙") is None and faq.entry_contains(entry, "方法 宇宙") is None
