"""Graceful shutdown: a request in flight when the server is told to stop is answered, and its log row written."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
import uvicorn

from faq_bot.cli import parser
from faq_bot.cli.service import cmd_serve
from faq_bot.config import Settings
from faq_bot.model.embedder import Vectors
from faq_bot.service.app import create_app
from faq_bot.storage.chatlog import ChatLog
from faq_bot.storage.database import Database
from tests.fakes import FakeEmbedder
from tests.servers import free_port, wait_ready
from tests.waiting import wait_until


class GatedEmbedder(FakeEmbedder):
    """Once ``gate`` is set, every question waits in the encoder until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.release = threading.Event()

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        if self.gate.is_set():
            self.entered.set()
            self.release.wait(60)
        return super().encode_queries(texts)


def refuses_connections(url: str) -> bool:
    """True once a new request gets no answer: refused, or (caught while the listener closes) accepted
    and closed unanswered."""
    try:
        httpx.get(url + "/healthz", timeout=1)
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError):
        return True
    return False


@pytest.mark.slow
def test_a_request_in_flight_at_shutdown_is_answered_and_logged(settings: Settings) -> None:
    embedder = GatedEmbedder()
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, embedder), host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=30
    )
    server = uvicorn.Server(config)
    serving = threading.Thread(target=server.run)
    serving.start()
    url = wait_ready(port)
    embedder.gate.set()
    replies: list[httpx.Response] = []
    asking = threading.Thread(
        target=lambda: replies.append(
            httpx.post(url + "/api/chat", json={"message": "請求書の発行日を知りたい"}, timeout=60)
        )
    )
    asking.start()
    assert embedder.entered.wait(30), "the question never reached the encoder"
    server.should_exit = True  # what uvicorn's SIGTERM handler does
    wait_until(lambda: refuses_connections(url), what="no new connections once shutting down")
    assert asking.is_alive() and serving.is_alive()  # the answer is still being worked out
    embedder.release.set()
    asking.join(30)
    serving.join(30)
    assert not serving.is_alive()
    assert [r.status_code for r in replies] == [200] and replies[0].json()["decision"]
    assert ChatLog(Database.sqlite(settings.log_path)).questions()[0].message == "請求書の発行日を知りたい"


def test_serve_gives_requests_in_flight_the_configured_time(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    monkeypatch.setenv("FAQ_BOT_SHUTDOWN_SECONDS", "42")
    monkeypatch.setattr("faq_bot.service.app.create_app", lambda: object())
    assert cmd_serve(parser().parse_args(["serve", "--port", "8123"])) == 0
    assert seen["timeout_graceful_shutdown"] == 42.0 and seen["port"] == 8123 and seen["proxy_headers"] is False
