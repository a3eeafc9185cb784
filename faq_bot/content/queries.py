"""Labelled question sets (``query`` / ``gold`` [/ ``style`` / ``categories``] columns, TSV or .xlsx): eval sets, batch
tests, the regression set."""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from faq_bot.content.faq import decode, numbered_rows
from faq_bot.content.workbook import ENCODING, cell_problems, is_workbook, sheet_rows
from faq_bot.errors import FaqFormatError, FormatProblem
from faq_bot.text.normalize import normalize

QUERY_SET = "質問集"
_ID_SEPARATORS = re.compile(r"[,、|]")
#: Column headings: the English names, or the Japanese ones an editor writes in Excel (case and width ignored).
QUERY_COLUMNS: dict[str, tuple[str, ...]] = {
    "query": ("query", "質問"),
    "gold": ("gold", "正解", "正解id", "期待", "期待するid"),
    "style": ("style", "文体"),
    # The categories a visitor narrowed the question to (「請求|見積」 or 「請求、見積」); not 分類, which a table
    # copied from the FAQ uses for the gold entry's category.
    "categories": ("categories", "絞り込み", "絞り込む分類"),
}
_CATEGORY_SEPARATORS = re.compile(r"[|、]")
#: A gold cell that says "no entry answers this" in words rather than by staying empty, as a set written in Excel
#: often does (compared after NFKC and case folding): the question is out of scope, its right outcome a person.
NO_ANSWER_MARKS = frozenset(
    {"-", "–", "—", "―", "ー", "なし", "無し", "該当なし", "該当無し", "対象外", "範囲外", "none", "n/a", "oos",
     "担当者へ", "担当者へ案内"}  # 担当者へ: what the batch test's own CSV says, so that it can be run again
)  # fmt: skip
#: The style whose questions ``near_oos_safe`` counts: near misses (the FAQ's topic, a question it does not answer).
NEAR_MISS_STYLE = "near-oos"
#: Other spellings of it (compared lower case, with ``_`` and spaces read as ``-``).
_STYLE_ALIASES = {"near-miss": NEAR_MISS_STYLE, "nearmiss": NEAR_MISS_STYLE, "nearoos": NEAR_MISS_STYLE}
_QUERY_COLUMN_OF = {alias: name for name, aliases in QUERY_COLUMNS.items() for alias in aliases}
log = logging.getLogger("faq_bot.content")


@dataclass(frozen=True)
class LabelledQuery:
    """A test question and the entry ids that count as right (none: it should escalate)."""

    query: str
    gold: tuple[str, ...]
    line: int
    style: str = ""  # optional: how the question is written (long, casual, near-oos, ...)
    source: str = ""  # the file it came from (calibration holds the wrong-answer bar in each)
    categories: tuple[str, ...] = ()  # asked within these categories (a visitor's narrowed question; none: all)

    @property
    def asked(self) -> tuple[str, tuple[str, ...]]:
        """What is asked: the words and the categories (the same words in other categories are another question)."""
        return self.query, self.categories


def parse_queries(
    text: str, source: str, *, skip_incomplete: bool = False, by_row: bool = False
) -> list[LabelledQuery]:
    """Parse TSV text with at least ``query`` and ``gold`` columns (gold: comma-separated ids); a heading line with
    commas and no tab is CSV, as Excel saves it (several ids then stand in quotes: "11,12"). Lines are numbered as
    a file's text lines, or with ``by_row`` as the table's rows (a range pasted from Excel: its rows)."""
    heading = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "," if "\t" not in heading and "," in heading else "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return queries_from_rows(numbered_rows(reader, by_row=by_row), source, skip_incomplete=skip_incomplete)


def queries_from_rows(
    rows: Iterable[tuple[int, list[str]]], source: str, *, skip_incomplete: bool = False
) -> list[LabelledQuery]:
    """The questions of a table (line or row number, cells), whose first row names the columns.

    A line with gold ids but no question is an error, or with ``skip_incomplete`` (a set that must keep
    working, such as the regression set checked on every publish) left out with a warning in the log."""
    numbered = iter(rows)
    header = next(numbered, (1, []))[1]
    columns = _columns(header)
    if "query" not in columns or "gold" not in columns:
        raise FaqFormatError(source, [FormatProblem(1, None, _heading_problem(header))], what=QUERY_SET)

    def cell(row: list[str], name: str) -> str:
        i = columns.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    queries = []
    problems = []
    for line, row in numbered:
        q = cell(row, "query")
        # Ids as typed in Excel too: full width (２１), Japanese commas (11、12), or | as between alternates (11|12).
        gold = gold_ids(cell(row, "gold"))
        narrowed = tuple(
            dict.fromkeys(" ".join(c.split()) for c in _CATEGORY_SEPARATORS.split(cell(row, "categories")) if c.strip())
        )
        marks = [g for g in gold if g.casefold() in NO_ANSWER_MARKS]
        if marks and len(marks) == len(gold):  # 「なし、該当なし」: none, said twice
            gold, marks = (), []
        if q and marks:  # 「なし、3」: which one is meant? (else 「id「なし」はFAQにありません」, a puzzle)
            problems.append(FormatProblem(line, "正解", (
                f"正解に「{marks[0]}」とidが両方書かれています。担当者へ案内すべき質問なら「{marks[0]}」だけ、"
                "FAQで答えるべき質問ならidだけを書いてください。"
            )))  # fmt: skip
        elif q:
            queries.append(LabelledQuery(q, gold, line, style_of(cell(row, "style")), source, narrowed))
        elif cell(row, "gold"):  # an answer (なし too) without its question: a slip, not a blank line
            problems.append(FormatProblem(line, "質問", "質問が空です（正解のidだけが書かれています）。"))
    if problems and not skip_incomplete:
        raise FaqFormatError(source, problems, what=QUERY_SET)
    for problem in problems:
        log.warning("%s: line left out: %s", source, problem)
    return queries


