"""The conversation log: every visitor question, suggestion click and feedback, in SQLite."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: Schema migrations, applied in order; ``PRAGMA user_version`` counts those applied.
MIGRATIONS = (
    """
    CREATE TABLE chats (
        request_id TEXT PRIMARY KEY,
        created REAL NOT NULL,
        session_id TEXT,
        message TEXT NOT NULL,
        categories TEXT NOT NULL DEFAULT '',
        decision TEXT NOT NULL,
        entry_id TEXT,
        confidence REAL NOT NULL,
        faq_version TEXT NOT NULL
    );
    CREATE INDEX chats_created ON chats(created);
    CREATE TABLE clicks (
        request_id TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (request_id, entry_id)
    );
    CREATE TABLE feedback (
        request_id TEXT PRIMARY KEY REFERENCES chats(request_id),
        rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
        comment TEXT,
        created REAL NOT NULL
    );
    """,
)


@dataclass(frozen=True)
class ChatRecord:
    """One answered question, as stored."""

    request_id: str
    message: str
    decision: str
    entry_id: str | None
    confidence: float
    faq_version: str
    categories: tuple[str, ...] = ()
    session_id: str | None = None


class ChatLog:
    """A thread-safe SQLite log (one connection, serialised writes, WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                self._db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def record_chat(self, rec: ChatRecord) -> None:
        """Store one question and the decision it got."""
        with self._lock:
            self._db.execute(
                "INSERT INTO chats VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rec.request_id,
                    time.time(),
                    rec.session_id,
                    rec.message,
                    "|".join(rec.categories),
                    rec.decision,
                    rec.entry_id,
                    rec.confidence,
                    rec.faq_version,
                ),
            )

    def record_click(self, request_id: str, entry_id: str) -> bool:
        """A suggestion of a logged reply was opened (the question counts as resolved)."""
        with self._lock:
            if not self._known(request_id):
                return False
            self._db.execute("INSERT OR IGNORE INTO clicks VALUES (?, ?, ?)", (request_id, entry_id, time.time()))
            return True

    def record_feedback(self, request_id: str, rating: str, comment: str | None) -> bool:
        """👍/👎 on a logged reply; one per reply (sending again replaces it). False: unknown reply."""
        with self._lock:
            if not self._known(request_id):
                return False
            self._db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?) ON CONFLICT(request_id) DO UPDATE SET "
                "rating = excluded.rating, comment = excluded.comment, created = excluded.created",
                (request_id, rating, comment, time.time()),
            )
            return True

    def _known(self, request_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM chats WHERE request_id = ?", (request_id,)).fetchone() is not None

    def count(self, table: str = "chats") -> int:
        """Rows in one of the log's tables."""
        if table not in {"chats", "clicks", "feedback"}:
            raise ValueError(table)
        with self._lock:
            return int(
                self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            )  # table is from the fixed set above
