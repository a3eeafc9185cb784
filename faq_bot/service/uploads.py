"""Uploaded files: size-checked reads, workbooks read as TSV (``faq_bot.storage.staging`` keeps a preview until it is
published)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import UploadFile

from faq_bot.content.faq import Faq, dump
from faq_bot.content.workbook import WorkbookOrigin, is_workbook, read_workbook, workbook_origin
from faq_bot.errors import TooLargeError
from faq_bot.publishing.publisher import PublishResult


async def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    """The uploaded bytes; ``TooLargeError`` past ``max_bytes`` (read no further than that)."""
    raw = await file.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise TooLargeError(f"ファイルが大きすぎます（上限{max_bytes:,}バイト）。")
    return raw


def as_tsv(raw: bytes, name: str) -> tuple[bytes, Faq | None]:
    """An uploaded FAQ as TSV bytes; a workbook is validated (row/column problems) and written as canonical TSV."""
    if not is_workbook(raw):
        return raw, None
    book = read_workbook(raw, name)
    return dump(book.entries).encode("utf-8"), book


def origin_of(raw: bytes, max_bytes: int) -> WorkbookOrigin | None:
    """The FAQ version an uploaded file was downloaded as (a workbook from 「Excelでダウンロード」), or None."""
    return workbook_origin(raw, max_bytes) if is_workbook(raw) else None


def as_uploaded(result: PublishResult, book: Faq | None) -> PublishResult:
    """The result as the editor's file says it: a workbook's encoding and row numbers, not the TSV's."""
    if book is None:
        return result
    faq = replace(result.preview.faq, encoding=book.encoding)
    return replace(result, preview=replace(result.preview, faq=faq), warnings=book.warnings)
