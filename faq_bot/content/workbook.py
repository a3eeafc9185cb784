"""The FAQ in Excel: read the FAQ's sheet of an .xlsx, write one, and a TSV that Excel opens without mojibake.

The FAQ's sheet is the one whose header row has the FAQ's columns (a memo sheet may stand in front of it);
a workbook of one sheet is read as it is.

Both ways keep formulas out: a workbook cell holding a formula is refused (its value is
not what the editor sees), cells written to a workbook are plain text even when they
start with ``=``, and the TSV for Excel puts a ``'`` before = + - @ (taken off on upload).

What Excel shows is what is read: a cell Excel stored as a date or a time (it turns 「1/5」 or 「10:30」 typed
into one) is refused, since its text is not what was typed; a cell merged down a column (a category over the
rows of its entries) is that value on each of its rows, as Excel shows it, and said so; a cell merged across
columns is refused (which column's value is it?). A title row above the header row is passed over, and said so.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import logging
import re
import zipfile
import zlib
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from faq_bot.content.faq import (
    COLUMN_LABELS,
    COLUMN_OF,
    REQUIRED_COLUMNS,
    Faq,
    FaqEntry,
    column_label,
    dump_rows,
    excel_safe,
    parse_rows,
)
from faq_bot.errors import FaqFormatError, FormatProblem
from faq_bot.text.normalize import normalize

log = logging.getLogger("faq_bot.content")

XLSX_MAGIC = b"PK\x03\x04"
UNREADABLE = (
    "Excelファイル（.xlsx）として読めません。ファイルが壊れているか、途中までしか保存されていません。"
    "Excelで開けるか確かめ、「名前を付けて保存」で .xlsx として保存し直してください。"
)
ENCODING = "Excel (.xlsx)"
HEADER = ("id", "分類", "質問", "回答", "言い換え")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows and columns of a sheet that are read: far more than a FAQ or a question set has (a FAQ of
#: 100,000 entries is past what one machine serves; the columns are five, and notes beside them).
MAX_ROWS = 200_000
MAX_COLUMNS = 64
#: What a workbook may unpack to: a 2,000-entry FAQ is ~3 MB of sheet XML; a 20-MB upload of compressed
#: repetition could otherwise unpack to gigabytes.
MAX_UNPACKED = 200_000_000
#: The document property that says which FAQ version a downloaded workbook holds (``faq_bot.content.merge``).
ORIGIN_PROPERTY = "faq-bot-version"
ORIGIN_PATTERN = re.compile(r"[0-9a-f]{6,64}")
#: The very hidden sheet that holds that version's file (zlib, base64, in cells of at most ORIGIN_CHUNK characters:
#: Excel keeps 32,767 characters in a cell).
ORIGIN_SHEET = "faq-bot-origin"
ORIGIN_CHUNK = 30_000


def is_workbook(raw: bytes) -> bool:
    """True for an .xlsx file (a zip archive); a TSV never starts like one."""
    return raw.startswith(XLSX_MAGIC)


def column_letter(index: int) -> str:
    """Excel's name of a 0-based column: A … Z, AA …"""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


#: Merged ranges a sheet may have: a FAQ's merges are a category over its entries' rows, one per category.
MAX_MERGES = 10_000
TOO_MANY_MERGES = (
    f"結合されたセルが{MAX_MERGES:,}箇所を超えています。シート全体を選んで「セルの結合」を解除し、"
    "値が先頭の行だけに残ったセル（分類など）は各行に入れ直してから保存してください。"
)
#: How many rows from the top the header row is looked for (a title and a note above it).
HEADER_SEARCH = 10
FORMULA = "数式は使えません。値として貼り付けてください。"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number: 12, not 12.0
    if isinstance(value, dt.date | dt.time):
        return _date_text(value)  # (refused: ``_dated``)
    return str(value)


Rows = list[tuple[int, list[str]]]
"""A sheet's rows that hold text: (row number, cell texts)."""


@dataclass(frozen=True)
class RefusedCell:
    """A cell whose value is not what the editor sees (a formula, a date) or cannot be placed (merged across), or
    one read otherwise than written (a merged cell's value on each row): where it is and what is said of it."""

    row: int
    col: int  # 0-based
    message: str
    span: int = 1  # the columns it covers (a merge across)


