"""The FAQ table: reading a TSV (UTF-8, UTF-8 with BOM or CP932) and validating it."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faq_bot.errors import FaqFormatError, FormatProblem
from faq_bot.text.normalize import normalize

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
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM付き)", "cp932": "CP932 (Shift_JIS)"}

_ID = re.compile(r"^[0-9A-Za-z_.\-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Every repeat is bounded and a tag cannot run past the next "<": a match attempt looks at a bounded
# number of characters, so the check is linear in the field's length ("<a" * 200_000 took 21 s with
# the unbounded `<\s*/?\s*[a-zA-Z][^>]*>`, "<" and 40,000 spaces 8.6 s).
_MARKUP = re.compile(r"<\s{0,8}(?:/\s{0,8})?[a-zA-Z][^<>]{0,2000}>|&(?:[a-zA-Z]{1,32}|#\d{1,8});")
MAX_FIELD_CHARS = 20_000


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


def categories_in_order(entries: Sequence[FaqEntry]) -> list[str]:
    """The entries' categories in order of first appearance (empty category left out)."""
    return list(dict.fromkeys(e.category for e in entries if e.category))


def decode(raw: bytes, source: str) -> tuple[str, str]:
    """Text and encoding label of a FAQ file: UTF-8 (with or without BOM), else CP932."""
    candidates = ["utf-8-sig"] if raw.startswith(b"\xef\xbb\xbf") else ["utf-8", "cp932"]
    first_error: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            return raw.decode(encoding), ENCODING_LABELS[encoding]
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    line = raw[: first_error.start].count(b"\n") + 1
    raise FaqFormatError(
        source,
        [
            FormatProblem(
                line,
                None,
                "文字コードを判定できません。UTF-8 (BOM付き可) または CP932 (Shift_JIS) で保存してください"
                f"（{first_error.start}バイト目の 0x{raw[first_error.start]:02x} が不正です）。",
            )
        ],
    )


def _header(row: list[str], source: str) -> dict[str, int]:
    lookup = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    problems = []
    for i, cell in enumerate(row):
        name = lookup.get(normalize(cell))
        if name is None:
            problems.append(FormatProblem(1, cell or f"{i + 1}列目", f"見出し「{cell}」は不明な列です。"))
        elif name in columns:
            problems.append(FormatProblem(1, cell, f"列「{cell}」が2回あります。"))
        else:
            columns[name] = i
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            wanted = " / ".join(COLUMN_ALIASES[name][:2] if name != "id" else ("id", "No."))
            problems.append(FormatProblem(1, None, f"必須の列「{wanted}」が見出し行にありません。"))
    if problems:
        raise FaqFormatError(source, problems)
    return columns


def parse(text: str, source: str = "<faq>", encoding: str = "UTF-8", sha256: str | None = None) -> Faq:
    """Parse and validate TSV text; raises ``FaqFormatError`` listing every problem."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=True)
    problems: list[FormatProblem] = []
    warnings: list[FormatProblem] = []
    entries: list[FaqEntry] = []
    try:
        header = next(reader, None)
        if header is None or not any(c.strip() for c in header):
            raise FaqFormatError(source, [FormatProblem(1, None, "ファイルが空です。見出し行が必要です。")], encoding)
        columns = _header(header, source)
        width = len(header)
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # blank rows (Excel leaves them) are not entries
            # Fewer cells are fine when only optional columns are missing (Excel drops empty tails).
            cut_required = any(i >= len(row) for name, i in columns.items() if name in REQUIRED_COLUMNS)
            if len(row) > width or cut_required:
                problems.append(FormatProblem(line, None, f"列の数が{len(row)}です（見出しは{width}列）。"))
                continue
            entry = _entry(row, columns, line, problems, warnings)
            if entry is not None:
                entries.append(entry)
    except csv.Error as exc:
        problems.append(FormatProblem(reader.line_num, None, f"TSVとして読めません（引用符の閉じ忘れなど）: {exc}"))
    except FaqFormatError as exc:
        exc.encoding = encoding
        raise
    problems += _duplicates(entries)
    if not entries and not problems:
        problems.append(FormatProblem(None, None, "FAQの行が1件もありません。"))
    if problems:
        raise FaqFormatError(source, problems, encoding)
    sha = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Faq(tuple(entries), source, encoding, sha, tuple(warnings))


def _entry(
    row: list[str],
    columns: dict[str, int],
    line: int,
    problems: list[FormatProblem],
    warnings: list[FormatProblem],
) -> FaqEntry | None:
    cells = {name: (row[i] if i < len(row) else "") for name, i in columns.items()}
    before = len(problems)
    for name, value in cells.items():
        label = COLUMN_LABELS[name]
        if _CONTROL.search(value):
            problems.append(FormatProblem(line, label, "制御文字が含まれています。"))
        if len(value) > MAX_FIELD_CHARS:
            problems.append(FormatProblem(line, label, f"{MAX_FIELD_CHARS}文字を超えています。"))
        if name in ("question", "answer", "alternates") and _MARKUP.search(value):
            warnings.append(
                FormatProblem(line, label, "HTMLタグや文字参照が含まれています（そのまま文字として表示されます）。")
            )
    entry_id = cells["id"].strip()
    if not entry_id:
        problems.append(FormatProblem(line, "id", "idが空です。"))
    elif not _ID.match(entry_id):
        problems.append(
            FormatProblem(line, "id", f"id「{entry_id[:20]}」は英数字と _ . - の64文字以内にしてください。")
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


def _clean(value: str) -> str:
    """Trim each line and the whole field; Windows line ends become ``\\n``."""
    lines = [ln.strip() for ln in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


def _duplicates(entries: Sequence[FaqEntry]) -> list[FormatProblem]:
    problems = []
    seen_ids: dict[str, int] = {}
    seen_questions: dict[str, tuple[str, int]] = {}
    for e in entries:
        if e.id in seen_ids:
            problems.append(
                FormatProblem(e.line, "id", f"id「{e.id}」が重複しています（{seen_ids[e.id]}行目と同じ）。")
            )
        else:
            seen_ids[e.id] = e.line
        for column, text in [("質問", e.question), *(("言い換え", a) for a in e.alternates)]:
            key = normalize(text).rstrip("?？。.!！ ")
            other = seen_questions.get(key)
            if other is not None and other[0] != e.id:
                problems.append(
                    FormatProblem(
                        e.line, column, f"「{text[:40]}」は{other[1]}行目（id {other[0]}）の質問と重複しています。"
                    )
                )
            else:
                seen_questions.setdefault(key, (e.id, e.line))
    return problems


def read_bytes(raw: bytes, source: str, max_bytes: int | None = None) -> Faq:
    """Decode and parse a FAQ file's bytes."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise FaqFormatError(
            source,
            [FormatProblem(None, None, f"ファイルが大きすぎます（{len(raw):,}バイト、上限{max_bytes:,}バイト）。")],
        )
    text, encoding = decode(raw, source)
    return parse(text, source, encoding, hashlib.sha256(raw).hexdigest())


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
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(["id", "category", "question", "answer", "alternates"])
    for e in entries:
        writer.writerow([e.id, e.category, e.question, e.answer, ALTERNATE_SEPARATOR.join(e.alternates)])
    return out.getvalue()
