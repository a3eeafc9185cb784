"""The FAQ table: reading a TSV (UTF-8 with or without BOM, CP932, UTF-16 with a BOM, EUC-JP) and validating it."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from faq_bot.errors import FaqFormatError, FormatProblem
from faq_bot.text.normalize import folded, locate_all, normalize

if TYPE_CHECKING:
    from _csv import Reader

#: Accepted header names (after normalisation) for each column.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "no.", "no", "番号"),
    "category": ("category", "分類", "カテゴリ", "カテゴリー"),
    "question": ("question", "質問"),
    "answer": ("answer", "回答"),
    "alternates": ("alternates", "言い換え", "別の聞き方", "別の質問"),
}
REQUIRED_COLUMNS = ("id", "question", "answer")
COLUMN_LABELS = {"id": "id", "category": "分類", "question": "質問", "answer": "回答", "alternates": "言い換え"}
ALTERNATE_SEPARATOR = "|"
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM付き)",
    "cp932": "CP932 (Shift_JIS)",
    "utf-16": "UTF-16 (Excelの「Unicode テキスト」)",
    "euc_jp": "EUC-JP",
}
#: The HTTP charset of each encoding label: ``ms932`` is CP932 by that name for browsers and for Python alike
#: (``shift_jis`` is CP932 to a browser but plain Shift_JIS to Python, which reads ～ as 〜 and loses ①).
CHARSETS = {
    "UTF-8": "utf-8",
    "UTF-8 (BOM付き)": "utf-8",
    "CP932 (Shift_JIS)": "ms932",
    "UTF-16 (Excelの「Unicode テキスト」)": "utf-16",
    "EUC-JP": "euc-jp",
}


def column_label(name: str) -> str:
    """A column as a message names it, by its first two spellings: 「question / 質問」, 「id / No.」."""
    return " / ".join(COLUMN_ALIASES[name][:2] if name != "id" else ("id", "No."))


def charset_of(raw: bytes) -> str:
    """The HTTP charset of a FAQ file's bytes (as ``decode`` reads them; UTF-8 for bytes it cannot read)."""
    try:
        return CHARSETS[decode(raw, "")[1]]
    except FaqFormatError:
        return "utf-8"