@dataclass(frozen=True)
class Sheet:
    """What is read of a sheet: its rows of text from the header row on and those above it (a title, a note), the
    cells refused, what was read otherwise than written (a merged cell's value on each of its rows) and the columns
    hidden (0-based)."""

    rows: Rows  # from the header row on
    refused: list[RefusedCell]
    notes: list[RefusedCell]
    hidden: frozenset[int] = frozenset()
    hidden_rows: frozenset[int] = frozenset()  # row numbers (1-based) below the header row
    above: Rows = field(default_factory=list)  # the rows above the header row (not read)

    @property
    def header(self) -> list[str]:
        """The header row's cells (none for an empty sheet)."""
        return self.rows[0][1] if self.rows else []

    @property
    def header_row(self) -> int:
        """The header row's number (0 for an empty sheet)."""
        return self.rows[0][0] if self.rows else 0

    def refused_in(self, columns: Collection[int]) -> list[RefusedCell]:
        """The refused cells that stand in one of ``columns`` (0-based): what a set that reads only those needs."""
        return [c for c in self.refused if any(col in columns for col in range(c.col, c.col + c.span))]


def sheet_rows(raw: bytes, source: str) -> Sheet:
    """The first sheet (``Sheet``, its first row of text the header row); ``FaqFormatError`` for a file that is not
    a readable workbook, or one larger than a FAQ can be."""
    with _opened(raw, source) as book:
        return _read_sheet(raw, book.worksheets[0], source)


def faq_sheet_rows(raw: bytes, source: str) -> tuple[Sheet, tuple[FormatProblem, ...]]:
    """The FAQ's sheet (``Sheet``, from the row naming the FAQ's columns), with warnings saying which sheet that is
    when the workbook has several; ``FaqFormatError`` when no sheet has the FAQ's columns."""
    with _opened(raw, source) as book:
        sheet, warnings = _faq_sheet(book, source)
        return _read_sheet(raw, sheet, source, _has_faq_columns), warnings


@contextmanager
def _opened(raw: bytes, source: str) -> Iterator[Any]:
    """The workbook, open while the block reads it; whatever goes wrong reading it but a ``FaqFormatError``
    (a value too far down, no FAQ sheet) is a damaged file.

    Read as a stream (openpyxl's read-only mode): a sheet is never built in memory, so a file of a few KB
    whose one stray cell stands at row 1,048,576 costs what its rows of text cost, not a billion cells.
    """
    from openpyxl import load_workbook

    _check_unpacked_size(raw, source)
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises zip, XML and key errors alike for a damaged file
        raise _unreadable(source, exc) from exc
    try:
        yield book
    except FaqFormatError:
        raise
    except Exception as exc:  # a sheet damaged past its start, or a workbook without one
        raise _unreadable(source, exc) from exc
    finally:
        book.close()


def _read_sheet(raw: bytes, sheet: Any, source: str, is_header: Callable[[Sequence[str]], bool] | None = None) -> Sheet:
    """The sheet's rows from the header row on (the first of the top ``HEADER_SEARCH`` rows that ``is_header``;
    the first row without it, or when none is), with its merged cells' values on each row they cover
    (``_layout``). Merges above the header row are a title's formatting; one joining the header row to another
    row is refused (its heading would be read as an entry's value, or a title as a heading)."""
    rows, refused = _rows_of(sheet, source)
    found = next((i for i, (_, cells) in enumerate(rows[:HEADER_SEARCH]) if is_header(cells)), None) if is_header else 0
    above, rows = rows[: found or 0], rows[found or 0 :]
    header_row = rows[0][0] if rows else 0
    refused = [c for c in refused if c.row >= header_row]
    merges, hidden, hidden_rows = _layout(raw, sheet, source)
    _check_overlaps(merges, source)  # (so each cell is filled once at most: a merge costs the rows read in it)
    notes: list[RefusedCell] = []
    by_number = dict(above + rows)
    numbers = [number for number, _ in rows]  # in order: a tall merge costs the rows read, not its height
    for min_col, min_row, max_col, max_row in merges:
        ref = _range_name(min_col, min_row, max_col, max_row)
        anchor = by_number.get(min_row, [])
        value = anchor[min_col - 1] if min_col - 1 < len(anchor) else ""
        if max_row < header_row or not value.strip():
            continue  # a title's formatting, or merged empty cells
        if found is not None and min_row <= header_row and max_row > min_row:  # (no header found: said otherwise)
            into = (
                "見出し行より上のセル（タイトルやメモ）が見出し行まで"
                if min_row < header_row
                else "見出しのセルが下の行と"
            )
            message = (
                f"{ref} は、{into}結合されています（見出し行は{header_row}行目）。"
                "結合を解除して、見出しは見出し行のセルだけに入れてください。"
            )
            refused.append(RefusedCell(header_row, min_col - 1, message, max_col - min_col + 1))
            continue
        if max_col > min_col:
            message = f"{ref} のセルが結合されています。結合を解除して、値を1つのセルに入れてください。"
            refused.append(RefusedCell(min_row, min_col - 1, message, max_col - min_col + 1))
            continue
        filled = numbers[bisect_right(numbers, min_row) : bisect_right(numbers, max_row)]  # the rows read in it
        for r in filled:
            cells = by_number[r]
            cells.extend([""] * (min_col - len(cells)))
            cells[min_col - 1] = value
        if filled:
            shown = value if len(value) <= 20 else value[:20] + "…"
            message = (
                f"{ref} は結合されたセルです。値「{shown}」を{min_row}〜{filled[-1]}行目の各行の値として読みました。"
            )
            notes.append(RefusedCell(min_row, min_col - 1, message))
    below = frozenset(r for r in hidden_rows if r > header_row and r in by_number)
    return Sheet(rows, refused, notes, hidden, below, above)


