from __future__ import annotations

import time

import pytest

from faq_bot.errors import SessionStoreError
from faq_bot.storage.database import Database
from faq_bot.storage.sessions import DatabaseSessions


def test_a_session_is_live_until_revoked_and_only_its_hash_is_stored(database: Database) -> None:
    sessions = DatabaseSessions(database)
    sid = sessions.create(time.time() + 60)
    assert sessions.active(sid) and not sessions.active(sid + "x")
    other = DatabaseSessions(database)  # another worker or replica sees it too
    assert other.active(sid)
    with database.begin() as conn:
        assert sid not in str(conn.exec_driver_sql("SELECT key FROM sessions").all())
    other.revoke(sid)
    assert not sessions.active(sid)


def test_expired_sessions_are_not_live_and_are_cleared_by_the_next_login(database: Database) -> None:
    sessions = DatabaseSessions(database)
    old = sessions.create(time.time() - 1)
    assert not sessions.active(old)
    sessions.create(time.time() + 60)
    with database.begin() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM sessions").scalar_one() == 1


def test_an_unreachable_database_is_a_session_store_error() -> None:
    sessions = DatabaseSessions(Database("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_timeout=1))
    with pytest.raises(SessionStoreError, match="session store"):
        sessions.active("x")
