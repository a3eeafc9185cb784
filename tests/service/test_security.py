from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq_bot.config import Settings
from faq_bot.service.app import create_app
from faq_bot.storage.chatlog import ChatLog
from tests.conftest import written_log
from tests.fakes import FakeEmbedder

TOKEN = "security-token-0123456789abcdef"


@pytest.fixture
def secure_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "log_path": tmp_path / "log.db",
            "admin_token": SecretStr(TOKEN),
            "rate_limit": "5/minute",
            "frame_ancestors": ["'self'", "https://shop.example"],
        }
    )


@pytest.fixture
def client(secure_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(secure_settings, FakeEmbedder()), base_url="https://testserver") as c:
        yield c


def test_pages_send_a_strict_csp_nosniff_and_frame_ancestors(client: TestClient) -> None:
    for path in ("/", "/widget.js", "/api/categories", "/admin/login"):
        res = client.get(path)
        csp = res.headers["content-security-policy"]
        script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "frame-ancestors 'self' https://shop.example" in csp
        assert res.headers["x-content-type-options"] == "nosniff"


def test_chat_rate_limit_answers_429_with_retry_after_in_japanese(client: TestClient) -> None:
    codes = [client.post("/api/chat", json={"message": f"質問{i}"}).status_code for i in range(5)]
    assert codes == [200] * 5
    limited = client.post("/api/chat", json={"message": "もう一つ"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "待って" in limited.json()["detail"]
    assert client.post("/api/feedback", json={"request_id": "x", "rating": "up"}).status_code == 429


def test_empty_rate_limit_disables_it(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"log_path": tmp_path / "l.db", "rate_limit": ""})
    with TestClient(create_app(s, FakeEmbedder())) as c:
        assert all(c.post("/api/chat", json={"message": "請求"}).status_code == 200 for _ in range(20))


def test_bad_rate_limit_setting_fails_fast() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        Settings(rate_limit="lots")


def test_admin_cookie_is_secure_httponly_samesite_and_the_token_is_never_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.post("/admin/reload", headers={"Authorization": "Bearer not-the-right-token-at-all"})
    client.post("/admin/login", data={"token": "wrong-login-token-value"})
    res = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    cookie = res.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    client.get("/admin/versions", headers={"Authorization": f"Bearer {TOKEN}"})
    text = caplog.text
    assert "wrong token" in text and "login failed" in text
    assert TOKEN not in text and "not-the-right-token-at-all" not in text and "wrong-login-token-value" not in text


def test_feedback_cannot_be_replayed_to_inflate_counts(client: TestClient, secure_settings: Settings) -> None:
    rid = client.post("/api/chat", json={"message": "請求書をダウンロードできますか"}).json()["request_id"]
    for _ in range(3):
        client.post("/api/feedback", json={"request_id": rid, "rating": "up"})
    stats = written_log(client).entry_stats()
    assert sum(s.up for s in stats.values()) == 1


def test_concurrent_chats_produce_exactly_one_log_row_each(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"log_path": tmp_path / "rows.db", "rate_limit": ""})
    with TestClient(create_app(s, FakeEmbedder())) as c:
        ids: list[str] = []
        lock = threading.Lock()

        def visitor(k: int) -> None:
            for i in range(10):
                rid = c.post("/api/chat", json={"message": f"請求書の質問 {k}-{i}"}).json()["request_id"]
                with lock:
                    ids.append(rid)

        threads = [threading.Thread(target=visitor, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    log = ChatLog(s.log_path)
    assert log.count() == 80 and {q.request_id for q in log.questions()} == set(ids)
