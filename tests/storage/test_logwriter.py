from __future__ import annotations

import dataclasses
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from faq_bot.storage import logwriter
from faq_bot.storage.chatlog import ChatLog, ChatRecord
from faq_bot.storage.database import Database
from faq_bot.storage.logwriter import LogWriter, failure_reason
from tests.waiting import wait_until


def record(i: int) -> ChatRecord:
    return ChatRecord(f"r{i}", f"質問{i}", "answer", "1", 0.5, "v1")


def test_close_writes_every_queued_row(database: Database) -> None:
    writer = LogWriter(ChatLog(database))
    writer.start()
    for i in range(300):
        writer.record_chat(record(i))
    writer.close()
    assert ChatLog(database).count() == 300 and writer.health().written == 300


class CountingLog(ChatLog):
    """Counts the transactions and what each wrote."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.transactions: list[list[str]] = []

    def write(self, rows: Any) -> None:
        rows = list(rows)
        self.transactions.append([type(r).__name__ for r in rows])
        super().write(rows)


def test_questions_arriving_together_share_one_transaction_and_a_purge_is_not_held(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CountingLog(database)
    writer = LogWriter(store)
    for i in range(20):  # a burst of questions, queued before the writer takes the first
        writer.record_chat(record(i))
    writer.start()
    assert writer.flush(timeout=20)
    assert store.transactions == [["ChatRecord"] * 20]
    writer.close()
    monkeypatch.setattr(logwriter, "LINGER", 60.0)
    writer = LogWriter(store)
    writer.start()
    writer.purge()  # a staff page's retention purge does not wait for questions that may follow
    assert writer.flush(timeout=20)
    assert store.transactions[-1] == ["Purge"]
    writer.record_chat(record(100))  # the writer gathers questions for a minute ...
    wait_until(lambda: writer.health().queued == 1 and writer._queue.empty(), what="the question taken")
    writer.purge()  # ... but a purge arriving meanwhile goes out at once, with the question
    assert writer.flush(timeout=20)
    assert store.transactions[-1] == ["ChatRecord", "Purge"]
    writer.close()


def test_a_purge_asked_for_again_within_the_interval_is_not_queued_again(database: Database) -> None:
    store = CountingLog(database)
    writer = LogWriter(store)
    writer.start()
    writer.purge(unless_within=600)  # a staff page view: the first one purges
    writer.purge(unless_within=600)  # the next views within ten minutes do not
    writer.record_chat(record(1))
    assert writer.flush(timeout=20)
    writer.purge()  # asked for without an interval: always
    assert writer.flush(timeout=20)
    assert sum(t.count("Purge") for t in store.transactions) == 2
    writer._last_purge -= 601  # type: ignore[operator]  # ten minutes on
    writer.purge(unless_within=600)
    assert writer.flush(timeout=20)
    writer.close()
    assert sum(t.count("Purge") for t in store.transactions) == 3


def test_with_a_retention_period_the_writer_purges_by_itself(database: Database) -> None:
    store = CountingLog(database)
    store.retention_days = 1
    store.write([dataclasses.replace(record(1), created=time.time() - 2 * 86400), record(2)])
    writer = LogWriter(store, purge_every=0.05)
    writer.start()  # nobody asks for a purge: at start, and again and again
    wait_until(lambda: sum(t.count("Purge") for t in store.transactions) >= 3, what="three purges")
    writer.close()
    assert store.count() == 1 and not store.known("r1")


def test_a_purge_that_could_not_be_queued_is_due_again(database: Database) -> None:
    writer = LogWriter(CountingLog(database), capacity=1)  # not started: nothing drains the queue
    writer.record_chat(record(1))
    writer.purge(unless_within=600)  # the queue is full: dropped ...
    assert writer._last_purge is None  # ... so the next page view asks again


def test_a_full_queue_drops_new_rows_counts_them_and_warns_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = LogWriter(ChatLog(Database.sqlite(tmp_path / "b.db")), capacity=3)  # not started: nothing drains the queue
    for i in range(5):
        writer.record_chat(record(i))
    health = writer.health()
    assert (health.queued, health.lost) == (3, 2)
    assert caplog.text.count("queue is full") == 1


def test_rows_that_cannot_be_written_by_shutdown_are_lost_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def locked(self: ChatLog, conn: sa.Connection, rows: Any) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(ChatLog, "_apply", locked)
    writer = LogWriter(ChatLog(Database.sqlite(tmp_path / "c.db")))
    writer.start()
    writer.record_chat(record(1))
    writer.close(timeout=10)
    assert writer.health().lost == 1 and "lost at shutdown" in caplog.text


def test_feedback_needs_a_logged_or_queued_reply(tmp_path: Path) -> None:
    writer = LogWriter(ChatLog(Database.sqlite(tmp_path / "d.db")))  # not started: the reply is only queued
    writer.record_chat(record(1))
    assert writer.record_feedback("r1", "up", None)
    assert not writer.record_feedback("unknown", "up", None)


def test_a_queued_question_is_found_masked_as_the_log_will_store_it(tmp_path: Path) -> None:
    writer = LogWriter(ChatLog(Database.sqlite(tmp_path / "e.db")))  # not started: the row is only queued
    writer.record_chat(ChatRecord("r1", "電話は090-1234-5678です", "answer", "1", 0.5, "v1"))
    queued = writer.message_of("r1")
    assert queued is not None and "090-1234-5678" not in queued
    writer.start()
    writer.close()
    assert ChatLog(Database.sqlite(tmp_path / "e.db")).message_of("r1") == queued
    assert writer.message_of("unknown") is None


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("question log /x/log.db: database or disk is full", "disk_full"),
        ("question log /x/log.db: database is locked", "locked"),
        ("question log /x/log.db cannot be opened: unable to open database file", "unavailable"),
        ("question log /x/log.db: disk I/O error", "write_failed"),
    ],
)
def test_failures_have_a_short_reason_without_the_path(error: str, reason: str) -> None:
    assert failure_reason(error) == reason
