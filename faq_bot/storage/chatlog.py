"""The conversation log: every visitor question, suggestion click and feedback, in SQLite.

What is stored per question: time, the question text (e-mail addresses, phone, card
and postal numbers masked when ``log_mask_personal_data`` is on, the default), the
categories it was restricted to, the decision, the answering entry, the
confidence, the FAQ version and the widget's random session id; per reply at most
one 👍/👎 with an optional comment; which suggestions were opened. No IP
addresses, cookies or user agents. Rows older than ``log_retention_days`` are
deleted.

``ChatLog`` is the store: synchronous, opened on first use (so an unwritable path
does not stop the bot from starting), with one connection for writes and one for
reads so that staff pages never wait behind a write. The service does not write
through it on the request path: ``faq_bot.storage.logwriter`` queues the rows and
writes them from a background thread.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from faq_bot.errors import LogUnavailableError
from faq_bot.localtime import DEFAULT_ZONE, local_time
from faq_bot.spreadsheet import BOM, csv_line
from faq_bot.storage.masking import mask_personal_data

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
    # Unanswered questions staff have dealt with (added as an alternate, or dismissed): off the list.
    """
    CREATE TABLE dismissals (
        request_id TEXT PRIMARY KEY,
        reason TEXT NOT NULL CHECK (reason IN ('alternate', 'dismissed')),
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
    entry_id: str | None  # the top entry (the answer for ANSWER, the closest one otherwise)
    confidence: float
    faq_version: str
    categories: tuple[str, ...] = ()
    session_id: str | None = None
    created: float = field(default_factory=lambda: time.time())  # when asked, not when written


@dataclass(frozen=True)
class Click:
    """A suggestion of a logged reply was opened (the question counts as resolved)."""

    request_id: str
    entry_id: str
    created: float = field(default_factory=lambda: time.time())


@dataclass(frozen=True)
class Feedback:
    """👍/👎 and an optional comment on a logged reply."""

    request_id: str
    rating: str
    comment: str | None
    created: float = field(default_factory=lambda: time.time())


@dataclass(frozen=True)
class Dismissal:
    """Logged questions staff have dealt with: ``alternate`` (now answered) or ``dismissed`` (not wanted)."""

    request_ids: tuple[str, ...]
    reason: str
    created: float = field(default_factory=lambda: time.time())


@dataclass(frozen=True)
class Purge:
    """Delete the rows older than the retention period."""


#: What can be written to the log.
LogRow = ChatRecord | Click | Feedback | Dismissal | Purge
T = TypeVar("T")


@dataclass(frozen=True)
class LoggedQuestion:
    """A question as the staff pages list it."""

    request_id: str
    created: float
    message: str
    decision: str
    entry_id: str | None
    confidence: float
    faq_version: str
    rating: str | None
    comment: str | None
    clicked: str | None
    categories: str = ""  # the categories the question was restricted to, "|"-separated


@dataclass(frozen=True)
class EntryStats:
    """How often an entry answered, was picked from suggestions, and how it was rated."""

    entry_id: str
    answered: int
    clicked: int
    up: int
    down: int
    comments: tuple[str, ...]


class ChatLog:
    """The SQLite store of the log (WAL; one connection for writes, one for reads; thread-safe)."""

    def __init__(self, path: Path, mask: bool = True, retention_days: int = 0, busy_timeout_ms: int = 1000) -> None:
        self.path = path
        self.mask = mask
        self.retention_days = retention_days
        # Short: a locked log must cost a retry in the background, not a stuck worker thread.
        self.busy_timeout_ms = busy_timeout_ms
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                str(self.path), check_same_thread=False, isolation_level=None, timeout=self.busy_timeout_ms / 1000
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
        except (sqlite3.Error, OSError) as exc:
            raise LogUnavailableError(f"question log {self.path} cannot be opened: {exc}") from exc
        return db

    def open(self) -> None:
        """Open the log now (it opens on first use otherwise); ``LogUnavailableError`` if it cannot be."""
        with self._write_lock:
            if self._writer is None:
                self._writer = self._connect()

    def close(self) -> None:
        """Close the connections."""
        for lock, name in ((self._write_lock, "_writer"), (self._read_lock, "_reader")):
            with lock:
                db = getattr(self, name)
                if db is not None:
                    db.close()
                    setattr(self, name, None)

    def write(self, rows: Sequence[LogRow]) -> None:
        """Store rows in one transaction, all or none; ``LogUnavailableError`` (retry later) if the log refuses."""
        with self._write_lock:
            if self._writer is None:
                self._writer = self._connect()
            db = self._writer
            try:
                db.execute("BEGIN IMMEDIATE")
                for row in rows:
                    self._apply(db, row)
                db.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                # A fresh connection next time: after a full disk or an I/O error this one may be unusable.
                self._writer = None
                with contextlib.suppress(sqlite3.Error):
                    db.close()
                raise LogUnavailableError(f"question log {self.path}: {exc}") from exc

    def _apply(self, db: sqlite3.Connection, row: LogRow) -> None:
        if isinstance(row, ChatRecord):
            db.execute(
                "INSERT OR IGNORE INTO chats VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.request_id, row.created, row.session_id, self._masked(row.message), "|".join(row.categories),
                    row.decision, row.entry_id, row.confidence, row.faq_version,
                ),
            )  # fmt: skip
        elif isinstance(row, Click):
            # Only for a logged reply (rows of one process are written in order, so its chat row came first).
            db.execute(
                "INSERT OR IGNORE INTO clicks SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM chats WHERE request_id = ?)",
                (row.request_id, row.entry_id, row.created, row.request_id),
            )
        elif isinstance(row, Feedback):
            db.execute(
                "INSERT INTO feedback SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM chats WHERE request_id = ?) "
                "ON CONFLICT(request_id) DO UPDATE SET "
                "rating = excluded.rating, comment = excluded.comment, created = excluded.created",
                (row.request_id, row.rating, self._masked(row.comment), row.created, row.request_id),
            )
        elif isinstance(row, Dismissal):
            db.executemany(
                "INSERT OR IGNORE INTO dismissals SELECT request_id, ?, ? FROM chats WHERE request_id = ?",
                [(row.reason, row.created, r) for r in row.request_ids],
            )
        elif self.retention_days > 0:  # Purge
            cutoff = time.time() - self.retention_days * 86400
            old = "SELECT request_id FROM chats WHERE created < ?"
            db.execute(f"DELETE FROM feedback WHERE request_id IN ({old})", (cutoff,))
            db.execute(f"DELETE FROM clicks WHERE request_id IN ({old})", (cutoff,))
            db.execute(f"DELETE FROM dismissals WHERE request_id IN ({old})", (cutoff,))
            db.execute("DELETE FROM chats WHERE created < ?", (cutoff,))

    def _masked(self, text: str | None) -> str | None:
        return mask_personal_data(text) if text and self.mask else text

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read on the read connection; ``LogUnavailableError`` when the log cannot be read."""
        with self._read_lock:
            try:
                if self._reader is None:
                    self._reader = self._connect()
                return query(self._reader)
            except sqlite3.Error as exc:
                raise LogUnavailableError(f"question log {self.path}: {exc}") from exc

    def record_chat(self, rec: ChatRecord) -> None:
        """Store one question and the decision it got."""
        self.write([rec])

    def record_click(self, request_id: str, entry_id: str) -> bool:
        """A suggestion of a logged reply was opened (the question counts as resolved). False: unknown reply."""
        if not self.known(request_id):
            return False
        self.write([Click(request_id, entry_id)])
        return True

    def record_feedback(self, request_id: str, rating: str, comment: str | None) -> bool:
        """👍/👎 on a logged reply; one per reply (sending again replaces it). False: unknown reply."""
        if not self.known(request_id):
            return False
        self.write([Feedback(request_id, rating, comment)])
        return True

    def known(self, request_id: str) -> bool:
        """A question with this request id is stored."""
        return self._read(
            lambda db: db.execute("SELECT 1 FROM chats WHERE request_id = ?", (request_id,)).fetchone() is not None
        )

    def message_of(self, request_id: str) -> str | None:
        """The logged question of a reply (masked as stored), or None."""
        row = self._read(
            lambda db: db.execute("SELECT message FROM chats WHERE request_id = ?", (request_id,)).fetchone()
        )
        return str(row[0]) if row else None

    def count(self, table: str = "chats") -> int:
        """Rows in one of the log's tables."""
        if table not in {"chats", "clicks", "feedback", "dismissals"}:
            raise ValueError(table)
        # table is from the fixed set above
        return self._read(lambda db: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]))

    def purge(self) -> int:
        """Delete rows older than the retention period; returns how many questions went."""
        if self.retention_days <= 0:
            return 0
        before = self.count()
        self.write([Purge()])
        return before - self.count()

    _QUESTIONS = (
        "SELECT c.request_id, c.created, c.message, c.decision, c.entry_id, c.confidence, c.faq_version, "
        "f.rating, f.comment, (SELECT MIN(entry_id) FROM clicks k WHERE k.request_id = c.request_id), c.categories "
        "FROM chats c LEFT JOIN feedback f ON f.request_id = c.request_id"
    )

    def questions(self, since: float = 0.0, limit: int = 100_000) -> list[LoggedQuestion]:
        """Logged questions, newest first."""
        rows = self._read(
            lambda db: db.execute(
                self._QUESTIONS + " WHERE c.created >= ? ORDER BY c.created DESC LIMIT ?", (since, limit)
            ).fetchall()
        )
        return [LoggedQuestion(*r) for r in rows]

    def unanswered(self, since: float = 0.0, limit: int = 5000) -> list[LoggedQuestion]:
        """Questions the FAQ did not settle (escalated, or no suggestion opened) that staff have not dealt with."""
        done = self._read(lambda db: {r[0] for r in db.execute("SELECT request_id FROM dismissals").fetchall()})
        return [
            q
            for q in self.questions(since, limit * 4)
            if (q.decision == "escalate" or (q.decision == "suggest" and q.clicked is None))
            and q.request_id not in done
        ][:limit]

    def dismiss(self, request_ids: list[str], reason: str) -> int:
        """Take logged questions off the unanswered list (``alternate``: now answered; ``dismissed``: not wanted)."""
        ids = tuple(r.strip() for r in request_ids if r.strip())
        before = self.count("dismissals")
        self.write([Dismissal(ids, reason)])
        return self.count("dismissals") - before

    def entry_stats(self) -> dict[str, EntryStats]:
        """Per-entry answer counts, suggestion clicks and ratings."""
        answered, clicked, ratings = self._read(self._stats)
        ids = set(answered) | set(clicked) | {r[0] for r in ratings if r[0]}
        out = {}
        for eid in ids:
            mine = [r for r in ratings if r[0] == eid]
            out[eid] = EntryStats(
                eid,
                int(answered.get(eid, 0)),
                int(clicked.get(eid, 0)),
                sum(r[1] == "up" for r in mine),
                sum(r[1] == "down" for r in mine),
                tuple(r[2] for r in mine if r[2]),
            )
        return out

    @staticmethod
    def _stats(db: sqlite3.Connection) -> tuple[dict[str, int], dict[str, int], list[tuple[str | None, str, str]]]:
        answered = dict(
            db.execute("SELECT entry_id, COUNT(*) FROM chats WHERE decision = 'answer' GROUP BY entry_id").fetchall()
        )
        clicked = dict(db.execute("SELECT entry_id, COUNT(*) FROM clicks GROUP BY entry_id").fetchall())
        ratings = db.execute(
            "SELECT COALESCE((SELECT MIN(entry_id) FROM clicks k WHERE k.request_id = f.request_id), "
            "CASE WHEN c.decision = 'answer' THEN c.entry_id END), "
            "f.rating, f.comment FROM feedback f JOIN chats c ON c.request_id = f.request_id"
        ).fetchall()
        return answered, clicked, ratings

    def export_csv(self, zone: str = DEFAULT_ZONE) -> Iterator[str]:
        """Every logged question with its feedback, as CSV lines (BOM for Excel; no cell runs as a formula)."""
        yield BOM
        yield csv_line(csv_head(zone))
        for q in self.questions():
            yield csv_line(csv_row(q, zone))


def csv_head(zone: str) -> list[str]:
    """The log CSV's header row."""
    return [f"日時({zone})", "質問", "分類", "判定", "回答したFAQ", "確信度", "FAQ版", "評価", "コメント", "開いた候補"]


def csv_row(q: LoggedQuestion, zone: str) -> list[str]:
    """One logged question as a log CSV row (time in ``zone``, categories as 「請求、見積」)."""
    return [
        local_time(q.created, zone, with_zone=False),
        q.message,
        "、".join(c for c in q.categories.split("|") if c),
        q.decision,
        q.entry_id or "",
        f"{q.confidence:.3f}",
        q.faq_version,
        q.rating or "",
        q.comment or "",
        q.clicked or "",
    ]