def _columns(header: Sequence[str]) -> dict[str, int]:
    """Where each column read stands (query, gold, style, categories: 0-based), by the first heading naming it."""
    columns: dict[str, int] = {}
    for i, heading in enumerate(header):
        name = _QUERY_COLUMN_OF.get(normalize(heading))
        if name is not None:
            columns.setdefault(name, i)
    return columns


def _heading_problem(header: list[str]) -> str:
    """What is wrong with a first row that does not name the question and gold columns, and what would."""
    found = [h.strip() for h in header if h.strip()]
    if not found:
        return (
            "1行目に見出し行がありません（空のファイルか、1行目が空です）。1行目に「質問」「正解」の見出し、"
            "2行目から質問を1行に1問書いてください。"
        )
    named = "、".join(f"「{h[:20]}」" for h in found[:6]) + ("…" if len(found) > 6 else "")
    return (
        f"見出し行に質問（query）と正解のid（gold）の列が必要です（1行目は {named}）。"
        "質問の列は「質問」か「query」、正解の列は「正解」「正解id」「期待」か「gold」と書いてください。"
    )


def gold_ids(text: str) -> tuple[str, ...]:
    """The ids of a gold cell as typed in Excel too: full width (２１), Japanese commas (11、12), or | as between
    alternates (11|12); empty, or a word for "none" alone (``NO_ANSWER_MARKS``: 「なし」, 「-」), for a question that
    should go to a person."""
    ids = tuple(g.strip() for g in _ID_SEPARATORS.split(unicodedata.normalize("NFKC", text)) if g.strip())
    return () if len(ids) == 1 and ids[0].casefold() in NO_ANSWER_MARKS else ids


def style_of(text: str) -> str:
    """A style as written, but a near miss's under its one name whatever the spelling (near-miss, Near_OOS)."""
    key = "-".join(unicodedata.normalize("NFKC", text).replace("_", " ").replace("‐", "-").split()).casefold()
    return NEAR_MISS_STYLE if key == NEAR_MISS_STYLE else _STYLE_ALIASES.get(key, text)


def queries_of(raw: bytes, source: str, *, skip_incomplete: bool = False, by_row: bool = False) -> list[LabelledQuery]:
    """The questions of a file's bytes: a TSV or CSV (the FAQ file's encodings) or the first sheet of an .xlsx."""
    if is_workbook(raw):
        try:
            sheet = sheet_rows(raw, source)
        except FaqFormatError as exc:
            exc.what = QUERY_SET
            raise
        refused = sheet.refused_in(_columns(sheet.header).values())  # a date in a column of notes (追加日): no matter
        if refused:
            raise FaqFormatError(source, cell_problems(refused, sheet.header), ENCODING, what=QUERY_SET)
        return queries_from_rows(sheet.rows, source, skip_incomplete=skip_incomplete)
    return parse_queries(decode_queries(raw, source), source, skip_incomplete=skip_incomplete, by_row=by_row)


def read_queries(path: Path, *, skip_incomplete: bool = False) -> list[LabelledQuery]:
    """Read a labelled question set from a file (TSV or CSV in UTF-8, UTF-8 with BOM or CP932, or .xlsx)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FaqFormatError(
            str(path), [FormatProblem(None, None, f"ファイルを読めません: {exc.strerror}")], what=QUERY_SET
        ) from exc
    return queries_of(raw, str(path), skip_incomplete=skip_incomplete)


def check_labels(
    queries: Sequence[LabelledQuery],
    source: str,
    known_ids: Collection[str],
    known_categories: Collection[str],
    faq: str = "公開中のFAQ",
    category_of: Mapping[str, str] | None = None,
) -> None:
    """``FaqFormatError`` naming each line whose gold ids or categories to narrow to the FAQ (``faq``: how the
    message names it) does not have, in line order: a typo in an id would count as a wrong answer and move every
    figure, and a category would ask the question somewhere else. With ``category_of`` (each id's category), also
    a line narrowed to categories that hold none of its gold entries: it could never be answered right."""
    unknown = [
        problem
        for q in queries
        for problem in (
            *(FormatProblem(q.line, "正解", f"正解のid「{g}」は{faq}にありません。")
              for g in q.gold if g not in known_ids),
            *(FormatProblem(q.line, "絞り込み", f"分類「{c}」は{faq}にありません。")
              for c in q.categories if c not in known_categories),
            # (a category the FAQ lacks is said above: not once more as one without the entry)
            *(_outside(q, category_of or {}) if all(c in known_categories for c in q.categories) else ()),
        )
    ]  # fmt: skip
    if unknown:
        raise FaqFormatError(source, unknown, what=QUERY_SET)


def _outside(q: LabelledQuery, category_of: Mapping[str, str]) -> list[FormatProblem]:
    """A line narrowed to categories that hold none of its gold entries (those the FAQ has)."""
    gold = [g for g in q.gold if g in category_of]
    if not q.categories or not gold or any(category_of[g] in q.categories for g in gold):
        return []
    named = "、".join(f"{g}（分類 {category_of[g] or 'なし'}）" for g in gold)
    said = (
        f"正解のFAQ {named} は、絞り込んだ分類（{'、'.join(q.categories)}）にありません。"
        "この絞り込みでは正しく回答できないため、絞り込みか正解を直してください。"
    )
    return [FormatProblem(q.line, "絞り込み", said)]


def decode_queries(raw: bytes, source: str) -> str:
    """The text of a question set's bytes (the FAQ file's encodings)."""
    try:
        return decode(raw, source)[0]
    except FaqFormatError as exc:
        exc.what = QUERY_SET
        raise