_ID = re.compile(r"^[0-9A-Za-z_.\-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Every repeat is bounded and a tag cannot run past the next "<": a match attempt looks at a bounded
# number of characters, so the check is linear in the field's length ("<a" * 200_000 took 21 s with
# the unbounded `<\s*/?\s*[a-zA-Z][^>]*>`, "<" and 40,000 spaces 8.6 s).
_MARKUP = re.compile(r"<\s{0,8}(?:/\s{0,8})?[a-zA-Z][^<>]{0,2000}>|&(?:[a-zA-Z]{1,32}|#\d{1,8});")
MAX_FIELD_CHARS = 20_000
#: A cell starting with one of these is a formula to Excel; files for Excel get a leading ' (see ``excel_safe``).
FORMULA_START = ("=", "+", "-", "@")
#: A cell that reads as a spreadsheet formula (= and a function call or a cell reference): in a TSV it is only text,
#: shown to visitors as written — most likely a formula's text saved where its value was meant. Only a cell's start
#: counts, as in a spreadsheet, and only =: a list item (「- Chrome (最新版)」) or 「=== お知らせ ===」 is no formula.
_FORMULA_LIKE = re.compile(
    r"^=\s{0,8}(?:[A-Za-z][A-Za-z0-9_.]{0,40}\s{0,8}\(|\$?[A-Za-z]{1,3}\$?[0-9]{1,7}(?![0-9A-Za-z]))"
)


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ entry; ``id`` is the editor's stable number."""

    id: str
    category: str
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    line: int = 0  # where it starts in its file, for messages


@dataclass(frozen=True)
class Faq:
    """A validated FAQ: its entries, where it came from and how it was encoded."""

    entries: tuple[FaqEntry, ...]
    source: str
    encoding: str
    sha256: str
    warnings: tuple[FormatProblem, ...] = field(default=())

    @property
    def categories(self) -> list[str]:
        """Categories in order of first appearance (empty category left out)."""
        return categories_in_order(self.entries)

    def by_id(self) -> dict[str, FaqEntry]:
        """Entries keyed by id."""
        return entries_by_id(self.entries)


def entries_by_id(entries: Sequence[FaqEntry]) -> dict[str, FaqEntry]:
    """Entries keyed by id."""
    return {e.id: e for e in entries}


def next_id(ids: Iterable[str]) -> str:
    """One more than the largest numeric id (the usual No. column), or empty when no id is a number."""
    numbers = [int(i) for i in ids if i.isdigit()]
    return str(max(numbers) + 1) if numbers else ""


def categories_in_order(entries: Sequence[FaqEntry]) -> list[str]:
    """The entries' categories in order of first appearance (empty category left out)."""
    return list(dict.fromkeys(e.category for e in entries if e.category))


def _reading(raw: bytes) -> tuple[str, str | None, UnicodeDecodeError | None]:
    """The encoding a FAQ file is most likely in, with its text: the first candidate that reads it whole; else
    the one that reads furthest (a CP932 file with one broken character fails as UTF-8 at its first Japanese
    character, as CP932 only at the broken one), with no text and its error."""
    errors: list[tuple[str, UnicodeDecodeError]] = []
    for encoding in _candidates(raw):
        try:
            return encoding, raw.decode(encoding), None
        except UnicodeDecodeError as exc:
            errors.append((encoding, exc))
    encoding, error = max(errors, key=lambda e: e[1].start)
    return encoding, None, error


def decode(raw: bytes, source: str) -> tuple[str, str]:
    """Text and encoding label of a FAQ file: UTF-8 (with or without BOM), UTF-16 with a BOM, EUC-JP or CP932."""
    encoding, text, error = _reading(raw)
    if text is not None:
        return text, ENCODING_LABELS[encoding]
    assert error is not None
    line = raw[: error.start].count(b"\n") + 1
    bad = " ".join(f"0x{b:02x}" for b in raw[error.start : error.start + 2])  # the byte and the next: a pair in CP932
    problem = FormatProblem(
        line,
        _column_at(raw, error.start, encoding),
        f"{ENCODING_LABELS[encoding]} として読めない文字があります（{bad}）。この行のその文字を入力し直してください。"
        "それでも読めないときは、UTF-8 (BOM付き可) か CP932 (Shift_JIS) で保存し直してください。",
    )
    raise FaqFormatError(source, [problem])


def _column_at(raw: bytes, position: int, encoding: str) -> str | None:
    """The heading of the column a byte stands in (by the tabs before it on its line), if the header names it;
    None inside a quoted cell of several lines (a line that does not start a row) or past the header."""
    start = raw.rfind(b"\n", 0, position) + 1
    if raw[:start].count(b'"') % 2:  # an odd number of quotes before the line: it continues a quoted cell
        return None
    index = raw[start:position].count(b"\t")
    header = raw.split(b"\n", 1)[0].decode(encoding, errors="replace").split("\t")
    name = COLUMN_OF.get(normalize(header[index].strip('"'))) if index < len(header) else None
    return COLUMN_LABELS[name] if name else None


def _candidates(raw: bytes) -> list[str]:
    """The encodings a file may be in, in the order tried. Excel saves "Unicode テキスト" as UTF-16 with a BOM.
    EUC-JP before CP932: EUC-JP text often reads as CP932 without an error (as half-width katakana), while
    Japanese in CP932 never reads as EUC-JP (its 、。 and hiragana start with bytes EUC-JP does not use)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return ["utf-8-sig"]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ["utf-16"]
    return ["utf-8", "euc_jp", "cp932"]


def readable_text(raw: bytes) -> str:
    """A FAQ file's text for showing next to its problems, even when it cannot be decoded: read in the
    encoding that gets furthest, with what cannot be read as U+FFFD."""
    encoding, text, _ = _reading(raw)
    return text if text is not None else raw.decode(encoding, errors="replace")


#: A heading (normalised) -> its column's name.
COLUMN_OF = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}


def _header(row: list[str], source: str, line: int = 1) -> dict[str, int]:
    if len(row) == 1 and sum(normalize(cell) in COLUMN_OF for cell in row[0].split(",")[:8]) >= 2:
        raise FaqFormatError(source, [FormatProblem(line, None, CSV_HEADER)])  # a CSV: one cell of known names
    columns: dict[str, int] = {}
    problems = []
    for i, cell in enumerate(row):
        name = COLUMN_OF.get(normalize(cell))
        if name is None:
            problems.append(FormatProblem(line, cell or f"{i + 1}列目", f"見出し「{cell}」は不明な列です。"))
        elif name in columns:
            problems.append(FormatProblem(line, cell, f"列「{cell}」が2回あります。"))
        else:
            columns[name] = i
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            problems.append(FormatProblem(line, None, f"必須の列「{column_label(name)}」が見出し行にありません。"))
    if problems:
        raise FaqFormatError(source, problems)
    return columns


def parse(text: str, source: str = "<faq>", encoding: str = "UTF-8", sha256: str | None = None) -> Faq:
    """Parse and validate TSV text; raises ``FaqFormatError`` listing every problem."""
    sha = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    return parse_rows(_tsv_rows(text), source, encoding, sha)


class _UnreadableError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def numbered_rows(reader: Reader, *, by_row: bool = False) -> Iterator[tuple[int, list[str]]]:
    """A ``csv.reader``'s rows with the line each starts on: a quoted cell may span lines, and ``line_num`` is
    where a row ends (the line an editor looks for is where it starts). ``by_row``: numbered as the table's rows
    instead, as Excel shows a range that was copied from it (a cell with a line break is still one row)."""
    if by_row:
        yield from enumerate(reader, start=1)
        return
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def _tsv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """The TSV's rows with the line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=True)
    read = 0  # the line the last whole row ended on: the broken one starts on the next
    try:
        for row in numbered_rows(reader):
            yield row
            read = reader.line_num
    except csv.Error as exc:
        start = read + 1
        lines = f"{start}行目" if reader.line_num <= start else f"{start}行目から{reader.line_num}行目"
        if "end of data" in str(exc) or "field larger" in str(exc):  # (an open quote swallows the rest: too long)
            where = f'{start}行目で始まるセルの引用符（"）が、ファイルの終わりまで閉じられていません'
        else:
            where = f'{lines}の行で、閉じた引用符（"）のすぐ後に文字があります'
        fix = 'セルの中の " は "" と2つ重ねるか、セル全体を " で囲まないでください。'
        raise _UnreadableError(start, f"TSVとして読めません: {where}。{fix}") from exc


def parse_rows(rows: Iterable[tuple[int, list[str]]], source: str, encoding: str, sha256: str) -> Faq:
    """Validate a table of (line or row number, cells), header first; ``FaqFormatError`` lists every problem."""
    problems: list[FormatProblem] = []
    warnings: list[FormatProblem] = []
    entries: list[FaqEntry] = []
    rows_seen: list[FaqEntry] = []  # the entries, and what rows refused for other problems say of id and question
    numbered = iter(rows)
    try:
        first = next(numbered, None)
        header = first[1] if first is not None else None
        if header is None or not any(c.strip() for c in header):
            raise FaqFormatError(source, [FormatProblem(1, None, EMPTY_FILE)], encoding)
        columns = _header(header, source, first[0] if first is not None else 1)
        width = len(header)
        for line, row in numbered:
            if not any(cell.strip() for cell in row):
                continue  # blank rows (Excel leaves them) are not entries
            # Fewer cells are fine when only optional columns are missing (Excel drops empty tails).
            cut_required = any(i >= len(row) for name, i in columns.items() if name in REQUIRED_COLUMNS)
            if len(row) > width or cut_required:
                problems.append(FormatProblem(line, None, f"列の数が{len(row)}です（見出しは{width}列）。"))
                continue
            if _repeats_header(row, columns):  # two files pasted together: the second one's header row
                at = first[0] if first else 1
                again = f"見出し行（{at}行目）と同じ行です。見出し行は1つだけにして、この行は削除してください。"
                problems.append(FormatProblem(line, None, again))
                continue
            entry = _entry(row, columns, line, problems, warnings)
            if entry is not None:
                entries.append(entry)
            # A row refused for another problem still takes part in the duplicate checks: every problem at once.
            seen = entry or _partial(row, columns, line)
            if seen is not None:
                rows_seen.append(seen)
    except _UnreadableError as exc:
        problems.append(FormatProblem(exc.line, None, str(exc)))
    except FaqFormatError as exc:
        exc.encoding = encoding
        raise
    problems += _duplicates(rows_seen)
    if not entries and not problems:
        problems.append(FormatProblem(None, None, NO_ENTRIES))
    if problems:
        raise FaqFormatError(source, problems, encoding)
    return Faq(tuple(entries), source, encoding, sha256, tuple(warnings))


def _repeats_header(row: list[str], columns: dict[str, int]) -> bool:
    """True for a row whose required cells are column headings (「id」「質問」「回答」 or their aliases)."""
    return all(
        i < len(row) and normalize(row[i]) in COLUMN_ALIASES[name]
        for name, i in columns.items()
        if name in REQUIRED_COLUMNS
    )


def _entry(
    row: list[str],
    columns: dict[str, int],
    line: int,
    problems: list[FormatProblem],
    warnings: list[FormatProblem],
) -> FaqEntry | None:
    cells = {name: unescape_formula(row[i]) if i < len(row) else "" for name, i in columns.items()}
    before = len(problems)
    marked: list[str] = []
    formulas: list[tuple[str, str]] = []
    for name, value in cells.items():
        label = COLUMN_LABELS[name]
        if _CONTROL.search(value):
            problems.append(FormatProblem(line, label, "制御文字が含まれています。"))
        if len(value) > MAX_FIELD_CHARS:
            problems.append(FormatProblem(line, label, f"{MAX_FIELD_CHARS}文字を超えています（{len(value)}文字）。"))
        if name in ("question", "answer", "alternates"):
            if _MARKUP.search(value):
                marked.append(label)
            if _FORMULA_LIKE.match(text := value.strip()):
                formulas.append((label, text))
    entry_id = id_of(cells["id"])
    # A warning names the entry too: a line number is a TSV's text line (a cell with line breaks spans several), not
    # the row Excel shows, and in a merged file it is a line of a file the editor never saw.
    named = f"id {entry_id[:20]} の" if entry_id else ""
    warnings += [
        FormatProblem(
            line, label, f"{named}{label}にHTMLタグや文字参照が含まれています（そのまま文字として表示されます）。"
        )
        for label in marked
    ]
    warnings += [
        FormatProblem(
            line,
            label,
            f"{named}{label}が数式のように見えます（「{text[:30]}{'…' if len(text) > 30 else ''}」）。"
            "数式としては扱わず、そのまま文字として表示されます。数式の結果を載せるなら、Excelで「値として貼り付け」てから"
            "保存してください。",
        )
        for label, text in formulas[:3]
    ]
    if not entry_id:
        problems.append(FormatProblem(line, "id", "idが空です。"))
    elif not _ID.match(entry_id):
        problems.append(
            FormatProblem(line, "id", f"id「{entry_id[:20]}」は半角英数字と _ . - の64文字以内にしてください。")
        )
    question = _clean(cells["question"])
    answer = _clean(cells["answer"])
    if not question:
        problems.append(FormatProblem(line, "質問", "質問が空です。"))
    if not answer:
        problems.append(FormatProblem(line, "回答", "回答が空です。"))
    if len(problems) > before:
        return None
    alternates = tuple(
        a for a in (_clean(x) for x in cells.get("alternates", "").replace("\n", ALTERNATE_SEPARATOR).split("|")) if a
    )
    category = " ".join(cells.get("category", "").split())
    return FaqEntry(entry_id, category, question, answer, alternates, line)


#: A file with nothing in it, or only its heading row: what to put where.
EMPTY_FILE = (
    "ファイルが空です。1行目に見出し（id・分類・質問・回答・言い換え。分類と言い換えは省略できます）を置き、"
    "2行目からFAQを1行に1件ずつ書いてください。"
)
NO_ENTRIES = "FAQの行が1件もありません。見出し行の次の行から、FAQを1行に1件ずつ書いてください。"


def id_of(typed: str) -> str:
    """An id as typed, width aside: 「４８」 (typed in Excel with the IME on) is 48, to an editor and here."""
    return unicodedata.normalize("NFKC", typed).strip()


def _clean(value: str) -> str:
    """Trim each line and the whole field; Windows line ends become ``\\n``."""
    lines = [ln.strip() for ln in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


def excel_safe(cell: str) -> str:
    """A cell Excel will not run as a formula: a leading ' before = + - @ (``unescape_formula`` takes it off)."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def unescape_formula(cell: str) -> str:
    """A cell as written before ``excel_safe``: the ' Excel kept in front of = + - @ goes."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in FORMULA_START and cell[1:2] else cell


def alternate_key(text: str) -> str:
    """What two phrasings must not share: the text normalised, without closing punctuation."""
    return normalize(text).rstrip("?？。.!！ ")


def entry_fingerprint(entry: FaqEntry) -> str:
    """A short digest of an entry's content (category, question, answer, alternates): did it change since?"""
    fields = (entry.category, entry.question, entry.answer, *entry.alternates)
    return hashlib.sha256("\x00".join(fields).encode("utf-8")).hexdigest()[:16]


#: Text in runs, True where a word searched for is (``marked``).
Marked = tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Found:
    """Where an editor's search words are in an entry, marked as written: in its category and its question (whole,
    as the entry list shows them), and ``elsewhere``, for the words those two lack, the alternates or the answer
    that have them (each a label and a part around its words: ``EXCERPT_CHARS`` on each side, … where cut)."""

    category: Marked | None = None
    question: Marked | None = None
    elsewhere: tuple[tuple[str, Marked], ...] = ()


#: Characters of text shown on each side of the words an editor searched for in a long field.
EXCERPT_CHARS = 20
#: At most this many parts of alternates or the answer are shown for one entry.
EXCERPTS = 3


def marked(text: str, spans: Sequence[tuple[int, int]]) -> Marked:
    """``text`` in runs, the ``spans`` marked."""
    runs: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        runs += [(text[at:start], False), (text[start:end], True)]
        at = end
    return tuple(r for r in [*runs, (text[at:], False)] if r[0])


def excerpt(text: str, spans: Sequence[tuple[int, int]]) -> Marked:
    """A part of ``text`` around its first marked span and those near it, on one line, … where cut."""
    start = max(0, spans[0][0] - EXCERPT_CHARS)
    near = [(s, e) for s, e in spans if s < spans[0][1] + 2 * EXCERPT_CHARS]
    end = min(len(text), near[-1][1] + EXCERPT_CHARS)
    runs = [(re.sub(r"\s+", " ", t) if not m else t, m) for t, m in marked(text[start:end], [
        (s - start, e - start) for s, e in near])]  # fmt: skip
    if runs and not runs[0][1]:
        runs[0] = (runs[0][0].lstrip(), False)
    if runs and not runs[-1][1]:
        runs[-1] = (runs[-1][0].rstrip(), False)
    cut = (("…", False),)
    return cut * (start > 0) + tuple(r for r in runs if r[0]) + cut * (end < len(text))


def entry_contains(entry: FaqEntry, text: str) -> Found | None:
    """Whether the entry has every word of ``text`` (split at white space) in its id, 分類, 質問, 言い換え or 回答, as
    ``fold`` compares them (widths, case, white space — a line break in an answer is no space to type); then where
    they are, marked (``Found``). None if a word is nowhere."""
    terms = list(dict.fromkeys(t for t in map(folded, text.split()) if t))
    fields = [("id", entry.id), ("分類", entry.category), ("質問", entry.question),
              *(("言い換え", a) for a in entry.alternates), ("回答", entry.answer)]  # fmt: skip
    flat = [(label, value, folded(value)) for label, value in fields]
    if not terms or not all(any(t in f for _, _, f in flat) for t in terms):
        return None
    shown = [locate_all(value, terms) for _, value in fields[1:3]]
    unseen = [t for t in terms if not any(t in f for _, _, f in flat[1:3])]
    elsewhere: list[tuple[str, Marked]] = []
    while unseen and len(elsewhere) < EXCERPTS:  # the field with most of the words left, a part around them
        label, value, f = max(flat[3:], key=lambda field: sum(t in field[2] for t in unseen))
        spans = locate_all(value, [t for t in unseen if t in f])
        if not spans:
            break
        part = excerpt(value, spans)
        elsewhere.append((label, part))
        left = [t for t in unseen if t not in folded("".join(r for r, hit in part if hit))]
        if left == unseen:
            break
        unseen = left
    return Found(
        marked(entry.category, shown[0]) if shown[0] else None,
        marked(entry.question, shown[1]) if shown[1] else None,
        tuple(elsewhere),
    )


def entry_problems(faq: Faq, problems: Sequence[FormatProblem], entry_id: str) -> tuple[FormatProblem, ...]:
    """The problems on one entry, told without the file's lines: what an editor of that one entry needs to
    see (the rest of the FAQ is as it was published, its warnings are not this edit's)."""
    line = next((e.line for e in faq.entries if e.id == entry_id), None)
    return tuple(p.without_line() for p in problems if line is not None and p.line == line)


def _partial(row: list[str], columns: dict[str, int], line: int) -> FaqEntry | None:
    """What a row refused for another problem says of its id and question (None without a well-formed id)."""
    entry_id = id_of(row[columns["id"]]) if columns["id"] < len(row) else ""
    if not _ID.match(entry_id):
        return None
    at = columns["question"]
    return FaqEntry(entry_id, "", _clean(row[at]) if at < len(row) else "", "", (), line)


def _duplicates(entries: Sequence[FaqEntry]) -> list[FormatProblem]:
    problems = []
    seen_ids: dict[str, FaqEntry] = {}
    seen_questions: dict[str, tuple[str, str]] = {}  # phrasing -> (id, 質問 or 言い換え)
    for e in entries:
        if e.id in seen_ids:
            # The other entry named by its line and its question; to the entry editor, which shows no file's
            # lines, by its question alone.
            first = seen_ids[e.id]
            question = first.question if len(first.question) <= 40 else first.question[:39] + "…"
            problems.append(FormatProblem(
                e.line, "id", f"id「{e.id}」が重複しています（{first.line}行目、質問「{question}」と同じid）。",
                apart=f"id「{e.id}」が重複しています（質問「{question}」と同じid）。",
            ))  # fmt: skip
        else:
            seen_ids[e.id] = e
        mine: set[str] = set()
        for column, text in [("質問", e.question), *(("言い換え", a) for a in e.alternates)]:
            key = alternate_key(text)
            if not key:  # a row refused for its empty question (``_partial``)
                continue
            if key in mine:
                problems.append(
                    FormatProblem(e.line, column, f"「{text[:40]}」が同じFAQの質問か言い換えと重複しています。")
                )
                continue
            mine.add(key)
            other = seen_questions.get(key)
            if other is not None and other[0] != e.id:
                # Both sides named by id and field (no file line: the entry editor has none to show).
                problems.append(
                    FormatProblem(
                        e.line,
                        column,
                        f"id {e.id} の{column}「{text[:40]}」は id {other[0]} の{other[1]}と同じです。"
                        "どちらかを変えてください。",
                    )
                )
            else:
                seen_questions.setdefault(key, (e.id, column))
    return problems


#: Files that are not what a FAQ upload takes, told apart from a broken TSV.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 (.xls) and other OLE documents
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
LEGACY_EXCEL = (
    "古い形式のExcelファイル（.xls）は読めません。Excelで「Excel ブック (*.xlsx)」として保存し直してから"
    "アップロードしてください。"
)
NOT_A_WORKBOOK = (
    "Excelブック（.xlsx）として読めません（名前は {suffix} ですが中身が違います）。Excelで開いて「Excel ブック"
    " (*.xlsx)」として保存し直すか、タブ区切りのテキスト（.tsv）としてアップロードしてください。"
)
CSV_HEADER = (
    "カンマ区切り（CSV）のファイルは読めません。Excelで「テキスト (タブ区切り) (*.txt)」または「Excel ブック"
    " (*.xlsx)」として保存し直してからアップロードしてください。"
)


def read_bytes(raw: bytes, source: str, max_bytes: int | None = None) -> Faq:
    """Decode and parse a FAQ file's bytes."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise FaqFormatError(
            source,
            [FormatProblem(None, None, f"ファイルが大きすぎます（{len(raw):,}バイト、上限{max_bytes:,}バイト）。")],
        )
    if raw.startswith(_OLE_MAGIC):
        raise FaqFormatError(source, [FormatProblem(None, None, LEGACY_EXCEL)])
    try:
        text, encoding = decode(raw, source)
        return parse(text, source, encoding, hashlib.sha256(raw).hexdigest())
    except FaqFormatError:
        suffix = Path(source).suffix.lower()
        if suffix in _EXCEL_SUFFIXES:  # its problems would be about a text it never meant to be
            raise FaqFormatError(source, [FormatProblem(None, None, NOT_A_WORKBOOK.format(suffix=suffix))]) from None
        raise


def load(path: Path, max_bytes: int | None = None) -> Faq:
    """Read, decode and validate a FAQ TSV file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FaqFormatError(str(path), [FormatProblem(None, None, f"ファイルを読めません: {exc.strerror}")]) from exc
    return read_bytes(raw, str(path), max_bytes)


def source_bytes(faq: Faq) -> bytes | None:
    """The bytes of the file a FAQ was read from, if that file still holds exactly them."""
    path = Path(faq.source)
    try:
        raw = path.read_bytes() if path.is_file() else None
    except OSError:
        return None
    if raw is None or hashlib.sha256(raw).hexdigest() != faq.sha256:
        return None  # the file changed meanwhile: do not keep a TSV that does not match
    return raw


def dump(entries: Sequence[FaqEntry]) -> str:
    """The canonical TSV text of entries (UTF-8, header, quoted multi-line fields)."""
    rows = ([e.id, e.category, e.question, e.answer, ALTERNATE_SEPARATOR.join(e.alternates)] for e in entries)
    return dump_rows([["id", "category", "question", "answer", "alternates"], *rows])


def dump_rows(rows: Iterable[Sequence[str]]) -> str:
    """Rows as TSV text (quoted where a field holds a tab, a quote or a line break)."""
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\n").writerows(rows)
    return out.getvalue()
