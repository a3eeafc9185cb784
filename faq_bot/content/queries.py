"""Labelled question sets (``query`` / ``gold`` [/ ``style``] TSV): eval sets and the regression set."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from faq_bot.content.faq import decode
from faq_bot.errors import FaqFormatError, FormatProblem

QUERY_SET = "質問集"


@dataclass(frozen=True)
class LabelledQuery:
    """A test question and the entry ids that count as right (none: it should escalate)."""

    query: str
    gold: tuple[str, ...]
    line: int
    style: str = ""  # optional: how the question is written (long, casual, near-oos, ...)
    source: str = ""  # the file it came from (calibration holds the wrong-answer bar in each)


def parse_queries(text: str, source: str) -> list[LabelledQuery]:
    """Parse TSV text with at least ``query`` and ``gold`` columns (gold: comma-separated ids)."""
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t")
    if not reader.fieldnames or "query" not in reader.fieldnames or "gold" not in reader.fieldnames:
        raise FaqFormatError(
            source, [FormatProblem(1, None, "見出し行に query と gold の列が必要です。")], what=QUERY_SET
        )
    queries = []
    for row in reader:
        q = (row.get("query") or "").strip()
        if q:
            gold = tuple(g.strip() for g in (row.get("gold") or "").split(",") if g.strip())
            queries.append(LabelledQuery(q, gold, reader.line_num, (row.get("style") or "").strip(), source))
    return queries


def read_queries(path: Path) -> list[LabelledQuery]:
    """Read a labelled question set from a file (UTF-8, UTF-8 with BOM or CP932)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FaqFormatError(
            str(path), [FormatProblem(None, None, f"ファイルを読めません: {exc.strerror}")], what=QUERY_SET
        ) from exc
    return parse_queries(decode_queries(raw, str(path)), str(path))


def decode_queries(raw: bytes, source: str) -> str:
    """The text of a question set's bytes (the FAQ file's encodings)."""
    try:
        return decode(raw, source)[0]
    except FaqFormatError as exc:
        exc.what = QUERY_SET
        raise
