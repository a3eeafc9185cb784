"""Admin sessions kept server-side, so that logging out ends a session for good.

The session cookie carries a random session id (signed by the service); the store
knows which ids are live. Logging out deletes the id, so a copied cookie stops
working at once instead of at its expiry. ``DatabaseSessions`` keeps them in the
database: a SQLite file shared by the worker processes of one machine, or PostgreSQL
shared by replicas on several (an in-memory store would not do: a login on one worker
would be unknown to the others).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import sqlalchemy as sa

from faq_bot.errors import DatabaseError, SessionStoreError
from faq_bot.storage.database import Database
from faq_bot.storage.schema import sessions

T = TypeVar("T")


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


class DatabaseSessions:
    """Sessions in the database (SQLite for one machine, PostgreSQL for replicas)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _run(self, work: Callable[[sa.Connection], T]) -> T:
        try:
            return self.db.run(work, "session store")
        except DatabaseError as exc:  # named by run(), or the database could not even be opened
            raise SessionStoreError(
                str(exc) if str(exc).startswith("session store") else f"session store {exc}"
            ) from exc

    def create(self, expires: float) -> str:
        """A new live session until ``expires`` (epoch seconds); returns its id."""
        session_id = secrets.token_urlsafe(32)

        def work(conn: sa.Connection) -> None:
            conn.execute(sa.delete(sessions).where(sessions.c.expires < time.time()))
            conn.execute(sa.insert(sessions).values(key=_key(session_id), expires=expires))

        self._run(work)
        return session_id

    def active(self, session_id: str) -> bool:
        """The session exists and has not expired."""
        query = sa.select(sessions.c.key).where(sessions.c.key == _key(session_id), sessions.c.expires >= time.time())
        return self._run(lambda conn: conn.scalar(query) is not None)

    def revoke(self, session_id: str) -> None:
        """End the session (logout)."""
        self._run(lambda conn: conn.execute(sa.delete(sessions).where(sessions.c.key == _key(session_id))))

    def close(self) -> None:
        """Close the connections."""
        self.db.dispose()
