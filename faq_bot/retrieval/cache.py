"""What builds have computed before, by content: vectors and janome analyses of texts, in SQLite.

A publish re-encodes only texts it has not seen: a one-entry edit to a 2,000-entry FAQ
encodes that entry's few texts, whatever path the edit took (upload, reload of the file
on disk, watch, add-as-alternate, ``faq-bot build-index``). Keys are hashes of the exact
text and of everything that changes the result — the model (with its backend and
passage length), the prompt kind, the analyser's version and synonym table — so a stale
value can never be found. The cache lives beside the builds (``index/cache.sqlite3``);
losing it only costs time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from faq_bot.text.analyzer import ANALYZER_VERSION, Analysis

log = logging.getLogger("faq_bot.retrieval")
CACHE_FILE = "cache.sqlite3"
#: Rows not used by any build for this long are dropped when a build is saved.
KEEP_DAYS = 30
_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL, used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS analyses (key BLOB PRIMARY KEY, analysis TEXT NOT NULL, used REAL NOT NULL);
"""


def vector_key(model_id: str, kind: str, text: str) -> bytes:
    """The cache key of one text's vector (``kind``: query or passage)."""
    return hashlib.sha256(f"{model_id}\x00{kind}\x00{text}".encode()).digest()


def analysis_key(synonyms: str, text: str) -> bytes:
    """The cache key of one text's analysis (janome words and reading)."""
    return hashlib.sha256(f"{ANALYZER_VERSION}\x00{synonyms}\x00{text}".encode()).digest()


class BuildCache:
    """Vectors and analyses by content key; safe to share between threads and processes (SQLite, WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    @classmethod
    def beside(cls, index_dir: Path) -> BuildCache | None:
        """The cache of an index folder; None (and a warning) if it cannot be opened: builds still work."""
        try:
            return cls(index_dir / CACHE_FILE)
        except (OSError, sqlite3.Error) as exc:
            log.warning("build cache in %s unusable, encoding everything: %s", index_dir, exc)
            return None

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _get(self, table: str, column: str, keys: Sequence[bytes]) -> dict[bytes, bytes | str]:
        found: dict[bytes, bytes | str] = {}
        now = time.time()
        with self._lock:
            try:
                for start in range(0, len(keys), 500):
                    chunk = list(keys[start : start + 500])
                    marks = ",".join("?" * len(chunk))
                    # table and column come from this module, never from input
                    rows = self._db.execute(f"SELECT key, {column} FROM {table} WHERE key IN ({marks})", chunk)
                    found.update((bytes(k), v) for k, v in rows)
                    self._db.execute(f"UPDATE {table} SET used = ? WHERE key IN ({marks})", [now, *chunk])
            except sqlite3.Error as exc:
                log.warning("build cache read failed, encoding instead: %s", exc)
        return found

    def _put(self, table: str, rows: Iterable[tuple[bytes, bytes | str]]) -> None:
        now = time.time()
        with self._lock:
            try:
                self._db.execute("BEGIN")
                self._db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?)", ((k, v, now) for k, v in rows))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:  # a full disk costs the next build time, nothing else
                log.warning("build cache write failed: %s", exc)
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")

    def vectors(self, keys: Sequence[bytes]) -> dict[bytes, npt.NDArray[np.float32]]:
        """The cached vectors among ``keys``."""
        return {k: np.frombuffer(v, dtype=np.float32) for k, v in self._get("vectors", "vector", keys).items()
                if isinstance(v, bytes)}  # fmt: skip

    def put_vectors(self, items: Mapping[bytes, npt.NDArray[np.float32]]) -> None:
        """Remember vectors."""
        self._put("vectors", ((k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()))

    def analyses(self, keys: Sequence[bytes]) -> dict[bytes, Analysis]:
        """The cached analyses among ``keys``."""
        out = {}
        for k, v in self._get("analyses", "analysis", keys).items():
            normalized, words, reading = json.loads(v)
            out[k] = Analysis(normalized, tuple(words), reading)
        return out

    def put_analyses(self, items: Mapping[bytes, Analysis]) -> None:
        """Remember analyses."""
        self._put(
            "analyses",
            ((k, json.dumps([a.normalized, list(a.words), a.reading], ensure_ascii=False)) for k, a in items.items()),
        )

    def prune(self, days: float = KEEP_DAYS) -> None:
        """Drop what no build has used for ``days``."""
        cutoff = time.time() - days * 86400
        with self._lock:
            try:
                self._db.execute("DELETE FROM vectors WHERE used < ?", (cutoff,))
                self._db.execute("DELETE FROM analyses WHERE used < ?", (cutoff,))
            except sqlite3.Error as exc:
                log.warning("build cache prune failed: %s", exc)