def _check_overlaps(merges: Sequence[tuple[int, int, int, int]], source: str) -> None:
    """``FaqFormatError`` naming two merged ranges that overlap (Excel never saves them; a generated file might:
    which value would a cell of both be?)."""
    by_column: dict[int, list[tuple[int, int, int, int]]] = {}
    for merge in merges:
        for col in range(merge[0], min(merge[2], MAX_COLUMNS) + 1):
            by_column.setdefault(col, []).append(merge)
    for ranges in by_column.values():
        ranges.sort(key=lambda m: m[1])
        for first, second in pairwise(ranges):
            if second[1] <= first[3]:
                message = (
                    f"結合されたセル {_range_name(*first)} と {_range_name(*second)} が重なっています"
                    "（Excelでは作れない形です）。"
                    "結合を解除して、値を各行に入れ直してから保存してください。"
                )
                raise FaqFormatError(source, [FormatProblem(second[1], None, message)], ENCODING)


def _range_name(min_col: int, min_row: int, max_col: int, max_row: int) -> str:
    return f"{column_letter(min_col - 1)}{min_row}:{column_letter(max_col - 1)}{max_row}"


def _layout(
    raw: bytes, sheet: Any, source: str
) -> tuple[list[tuple[int, int, int, int]], frozenset[int], frozenset[int]]:
    """The sheet's merged ranges (min col, min row, max col, max row; 1-based; each once), hidden columns (0-based)
    and hidden rows (1-based), from its XML (openpyxl's streaming reader does not keep them); none when they cannot
    be read. ``FaqFormatError`` for more than ``MAX_MERGES`` merged ranges."""
    from xml.etree.ElementTree import ParseError, iterparse

    from openpyxl.utils.cell import range_boundaries

    path = getattr(sheet, "_worksheet_path", None)
    merges: list[tuple[int, int, int, int]] = []
    hidden: set[int] = set()
    hidden_rows: set[int] = set()
    if not path:
        return merges, frozenset(), frozenset()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive, archive.open(path.lstrip("/")) as xml:
            for _, element in iterparse(xml, events=("end",)):
                tag = element.tag.rsplit("}", 1)[-1]
                if tag == "mergeCell":
                    bounds = range_boundaries(element.get("ref", ""))
                    if None not in bounds and bounds[0] <= MAX_COLUMNS:  # (one right of the columns read: no matter)
                        merges.append(bounds)
                    if len(merges) > MAX_MERGES:
                        raise FaqFormatError(source, [FormatProblem(None, None, TOO_MANY_MERGES)], ENCODING)
                elif tag == "col" and element.get("hidden") in ("1", "true"):
                    first, last = int(element.get("min", "0")), int(element.get("max", "0"))
                    hidden.update(range(first - 1, min(last, MAX_COLUMNS)))
                elif tag == "row":
                    if element.get("hidden") in ("1", "true") and element.get("r", "").isdigit():
                        hidden_rows.add(int(element.get("r", "0")))
                    element.clear()  # the cells were read already: keep memory flat on a long sheet
    except (KeyError, ValueError, ParseError, zipfile.BadZipFile):
        return [], frozenset(), frozenset()
    return list(dict.fromkeys(merges)), frozenset(hidden), frozenset(hidden_rows)


