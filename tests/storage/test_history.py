"""The publish history: events kept in order, the oldest forgotten, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq_bot.errors import DatabaseError
from faq_bot.storage.database import Database
from faq_bot.storage.history import PublishEvent, PublishHistory


def event(n: int, action: str = "publish") -> PublishEvent:
    return PublishEvent(action, f"b{n}", f"v{n}", f"faq{n}.xlsx", 40 + n, added=n, changed=1, removed=0)  # type: ignore[arg-type]


def test_events_come_back_newest_first_with_what_each_changed_and_the_oldest_are_forgotten(database: Database) -> None:
    history = PublishHistory(database, keep=3)
    assert history.recent() == []
    for n in range(5):
        history.record(event(n, "rollback" if n == 3 else "publish"))
    got = history.recent()
    assert [(e.action, e.build_id, e.source, e.entries, e.added) for e in got] == [
        ("publish", "b4", "faq4.xlsx", 44, 4),
        ("rollback", "b3", "faq3.xlsx", 43, 3),
        ("publish", "b2", "faq2.xlsx", 42, 2),
    ]
    assert all(e.created > 0 for e in got) and got[0].created >= got[-1].created
    assert [e.build_id for e in history.recent(limit=1)] == ["b4"]


def test_a_database_that_cannot_be_used_is_a_database_error(tmp_path: Path) -> None:
    (tmp_path / "dir.sqlite3").mkdir()  # a folder where the file should be
    history = PublishHistory(Database.sqlite(tmp_path / "dir.sqlite3"))
    with pytest.raises(DatabaseError):
        history.record(event(1))
    with pytest.raises(DatabaseError):
        history.recent()
