"""Files kept between two admin requests: a previewed upload until it is published, a batch test's result
until it is downloaded, the undo of a dismissal.

Each is kept by the hash of its content (a key the page carries in a form or a link) for
``KEEP_SECONDS``, then deleted: previews never published would pile up without end, and hold
visitors' questions past the log's retention.

Where they are kept must be where the next request finds them. On one machine that is a folder beside
the index (``FolderStaging``; every worker process of the machine sees it). Replicas behind a load
balancer share nothing on disk, and the request that publishes a preview may reach another replica than
the one that made it: there they are kept in the shared database (``DatabaseStaging``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

import sqlalchemy as sa

from faq_bot.errors import DatabaseError, NotFoundError
from faq_bot.files import write_bytes_atomic
from faq_bot.storage.database import Database
from faq_bot.storage.schema import staged_files

T = TypeVar("T")
log = logging.getLogger(__name__)

#: The folder beside the index that ``FolderStaging`` keeps its files in.
FOLDER = "staging"
#: How long a staged file is kept: longer than an admin session (8 hours by default), so that what a page
#: offers still works the next working day.
KEEP_SECONDS = 2 * 86400
GONE = "アップロードされたファイルが見つかりません。もう一度アップロードしてください。"
_KEY = re.compile(r"^[0-9a-f]{16,64}$")


def is_key(text: str) -> bool:
    """True for a string made like the keys ``Staging.put`` gives (not that anything is kept under it)."""
    return bool(_KEY.match(text))


def content_key(data: bytes, length: int = 64) -> str:
    """The key of ``data``: the first ``length`` hex digits of its sha256."""
    return hashlib.sha256(data).hexdigest()[:length]


def _name(prefix: str, key: str, suffix: str) -> str:
    return f"{prefix}{key}{suffix}"


class Staging(Protocol):
    """Where files are kept between two admin requests (see the module docstring)."""

    def put(self, data: bytes, prefix: str = "", suffix: str = ".tsv", length: int = 64) -> str:
        """Keep ``data`` for ``KEEP_SECONDS`` from now (again, if it was kept); returns its key. Files kept
        longer than that are deleted."""
        ...

    def get(self, key: str, prefix: str = "", suffix: str = ".tsv") -> bytes:
        """The data kept under ``key``; ``NotFoundError`` if the key is malformed, unknown or expired."""
        ...

    def drop(self, key: str, prefix: str = "", suffix: str = ".tsv") -> None:
        """Forget the data kept under ``key``; never fails (what is not deleted now expires): it follows a
        publish or an undo that is done already."""
        ...

    def prune(self, now: float | None = None) -> int:
        """Delete what was kept longer than ``KEEP_SECONDS``; returns how many were deleted."""
        ...


class FolderStaging:
    """Staged files in a folder of this machine (``index/staging``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def beside(cls, index_dir: Path) -> FolderStaging:
        """The staging folder of an index folder."""
        return cls(index_dir / FOLDER)

    def put(self, data: bytes, prefix: str = "", suffix: str = ".tsv", length: int = 64) -> str:
        key = content_key(data, length)
        write_bytes_atomic(self.folder / _name(prefix, key, suffix), data)  # a new file: kept again from now
        self.prune()
        return key

    def get(self, key: str, prefix: str = "", suffix: str = ".tsv") -> bytes:
        if not _KEY.match(key):
            raise NotFoundError(GONE)
        path = self.folder / _name(prefix, key, suffix)
        try:
            if path.stat().st_mtime < time.time() - KEEP_SECONDS:  # not pruned yet, but expired all the same
                raise NotFoundError(GONE)
            return path.read_bytes()
        except OSError as exc:
            raise NotFoundError(GONE) from exc

    def drop(self, key: str, prefix: str = "", suffix: str = ".tsv") -> None:
        if _KEY.match(key):
            try:
                (self.folder / _name(prefix, key, suffix)).unlink(missing_ok=True)
            except OSError as exc:
                log.warning("staged file not deleted (it expires): %s", exc)

    def prune(self, now: float | None = None) -> int:
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
                        continue  # gone meanwhile (another worker's prune): nothing to do
        except OSError:
            return deleted  # no folder yet
        return deleted


class DatabaseStaging:
    """Staged files in the database every replica shares (PostgreSQL; SQLite works the same for tests)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _run(self, work: Callable[[sa.Connection], T]) -> T:
        try:
            return self.db.run(work, "staged files")
        except DatabaseError as exc:  # named by run(), or the database could not even be opened
            raise DatabaseError(str(exc) if str(exc).startswith("staged files") else f"staged files {exc}") from exc

    def put(self, data: bytes, prefix: str = "", suffix: str = ".tsv", length: int = 64) -> str:
        key = content_key(data, length)
        # One statement: two replicas staging the same file at once (a form sent twice) both succeed.
        row = self.db.insert(staged_files).values(name=_name(prefix, key, suffix), data=data, created=time.time())
        upsert = row.on_conflict_do_update(
            index_elements=[staged_files.c.name], set_={"data": row.excluded.data, "created": row.excluded.created}
        )
        self._run(lambda conn: conn.execute(upsert))
        try:
            self.prune()
        except DatabaseError as exc:  # the file is kept; the old ones wait for the next prune
            log.warning("%s", exc)
        return key

    def get(self, key: str, prefix: str = "", suffix: str = ".tsv") -> bytes:
        if not _KEY.match(key):
            raise NotFoundError(GONE)
        query = sa.select(staged_files.c.data).where(
            staged_files.c.name == _name(prefix, key, suffix), staged_files.c.created >= time.time() - KEEP_SECONDS
        )
        data = self._run(lambda conn: conn.scalar(query))
        if data is None:
            raise NotFoundError(GONE)
        return bytes(data)

    def drop(self, key: str, prefix: str = "", suffix: str = ".tsv") -> None:
        if _KEY.match(key):
            name = _name(prefix, key, suffix)
            try:
                self._run(lambda conn: conn.execute(sa.delete(staged_files).where(staged_files.c.name == name)))
            except DatabaseError as exc:
                log.warning("%s (it expires)", exc)

    def prune(self, now: float | None = None) -> int:
        oldest = (time.time() if now is None else now) - KEEP_SECONDS
        # Rows another replica is deleting (or staging again) right now are skipped, not waited for: two
        # prunes at once neither block nor deadlock each other (SQLite has one writer: no such clause).
        expired = (
            sa.select(staged_files.c.name).where(staged_files.c.created < oldest).with_for_update(skip_locked=True)
        )
        result = self._run(lambda conn: conn.execute(sa.delete(staged_files).where(staged_files.c.name.in_(expired))))
        return int(result.rowcount)


def staging_for(index_dir: Path, shared: Database | None) -> Staging:
    """The shared database's staging when replicas share one, else the folder beside the index."""
    return DatabaseStaging(shared) if shared is not None else FolderStaging.beside(index_dir)
