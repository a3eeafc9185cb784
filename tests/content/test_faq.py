from __future__ import annotations

from pathlib import Path

import pytest

from faq_bot.config import PROJECT_ROOT
from faq_bot.content import faq
from faq_bot.errors import FaqFormatError
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


def test_wrong_column_count_is_reported_with_line() -> None:
    assert any("3行目" in p and "列の数" in p for p in problems_of(HEADER + "1\tc\tq\ta\t\n2\tc\tq2\n"))


def test_missing_optional_trailing_column_is_accepted() -> None:
    assert faq.parse(HEADER + "1\tc\tq\ta\n").entries[0].alternates == ()


def test_empty_question_and_answer_are_reported_with_column() -> None:
    found = problems_of(HEADER + "1\tc\t\ta\t\n2\tc\tq\t \t\n")
    assert any("2行目" in p and "質問" in p for p in found)
    assert any("3行目" in p and "回答" in p for p in found)


def test_duplicate_id_names_both_lines() -> None:
    found = problems_of(HEADER + "1\tc\tq1\ta\t\n1\tc\tq2\ta\t\n")
    assert any("3行目" in p and "2行目" in p and "重複" in p for p in found)


def test_duplicate_question_after_normalisation_is_reported() -> None:
    found = problems_of(HEADER + "1\tc\tＰＤＦは使えますか？\ta\t\n2\tc\tpdfは使えますか\tb\t\n")
    assert any("3行目" in p and "重複" in p for p in found)


def test_alternate_equal_to_another_question_is_a_duplicate() -> None:
    assert problems_of(HEADER + "1\tc\tq1\ta\t\n2\tc\tq2\tb\tq1\n")


def test_unknown_and_missing_header_columns_are_reported() -> None:
    found = problems_of("id\tquestion\tfoo\n1\tq\tx\n")
    assert any("foo" in p for p in found) and any("回答" in p or "answer" in p for p in found)


def test_unterminated_quote_is_a_format_error() -> None:
    assert problems_of(HEADER + '1\tc\t"q\ta\t\n')


def test_markup_is_kept_as_text_with_a_warning() -> None:
    loaded = faq.parse(HEADER + "1\tc\tq\t<script>alert(1)</script>\t\n")
    assert loaded.entries[0].answer == "<script>alert(1)</script>"
    assert loaded.warnings and loaded.warnings[0].column == "回答"


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
