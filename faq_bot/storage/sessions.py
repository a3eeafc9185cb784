"""Admin sessions kept server-side, so that logging out ends a session for good.

The session cookie carries a random session id (signed by the service); the store
knows which ids are live. Logging out deletes the id, so a copied cookie stops
working at once instead of at its expiry. ``SessionStore`` is the interface a shared
backend (PostgreSQL for several machines) replaces; ``SqliteSessions`` is shared by
the worker processes of one machine, which an in-memory store would not be (a login
on one worker would be unknown to the others).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

from faq_bot.errors import SessionStoreError


class SessionStore(Protocol):
    """Where live admin sessions are kept."""

    def create(self, expires: float) -> str:
        """A new live session until ``expires`` (epoch seconds); returns its id."""
        ...

    def active(self, session_id: str) -> bool:
        """The session exists and has not expired."""
        ...

    def revoke(self, session_id: str) -> None:
        """End the session (logout)."""
        ...


def _key(session_id: str) -> str:
    # Only a hash is stored: a copy of the file gives no usable session ids.
    return hashlib.sha256(session_id.encode()).hexdigest()


class SqliteSessions:
    """Sessions in a small SQLite file shared by the processes of one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=2.0)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, expires REAL NOT NULL)")
            except (sqlite3.Error, OSError) as exc:
                raise SessionStoreError(f"session store {self.path} cannot be opened: {exc}") from exc
            self._db = db
        return self._db

    def _run(self, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return self._conn().execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise SessionStoreError(f"session store {self.path}: {exc}") from exc

    def create(self, expires: float) -> str:
        """A new live session until ``expires`` (epoch seconds); returns its id."""
        self._run("DELETE FROM sessions WHERE expires < ?", (time.time(),))
        session_id = secrets.token_urlsafe(32)
        self._run("INSERT INTO sessions VALUES (?, ?)", (_key(session_id), expires))
        return session_id

    def active(self, session_id: str) -> bool:
        """The session exists and has not expired."""
        return bool(self._run("SELECT 1 FROM sessions WHERE key = ? AND expires >= ?", (_key(session_id), time.time())))

    def revoke(self, session_id: str) -> None:
        """End the session (logout)."""
        self._run("DELETE FROM sessions WHERE key = ?", (_key(session_id),))

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
