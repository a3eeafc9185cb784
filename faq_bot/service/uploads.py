"""Uploaded files: size-checked reads, and the staging folder that keeps a previewed file until it is published."""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import replace
from pathlib import Path

from fastapi import UploadFile

from faq_bot.content.faq import Faq, dump
from faq_bot.content.workbook import is_workbook, read_workbook
from faq_bot.errors import NotFoundError, TooLargeError
from faq_bot.files import write_bytes_atomic
from faq_bot.publishing.publisher import PublishResult

STAGING = "staging"
_KEY = re.compile(r"^[0-9a-f]{16,64}$")
GONE = "アップロードされたファイルが見つかりません。もう一度アップロードしてください。"
#: How long a staged file is kept: a preview left unpublished, a batch result, the undo of a dismissal. Longer
#: than an admin session (8 hours by default), so what a page offers still works the next working day.
KEEP_SECONDS = 2 * 86400


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


def as_uploaded(result: PublishResult, book: Faq | None) -> PublishResult:
    """The result as the editor's file says it: a workbook's encoding and row numbers, not the TSV's."""
    if book is None:
        return result
    faq = replace(result.preview.faq, encoding=book.encoding)
    return replace(result, preview=replace(result.preview, faq=faq), warnings=book.warnings)


class Staging:
    """Files kept between a preview and the publish (or a batch run and its CSV download), by content hash."""

    def __init__(self, index_dir: Path) -> None:
        self.folder = index_dir / STAGING

    def put(self, data: bytes, prefix: str = "", suffix: str = ".tsv", length: int = 64) -> str:
        """Keep ``data`` (for ``KEEP_SECONDS``); returns its key. Files kept longer than that are deleted."""
        key = hashlib.sha256(data).hexdigest()[:length]
        write_bytes_atomic(self._path(prefix, key, suffix), data)  # kept again from now if it was there
        self.prune()
        return key

    def prune(self, now: float | None = None) -> int:
        """Delete the files kept longer than ``KEEP_SECONDS`` (previews never published, results never
        downloaded): they would pile up without end, and hold visitors' questions past the log's retention.
        Returns how many were deleted."""
        oldest = (time.time() if now is None else now) - KEEP_SECONDS
        deleted = 0
        try:
            with os.scandir(self.folder) as found:
                for item in found:
                    try:
                        if item.is_file() and item.stat().st_mtime < oldest:
                            os.unlink(item.path)
                            deleted += 1
                    except OSError:
                        continue  # gone meanwhile (another replica's prune), or not ours to delete: left
        except OSError:
            return deleted
        return deleted

    def get(self, key: str, prefix: str = "", suffix: str = ".tsv") -> bytes:
        """The data kept under ``key``; ``NotFoundError`` if it is unknown or gone."""
        if not _KEY.match(key):
            raise NotFoundError(GONE)
        try:
            return self._path(prefix, key, suffix).read_bytes()
        except OSError as exc:
            raise NotFoundError(GONE) from exc

    def drop(self, key: str, prefix: str = "", suffix: str = ".tsv") -> None:
        """Forget the data kept under ``key``."""
        if _KEY.match(key):
            self._path(prefix, key, suffix).unlink(missing_ok=True)

    def _path(self, prefix: str, key: str, suffix: str) -> Path:
        return self.folder / f"{prefix}{key}{suffix}"