def _rows_of(sheet: Any, source: str) -> tuple[Rows, list[RefusedCell]]:
    """A sheet's rows that hold text and the cells refused (formulas, dates); ``FaqFormatError`` for a value
    past ``MAX_ROWS``."""
    rows: Rows = []
    refused: list[RefusedCell] = []
    for number, cells in enumerate(sheet.iter_rows(min_row=1, max_row=MAX_ROWS, max_col=MAX_COLUMNS), start=1):
        if all(cell.value is None for cell in cells):
            continue  # an empty row, or the rows between two far apart (the reader fills them in)
        values = []
        for col, cell in enumerate(cells):
            if cell.data_type == "f":
                refused.append(RefusedCell(number, col, FORMULA))
            elif isinstance(cell.value, dt.date | dt.time | dt.timedelta):
                refused.append(RefusedCell(number, col, _dated(cell.value)))
            values.append(_text(cell.value))
        while values and not values[-1].strip():
            values.pop()  # formatting can make a sheet wider than its text
        rows.append((number, values))
    rest = sheet.iter_rows(min_row=MAX_ROWS + 1, max_col=MAX_COLUMNS, values_only=True)
    beyond = next((n for n, v in enumerate(rest, start=MAX_ROWS + 1) if any(x is not None for x in v)), None)
    if beyond is not None:
        message = (
            f"{beyond}行目に値があります。読み込めるのは{MAX_ROWS:,}行目までです。"
            "離れた場所に入力された値や書式を消して（行を削除して）保存し直してください。"
        )
        raise FaqFormatError(source, [FormatProblem(beyond, None, message)], ENCODING)
    return rows, refused


def _date_text(value: dt.date | dt.time) -> str:
    """A date or time as Japanese Excel shows it by default: 2026/1/5, 10:30, 2026/1/5 10:30."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    if isinstance(value, dt.datetime):
        return f"{value.year}/{value.month}/{value.day} {value.hour}:{value.minute:02d}"
    if isinstance(value, dt.date):
        return f"{value.year}/{value.month}/{value.day}"
    return f"{value.hour}:{value.minute:02d}"


def _dated(value: dt.date | dt.time | dt.timedelta) -> str:
    """Why a date or time cell is refused, with the value as read."""
    shown = _date_text(value) if isinstance(value, dt.date | dt.time) else str(value)
    return (
        f"日付・時刻（{shown}）として保存されています。Excelは「1/5」や「10:30」のような入力を日付・時刻に変えるため、"
        "入力した文字と違う値になります。セルの書式を「文字列」にしてから入力し直してください。"
    )


def _faq_sheet(book: Any, source: str) -> tuple[Any, tuple[FormatProblem, ...]]:
    """The sheet whose header row has the FAQ's required columns, and warnings naming it (none for a workbook of
    one sheet, which is read as it is). Visible sheets first, hidden ones only when no visible sheet has them;
    among several, the active sheet, else the first."""
    sheets = [s for s in book.worksheets if s.title != ORIGIN_SHEET]  # (what a download was made from: not the FAQ)
    if len(sheets) <= 1:  # (none: only chart sheets, a workbook that cannot be read, as before)
        return sheets[0], ()
    with_columns = [s for s in sheets if _has_faq_header(s)]
    candidates = [s for s in with_columns if s.sheet_state == "visible"] or with_columns
    if not candidates:
        looked = "、".join(_name(s) for s in sheets)
        wanted = "".join(f"「{column_label(name)}」" for name in REQUIRED_COLUMNS)
        message = (
            f"FAQのシートが見つかりません（見たシート: {looked}）。"
            f"FAQのシートには、必須の列{wanted}のある見出し行が必要です。"
        )
        raise FaqFormatError(source, [FormatProblem(None, None, message)], ENCODING)
    chosen = book.active if any(book.active is s for s in candidates) else candidates[0]
    others = "、".join(_name(s) for s in sheets if s is not chosen)
    hidden = "非表示の" if chosen.sheet_state != "visible" else ""
    read = f"{hidden}シート「{chosen.title}」を読み込みました（ほかのシート: {others}）。"
    warnings = [FormatProblem(None, None, read)]
    ignored = [s for s in candidates if s is not chosen]
    if ignored:
        names = "、".join(f"「{s.title}」" for s in ignored)
        warnings.append(
            FormatProblem(
                None,
                None,
                f"シート{names}もFAQの見出し行がありますが、読み込んでいません。"
                "別のシートを読み込むには、そのシートを選んだ状態で保存してください。",
            )
        )
    return chosen, tuple(warnings)


def _has_faq_header(sheet: Any) -> bool:
    """True for a sheet with a header row naming the FAQ's columns among its top ``HEADER_SEARCH`` rows of text."""
    rows = sheet.iter_rows(min_row=1, max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True)
    texts = ([_text(value) for value in row] for row in rows if any(value is not None for value in row))
    return any(_has_faq_columns(row) for _, row in zip(range(HEADER_SEARCH), texts, strict=False))


