"""The conversation log: every visitor question, suggestion click and feedback, in SQLite.

What is stored per question: time, the question text (e-mail addresses and phone
numbers masked when ``log_mask_personal_data`` is on, the default), the
categories it was restricted to, the decision, the answering entry, the
confidence, the FAQ version and the widget's random session id; per reply at most
one 👍/👎 with an optional comment; which suggestions were opened. No IP
addresses, cookies or user agents. Rows older than ``log_retention_days`` are
deleted.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from faq_bot.localtime import DEFAULT_ZONE, local_time
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
    """A thread-safe SQLite log (one connection, serialised writes, WAL)."""

    def __init__(self, path: Path, mask: bool = True, retention_days: int = 0) -> None:
        self.path = path
        self.mask = mask
        self.retention_days = retention_days
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()
        self.purge()

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
                    mask_personal_data(rec.message) if self.mask else rec.message,
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
                (request_id, rating, mask_personal_data(comment) if comment and self.mask else comment, time.time()),
            )
            return True

    def message_of(self, request_id: str) -> str | None:
        """The logged question of a reply (masked as stored), or None."""
        with self._lock:
            row = self._db.execute("SELECT message FROM chats WHERE request_id = ?", (request_id,)).fetchone()
        return str(row[0]) if row else None

    def _known(self, request_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM chats WHERE request_id = ?", (request_id,)).fetchone() is not None

    def count(self, table: str = "chats") -> int:
        """Rows in one of the log's tables."""
        if table not in {"chats", "clicks", "feedback", "dismissals"}:
            raise ValueError(table)
        with self._lock:
            return int(
                self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            )  # table is from the fixed set above

    def purge(self) -> int:
        """Delete rows older than the retention period; returns how many questions went."""
        if self.retention_days <= 0:
            return 0
        cutoff = time.time() - self.retention_days * 86400
        with self._lock:
            old = "SELECT request_id FROM chats WHERE created < ?"
            self._db.execute(f"DELETE FROM feedback WHERE request_id IN ({old})", (cutoff,))
            self._db.execute(f"DELETE FROM clicks WHERE request_id IN ({old})", (cutoff,))
            self._db.execute(f"DELETE FROM dismissals WHERE request_id IN ({old})", (cutoff,))
            return int(self._db.execute("DELETE FROM chats WHERE created < ?", (cutoff,)).rowcount)

    _QUESTIONS = (
        "SELECT c.request_id, c.created, c.message, c.decision, c.entry_id, c.confidence, c.faq_version, "
        "f.rating, f.comment, (SELECT MIN(entry_id) FROM clicks k WHERE k.request_id = c.request_id), c.categories "
        "FROM chats c LEFT JOIN feedback f ON f.request_id = c.request_id"
    )

    def questions(self, since: float = 0.0, limit: int = 100_000) -> list[LoggedQuestion]:
        """Logged questions, newest first."""
        with self._lock:
            rows = self._db.execute(
                self._QUESTIONS + " WHERE c.created >= ? ORDER BY c.created DESC LIMIT ?", (since, limit)
            ).fetchall()
        return [LoggedQuestion(*r) for r in rows]

    def unanswered(self, since: float = 0.0, limit: int = 5000) -> list[LoggedQuestion]:
        """Questions the FAQ did not settle (escalated, or no suggestion opened) that staff have not dealt with."""
        with self._lock:
            done = {r[0] for r in self._db.execute("SELECT request_id FROM dismissals").fetchall()}
        return [
            q
            for q in self.questions(since, limit * 4)
            if (q.decision == "escalate" or (q.decision == "suggest" and q.clicked is None))
            and q.request_id not in done
        ][:limit]

    def dismiss(self, request_ids: list[str], reason: str) -> int:
        """Take logged questions off the unanswered list (``alternate``: now answered; ``dismissed``: not wanted)."""
        ids = [r.strip() for r in request_ids if r.strip()]
        now = time.time()
        with self._lock:
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO dismissals SELECT request_id, ?, ? FROM chats WHERE request_id = ?",
                [(reason, now, r) for r in ids],
            )
            return self._db.total_changes - before

    def entry_stats(self) -> dict[str, EntryStats]:
        """Per-entry answer counts, suggestion clicks and ratings."""
        with self._lock:
            answered = dict(
                self._db.execute(
                    "SELECT entry_id, COUNT(*) FROM chats WHERE decision = 'answer' GROUP BY entry_id"
                ).fetchall()
            )
            clicked = dict(self._db.execute("SELECT entry_id, COUNT(*) FROM clicks GROUP BY entry_id").fetchall())
            ratings = self._db.execute(
                "SELECT COALESCE((SELECT MIN(entry_id) FROM clicks k WHERE k.request_id = f.request_id), "
                "CASE WHEN c.decision = 'answer' THEN c.entry_id END), "
                "f.rating, f.comment FROM feedback f JOIN chats c ON c.request_id = f.request_id"
            ).fetchall()
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

    def export_csv(self, zone: str = DEFAULT_ZONE) -> Iterator[str]:
        """Every logged question with its feedback, as CSV lines (with a BOM for Excel), times in ``zone``."""
        yield "\ufeff"
        rows = [csv_head(zone)] + [csv_row(q, zone) for q in self.questions()]
        for row in rows:
            out = io.StringIO()
            csv.writer(out).writerow(row)
            yield out.getvalue()


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
