"""The schema on both backends: Alembic migrations, pre-Alembic SQLite files, replicas migrating at once."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from benchmarks.services import Postgres
from faq_bot.storage.chatlog import ChatLog, ChatRecord
from faq_bot.storage.database import Database, alembic_config, postgres_url
from faq_bot.storage.schema import metadata
from faq_bot.storage.sessions import DatabaseSessions
from tests.conftest import new_postgres_database, new_postgres_url
from tests.together import errors_together

#: The schema scripts of the SQLite log before Alembic, as the last release applied them (PRAGMA user_version).
LEGACY_MIGRATIONS = (
    """
    CREATE TABLE chats (
        request_id TEXT PRIMARY KEY, created REAL NOT NULL, session_id TEXT, message TEXT NOT NULL,
        categories TEXT NOT NULL DEFAULT '', decision TEXT NOT NULL, entry_id TEXT, confidence REAL NOT NULL,
        faq_version TEXT NOT NULL
    );
    CREATE INDEX chats_created ON chats(created);
    CREATE TABLE clicks (request_id TEXT NOT NULL, entry_id TEXT NOT NULL, created REAL NOT NULL,
                         PRIMARY KEY (request_id, entry_id));
    CREATE TABLE feedback (request_id TEXT PRIMARY KEY REFERENCES chats(request_id),
                           rating TEXT NOT NULL CHECK (rating IN ('up', 'down')), comment TEXT, created REAL NOT NULL);
    """,
    """
    CREATE TABLE dismissals (request_id TEXT PRIMARY KEY,
                             reason TEXT NOT NULL CHECK (reason IN ('alternate', 'dismissed')), created REAL NOT NULL);
    """,
)


def legacy_log(path: Path, version: int) -> None:
    """A question log as the pre-Alembic release left it at ``user_version`` = version, with one of each row."""
    db = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(LEGACY_MIGRATIONS[:version], start=1):
        db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
    db.execute("INSERT INTO chats VALUES ('old', 1.0, NULL, '古い質問', '', 'suggest', '3', 0.4, 'v0')")
    db.execute("INSERT INTO feedback VALUES ('old', 'down', 'わからない', 2.0)")
    db.execute("INSERT INTO clicks VALUES ('old', '3', 3.0)")
    if version >= 2:
        db.execute("INSERT INTO dismissals VALUES ('old', 'dismissed', 4.0)")
    db.close()


def test_a_pre_alembic_log_keeps_its_rows_and_gets_the_new_tables(tmp_path: Path) -> None:
    legacy_log(tmp_path / "log.db", version=2)
    log = ChatLog(Database.sqlite(tmp_path / "log.db"))
    [old] = log.questions()
    assert (old.message, old.rating, old.comment, old.clicked) == ("古い質問", "down", "わからない", "3")
    assert log.count("dismissals") == 1 and log.unanswered() == []
    log.record_chat(ChatRecord("new", "新しい質問", "answer", "1", 0.9, "v1"))
    assert log.count() == 2
    with sqlite3.connect(tmp_path / "log.db") as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"sessions", "faq_versions", "faq_current", "alembic_version"} <= tables
        # An older release opening the file again finds the user_version it knows and migrates nothing.
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_log_of_the_first_schema_gets_the_dismissals_table(tmp_path: Path) -> None:
    legacy_log(tmp_path / "log.db", version=1)
    log = ChatLog(Database.sqlite(tmp_path / "log.db"))
    assert log.count() == 1 and log.count("dismissals") == 0
    assert log.dismiss(["old"], "dismissed") == ("old",)


def test_a_pre_alembic_session_file_keeps_its_live_sessions(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with sqlite3.connect(path) as raw:  # as the last release made it: no user_version, one table
        raw.execute("CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, expires REAL NOT NULL)")
        raw.execute("INSERT INTO sessions VALUES (?, ?)", (hashlib.sha256(b"logged-in").hexdigest(), time.time() + 60))
    sessions = DatabaseSessions(Database.sqlite(path))
    assert sessions.active("logged-in")
    assert sessions.active(sessions.create(time.time() + 60))


def test_migrations_create_exactly_the_schema_the_code_uses(database: Database) -> None:
    with database.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []


def test_replicas_starting_together_migrate_once(postgres: Postgres) -> None:
    url = new_postgres_database(postgres).url

    def start() -> None:
        ChatLog(Database(url.render_as_string(hide_password=False))).count()

    assert errors_together(start, 4) == []
    with sa.create_engine(url).connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == ["0009_put_back"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_answers_confirmed_get_a_reason_of_their_own_and_the_dismissals_before_are_kept(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    else:
        engine = sa.create_engine(postgres_url(new_postgres_url(request.getfixturevalue("postgres"))))
    rows = "SELECT request_id, reason FROM dismissals ORDER BY request_id"

    def to(revision: str, upgrade: bool = True) -> None:
        with engine.begin() as conn:
            (command.upgrade if upgrade else command.downgrade)(alembic_config(conn), revision)

    to("0005_staged_files")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO dismissals VALUES ('a', 'alternate', 1), ('d', 'dismissed', 2)"))
    to("head")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO dismissals VALUES ('c', 'confirmed', 3)"))
        assert conn.execute(sa.text(rows)).all() == [("a", "alternate"), ("c", "confirmed"), ("d", "dismissed")]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # still checked
        conn.execute(sa.text("INSERT INTO dismissals VALUES ('x', 'maybe', 4)"))
    if backend == "postgresql":  # the constraint keeps the name the server gave it (a later change finds it)
        names = "SELECT conname FROM pg_constraint WHERE conrelid = 'dismissals'::regclass ORDER BY conname"
        with engine.begin() as conn:
            assert conn.execute(sa.text(names)).scalars().all() == ["dismissals_pkey", "dismissals_reason_check"]
    to("0005_staged_files", upgrade=False)  # back: a confirmed answer was a dismissed one
    with engine.begin() as conn:
        assert conn.execute(sa.text(rows)).all() == [("a", "alternate"), ("c", "dismissed"), ("d", "dismissed")]
    to("head")  # and up again (the names as they were)
    engine.dispose()