def _has_faq_columns(header: Sequence[str]) -> bool:
    """True for a header row that names every required FAQ column (id, 質問, 回答 or their aliases)."""
    return set(REQUIRED_COLUMNS) <= {COLUMN_OF.get(normalize(cell)) for cell in header}


def _name(sheet: Any) -> str:
    """A sheet's name as a message lists it: 「編集メモ」, or 「旧FAQ（非表示）」 for a hidden one."""
    return sheet.title if sheet.sheet_state == "visible" else f"{sheet.title}（非表示）"


def _check_unpacked_size(raw: bytes, source: str) -> None:
    """Refuse a workbook whose parts unpack to more than ``MAX_UNPACKED`` bytes (a zip bomb, or not a FAQ)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _unreadable(source, exc) from exc
    if unpacked > MAX_UNPACKED:
        message = (
            f"展開すると{unpacked / 1e6:,.0f} MBになり、"
            f"上限（{MAX_UNPACKED / 1e6:,.0f} MB）を超えるため読み込めません。"
            "書式や画像、使っていないシートを消して（値だけを新しいブックに貼り付けて）保存し直してください。"
        )
        raise FaqFormatError(source, [FormatProblem(None, None, message)], ENCODING)


def _unreadable(source: str, exc: BaseException) -> FaqFormatError:
    if source:  # (``row_texts`` reads it again to show the rows: once in the log is enough)
        log.warning("%s: not a readable workbook: %r", source, exc)
    return FaqFormatError(source, [FormatProblem(None, None, UNREADABLE)], ENCODING)


def cell_problems(refused: Sequence[RefusedCell], header: Sequence[str]) -> list[FormatProblem]:
    """One problem per cell (a formula, a date, a merge across columns; or a note of a merge read). The column is
    named by its letter, and by its heading as written where it is no FAQ column (正解: B列（正解）)."""
    written = {i: str(cell).strip()[:20] for i, cell in enumerate(header) if str(cell).strip()}
    labels = written | _labels(header)
    return [FormatProblem(cell.row, _where(cell.col, labels), cell.message) for cell in refused]


def read_workbook(raw: bytes, source: str) -> Faq:
    """The FAQ on its sheet of an .xlsx (same columns and checks as a TSV); problems name row and column, warnings
    the sheet read when the workbook has several, the rows above the header row, the merged cells read and the
    hidden rows."""
    sheet, sheet_warnings = faq_sheet_rows(raw, source)
    header = sheet.header
    refused = cell_problems(sheet.refused, header)
    sha = hashlib.sha256(raw).hexdigest()
    try:
        faq = parse_rows(sheet.rows, source, ENCODING, sha)
    except FaqFormatError as exc:
        required = [i for i, cell in enumerate(header) if COLUMN_OF.get(normalize(cell)) in REQUIRED_COLUMNS]
        short = {number for number, cells in sheet.rows[1:] if required and len(cells) <= max(required)}
        found = [
            p
            for p in _with_letters(exc.problems, header, sheet.hidden)
            if not _said(p, sheet.refused, short, sheet.header_row)
        ]
        exc.problems = sorted([*refused, *found], key=lambda p: p.line or 0)
        raise
    if refused:
        raise FaqFormatError(source, refused, ENCODING)
    notes = [
        *_above(sheet),
        *cell_problems(sheet.notes, header),
        *_hidden_rows(sheet.hidden_rows),
        *_hidden_columns(sheet, header),
    ]
    warnings = (*sheet_warnings, *notes, *_with_letters(faq.warnings, header, sheet.hidden))
    return Faq(faq.entries, faq.source, faq.encoding, faq.sha256, warnings)


_COLUMN = re.compile(r"([A-Z]+)列|(\d+)列目")


def _said(problem: FormatProblem, refused: Sequence[RefusedCell], short: Collection[int], header_row: int) -> bool:
    """True when a parse problem follows from a cell refused already, which is not blamed twice: a problem in the
    cell itself (a date in the id), whatever its column is called (hidden, or a heading that is no FAQ column); below
    the header row also one in a column a merge across covers, or of a row read without a required column
    (``short``: 「列の数が3です」, the only problem said of such a row) where a merge across took its cells. The
    header row's other problems are its own (a required column missing)."""
    named = _COLUMN.match(problem.column or "")
    letter = None if named is None else named.group(1) or column_letter(int(named.group(2)) - 1)
    below = problem.line is not None and problem.line > header_row
    for cell in (c for c in refused if c.row == problem.line):
        if problem.column is None and below and cell.span > 1 and problem.line in short:
            return True
        covered = range(cell.col, cell.col + (cell.span if below else 1))
        if letter is not None and letter in {column_letter(c) for c in covered}:
            return True
    return False


