"""The question log failing in every way the review found: chat answers anyway, readiness says what happened."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq_bot.config import Settings
from faq_bot.service.app import create_app
from faq_bot.storage.chatlog import ChatLog
from tests.conftest import written_log
from tests.fakes import FakeEmbedder
from tests.servers import uvicorn_thread

TOKEN = "log-faults-token-0123456789"
DISK_FULL = "database or disk is full"


@pytest.fixture
def log_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"log_path": tmp_path / "log.db", "admin_token": SecretStr(TOKEN)})


@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Every log write fails like SQLite on a full disk, until the returned function frees the disk."""
    real = ChatLog._apply

    def full(self: ChatLog, conn: Any, rows: Any) -> None:
        raise sqlite3.OperationalError(DISK_FULL)

    monkeypatch.setattr(ChatLog, "_apply", full)
    yield lambda: monkeypatch.setattr(ChatLog, "_apply", real)


def log_state(client: TestClient | httpx.Client, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The ``log`` detail of ``/readyz`` once ``until`` holds for it (the writer retries in the background)."""
    deadline = time.monotonic() + 60
    while True:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text  # chat stays ready whatever the log does
        state: dict[str, Any] = ready.json()["log"]
        if until(state) or time.monotonic() > deadline:
            return state
        time.sleep(0.02)


def ask_many(client: TestClient | httpx.Client, n: int) -> list[int]:
    return [client.post("/api/chat", json={"message": f"請求書はいつ発行されますか {i}"}).status_code for i in range(n)]


def test_chat_answers_while_the_log_disk_is_full_and_the_rows_are_written_once_it_is_not(
    log_settings: Settings, disk_full: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(create_app(log_settings, FakeEmbedder())) as client:
        assert ask_many(client, 20) == [200] * 20
        state = log_state(client, lambda s: s["status"] == "degraded")
        assert state["reason"] == "disk_full" and state["queued"] >= 20 and state["lost"] == 0
        assert DISK_FULL in caplog.text and "chat goes on" in caplog.text
        disk_full()  # space again: the queued rows go in
        log = written_log(client)
        assert log.count() == 20
        assert log_state(client, lambda s: True) == {
            "status": "ok", "queued": 0, "written": 20, "lost": 0, "reason": None,
        }  # fmt: skip


def test_rows_still_failing_after_the_retry_period_are_counted_as_lost_with_a_warning(
    log_settings: Settings, disk_full: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    s = log_settings.model_copy(update={"log_retry_seconds": 0.0})
    with TestClient(create_app(s, FakeEmbedder())) as client:
        assert ask_many(client, 5) == [200] * 5
        state = log_state(client, lambda s: s["lost"] == 5)
        assert state == {"status": "degraded", "queued": 0, "written": 0, "lost": 5, "reason": "disk_full"}
        assert "5 question log rows lost" in caplog.text or "rows lost" in caplog.text


def test_a_keep_alive_connection_survives_a_full_log_disk(
    log_settings: Settings, disk_full: Callable[[], None]
) -> None:
    """The review's run: 19 of 40 requests on one connection failed when a write after the reply raised."""
    with uvicorn_thread(create_app(log_settings, FakeEmbedder())) as url, httpx.Client(base_url=url) as http:
        assert ask_many(http, 40) == [200] * 40
        assert log_state(http, lambda s: s["status"] == "degraded")["reason"] == "disk_full"


LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


def test_chat_answers_while_another_process_holds_the_log_locked(log_settings: Settings) -> None:
    with TestClient(create_app(log_settings, FakeEmbedder())) as client:
        assert ask_many(client, 1) == [200]
        written_log(client)  # the file exists, with its tables
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(log_settings.log_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        try:
            assert locker.stdout is not None and locker.stdout.readline().strip() == b"locked"
            assert ask_many(client, 15) == [200] * 15  # the writer waits on the lock, not the request
            rid = client.post("/api/chat", json={"message": "見積書を発行できますか"}).json()["request_id"]
            assert client.post("/api/feedback", json={"request_id": rid, "rating": "up"}).status_code == 200
            state = log_state(client, lambda s: s["status"] == "degraded")
            assert state["reason"] == "locked" and state["queued"] >= 17 and state["lost"] == 0
        finally:
            assert locker.stdin is not None
            locker.stdin.write(b"\n")
            locker.stdin.close()
            locker.wait(timeout=30)
        log = written_log(client)
        assert (log.count(), log.count("feedback")) == (17, 1)
        assert log_state(client, lambda s: True)["status"] == "ok"


def test_the_bot_starts_and_answers_when_the_log_path_is_unwritable(
    log_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "not-a-folder").write_text("a file where the log folder should be")
    s = log_settings.model_copy(update={"log_path": tmp_path / "not-a-folder" / "log.db"})
    with TestClient(create_app(s, FakeEmbedder())) as client:
        assert "cannot be opened" in caplog.text and "chat answers anyway" in caplog.text
        assert ask_many(client, 3) == [200] * 3
        assert log_state(client, lambda s: s["queued"] >= 3) == {
            "status": "degraded", "queued": 3, "written": 0, "lost": 0, "reason": "unavailable",
        }  # fmt: skip
        staff = client.get("/admin/log.csv", headers={"Authorization": f"Bearer {TOKEN}"})
        assert staff.status_code == 503 and "質問ログを読み込めません" in staff.json()["detail"]