def _above(sheet: Sheet) -> list[FormatProblem]:
    """A warning for each row above the header row (a title, a note): not read."""
    return [
        FormatProblem(
            number, None, f"見出し行（{sheet.header_row}行目）より上の行のため読み込んでいません: 「{_shown(cells)}」"
        )
        for number, cells in sheet.above
    ]


def _hidden_rows(hidden: frozenset[int]) -> list[FormatProblem]:
    """One warning naming the hidden rows read as entries: Excel does not show them, they are published."""
    shown = sorted(hidden)
    if not shown:
        return []
    listed = "、".join(map(str, shown[:20])) + (f" ほか{len(shown) - 20}行" if len(shown) > 20 else "")
    message = f"非表示の行も読み込みました（公開されます）: {listed}行目。公開しないFAQは、行を削除してください。"
    return [FormatProblem(shown[0], None, message)]


def _hidden_columns(sheet: Sheet, header: Sequence[str]) -> list[FormatProblem]:
    """A warning for each FAQ column Excel hides (a column of alternates folded away): read and published."""
    return [
        FormatProblem(
            sheet.header_row,
            f"{column_letter(i)}列（{label}）",
            "非表示の列も読み込みました（公開されます）。Excelで列を再表示して、内容を確かめてください。",
        )
        for i, label in sorted(_labels(header).items())
        if i in sheet.hidden
    ]


def _shown(cells: Sequence[str]) -> str:
    text = " ".join(c.strip() for c in cells if c.strip())
    return text if len(text) <= 40 else text[:40] + "…"


def row_texts(raw: bytes) -> dict[int, str]:
    """What each row of the FAQ's sheet holds (cells joined by tabs, formulas as written), by row number;
    empty for a workbook that cannot be read: what the editor sees next to a problem of that row."""
    try:
        sheet, _ = faq_sheet_rows(raw, "")
    except FaqFormatError:  # damaged: its problem says so, there are no rows to show
        return {}
    return {number: "\t".join(values) for number, values in [*sheet.above, *sheet.rows]}


def _labels(header: Sequence[str]) -> dict[int, str]:
    """The FAQ column label (質問, 回答 …) of each sheet column the header names."""
    return {
        i: COLUMN_LABELS[COLUMN_OF[normalize(cell)]] for i, cell in enumerate(header) if normalize(cell) in COLUMN_OF
    }


def _where(col: int, labels: dict[int, str]) -> str:
    letter = f"{column_letter(col)}列"
    return f"{letter}（{labels[col]}）" if col in labels else letter


def _with_letters(
    problems: Sequence[FormatProblem], header: Sequence[str], hidden: frozenset[int] = frozenset()
) -> list[FormatProblem]:
    """Column labels (質問, 回答 …) as Excel names them too: 「C列（質問）」; a heading that is no FAQ column by its
    letter, and said to be hidden when it is (the editor does not see it in Excel)."""
    letters = {label: column_letter(i) for i, label in _labels(header).items()}
    written = {cell: i for i, cell in reversed(list(enumerate(header))) if cell.strip()}
    out = []
    for p in problems:
        if p.column in letters:
            p = FormatProblem(p.line, f"{letters[p.column]}列（{p.column}）", p.message)
        elif p.column in written and p.column not in COLUMN_LABELS.values():
            i = written[p.column]
            if i in hidden:
                message = f"{p.message}この列は非表示です。Excelで列を再表示して、削除してください。"
                p = FormatProblem(p.line, f"{column_letter(i)}列（非表示）", message)
            else:
                p = FormatProblem(p.line, f"{column_letter(i)}列（{p.column}）", p.message)
        out.append(p)
    return out


def write_workbook(entries: Sequence[FaqEntry], origin: str | None = None, origin_tsv: bytes | None = None) -> bytes:
    """An .xlsx of the entries: one sheet, a header row, every cell plain text (never a formula).

    ``origin``, the FAQ version they are, is kept as a document property (Excel keeps it through saves), and
    ``origin_tsv``, that version's file as published, packed on a very hidden sheet: uploaded again later, the
    workbook says what it was made from even when the server no longer keeps that version (``workbook_origin``).
    """
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    if origin:
        book.custom_doc_props.append(StringProperty(name=ORIGIN_PROPERTY, value=origin))
        if origin_tsv is not None:
            packed = base64.b64encode(zlib.compress(origin_tsv, 9)).decode("ascii")
            kept = book.create_sheet(ORIGIN_SHEET)
            kept.sheet_state = "veryHidden"  # not in Excel's 「再表示」 list: an editor cannot change it by accident
            for at in range(0, len(packed), ORIGIN_CHUNK):
                kept.append([packed[at : at + ORIGIN_CHUNK]])
    sheet = book.active
    sheet.title = "FAQ"
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(_table(entries), start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            cell.data_type = "s"  # openpyxl would store "=…" as a formula
            cell.alignment = wrap
            if r == 1:
                cell.font = Font(bold=True)
    for letter, width in zip("ABCDE", (8, 14, 40, 70, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class WorkbookOrigin:
    """The FAQ version a downloaded workbook was made from, and that version's file when the workbook holds it."""

    version: str
    tsv: bytes | None  # None: not in the workbook, or not that version's (damaged, changed)


def workbook_origin(raw: bytes, max_bytes: int = MAX_UNPACKED) -> WorkbookOrigin | None:
    """What ``write_workbook`` recorded of the version a workbook was made from; None for any other workbook, or
    one that cannot be read (its problems are reported when its rows are read)."""
    try:
        with _opened(raw, "") as book:
            prop = next((p for p in book.custom_doc_props if p.name == ORIGIN_PROPERTY), None)
            version = str(getattr(prop, "value", "") or "")
            if not ORIGIN_PATTERN.fullmatch(version):
                return None
            rows = book[ORIGIN_SHEET].iter_rows(values_only=True) if ORIGIN_SHEET in book.sheetnames else ()
            packed = "".join(str(row[0]) for row in rows if row and row[0])
    except FaqFormatError:
        return None
    return WorkbookOrigin(version, _unpacked(packed, version, max_bytes))


def _unpacked(packed: str, version: str, max_bytes: int) -> bytes | None:
    """The file packed on the origin sheet, if it is the version's (its hash starts with it), else None."""
    if not packed:
        return None
    try:
        inflate = zlib.decompressobj()
        tsv = inflate.decompress(base64.b64decode(packed, validate=True), max_bytes + 1)
    except (ValueError, zlib.error):
        return None
    if len(tsv) > max_bytes or not inflate.eof or not is_version_of(tsv, version):
        return None
    return tsv


def is_version_of(tsv: bytes, version: str) -> bool:
    """True when ``tsv`` is the file of the FAQ version ``version`` (its content hash starts with it)."""
    return hashlib.sha256(tsv).hexdigest().startswith(version)


def _table(entries: Sequence[FaqEntry]) -> Iterator[list[str]]:
    yield list(HEADER)
    for e in entries:
        yield [e.id, e.category, e.question, e.answer, "\n".join(e.alternates)]


def excel_tsv(entries: Sequence[FaqEntry]) -> bytes:
    """The TSV for Excel on Japanese Windows: UTF-8 with a BOM, formula-looking cells behind a '."""
    rows = ([excel_safe(cell) for cell in row] for row in _table(entries))
    return ("\ufeff" + dump_rows(rows)).encode("utf-8")
