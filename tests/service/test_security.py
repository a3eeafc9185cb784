from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq_bot.config import Settings
from faq_bot.service.app import create_app
from faq_bot.service.auth import COOKIE, AdminAuth
from faq_bot.storage.chatlog import ChatLog
from faq_bot.storage.database import Database
from tests.conftest import ADMIN_AUTH, ADMIN_TOKEN, app_client, csrf_of, written_log
from tests.fakes import FakeEmbedder
from tests.waiting import wait_until


@pytest.fixture
def secure_settings(admin_settings: Settings) -> Settings:
    return admin_settings.model_copy(
        update={"rate_limit": "5/minute", "frame_ancestors": ["'self'", "https://shop.example"]}
    )


@pytest.fixture
def client(secure_settings: Settings) -> Iterator[TestClient]:
    with app_client(secure_settings, https=True) as c:
        yield c


def test_pages_send_a_strict_csp_nosniff_and_frame_ancestors(client: TestClient) -> None:
    for path in ("/", "/widget.js", "/api/categories", "/admin/login", "/admin"):
        res = client.get(path, follow_redirects=False)
        csp = res.headers["content-security-policy"]
        script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        # The sites that may frame the widget never frame the console (their frame would carry the session).
        ancestors = "'none'" if path.startswith("/admin") else "'self' https://shop.example"
        assert csp.endswith(f"frame-ancestors {ancestors}"), (path, csp)
        assert res.headers["x-content-type-options"] == "nosniff"


def test_nothing_an_admin_sees_stays_in_the_browsers_cache(logged_in_client: TestClient) -> None:
    """A shared PC: after logout, the log, downloads and API replies must not come back from the cache."""
    client = logged_in_client
    client.post("/api/chat", json={"message": "社員食堂はありますか"})
    for path in ("/admin", "/admin/log?days=0", "/admin/log.csv?days=0", "/admin/faq.tsv", "/admin/console?q=送料"):
        res = client.get(path)
        assert res.status_code == 200 and res.headers["cache-control"] == "no-store", path
    assert client.get("/admin/log/unanswered", params={"days": 0}, headers=ADMIN_AUTH).headers["cache-control"] == (
        "no-store"
    )
    assert "no-store" not in client.get("/widget.js").headers["cache-control"]  # the visitors' files stay cacheable


def test_pages_link_their_scripts_and_styles_by_path_whatever_host_and_scheme_the_server_sees(
    logged_in_client: TestClient,
) -> None:
    """Behind nginx's TLS the app sees http and the Host header as sent: an absolute link built from them
    would be blocked as mixed content (and copies any Host into the page)."""
    client = logged_in_client
    for path in ("/", "/admin/login?logged_out=1", "/admin", "/admin/log?days=0", "/admin/console", "/admin/entries"):
        page = client.get(path, headers={"host": "evil.example"}).text
        assert "/static/" in page and "evil.example" not in page and "http://" not in page.split("<body")[0], path


def test_chat_rate_limit_answers_429_with_retry_after_in_japanese(client: TestClient) -> None:
    codes = [client.post("/api/chat", json={"message": f"質問{i}"}).status_code for i in range(5)]
    assert codes == [200] * 5
    limited = client.post("/api/chat", json={"message": "もう一つ"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "待って" in limited.json()["detail"]
    assert client.post("/api/feedback", json={"request_id": "x", "rating": "up"}).status_code == 429


def test_a_long_question_counts_as_more_requests_than_a_short_one(client: TestClient) -> None:
    """The encoder every visitor shares works longer on a long question: 601 characters count as 4 requests."""
    assert client.post("/api/chat", json={"message": "質" * 601}).status_code == 200  # 1 + 3 of 5
    assert client.post("/api/chat", json={"message": "質" * 200}).status_code == 200  # 1: 5 of 5
    limited = client.post("/api/chat", json={"message": "短い質問"})
    assert limited.status_code == 429 and "待って" in limited.json()["detail"]


def test_a_long_question_past_what_is_left_of_the_limit_is_refused_before_any_work(
    secure_settings: Settings,
) -> None:
    with app_client(secure_settings) as fresh:
        assert fresh.post("/api/chat", json={"message": "質問"}).status_code == 200  # 1 of 5
        over = fresh.post("/api/chat", json={"message": "質" * 1000})  # 1 + 4: 6 of 5
        assert over.status_code == 429
        assert fresh.app.state.log_writer.flush(timeout=10) and fresh.app.state.chatlog.count() == 1  # not answered


def test_empty_rate_limit_disables_it(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"log_path": tmp_path / "l.db", "rate_limit": ""})
    with app_client(s) as c:
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
    res = client.post("/admin/login", data={"token": ADMIN_TOKEN}, follow_redirects=False)
    cookie = res.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    client.get("/admin/versions", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    text = caplog.text
    assert "wrong token" in text and "login failed" in text
    assert (
        ADMIN_TOKEN not in text and "not-the-right-token-at-all" not in text and "wrong-login-token-value" not in text
    )


def test_feedback_cannot_be_replayed_to_inflate_counts(client: TestClient, secure_settings: Settings) -> None:
    rid = client.post("/api/chat", json={"message": "請求書をダウンロードできますか"}).json()["request_id"]
    for _ in range(3):
        client.post("/api/feedback", json={"request_id": rid, "rating": "up"})
    stats = written_log(client).entry_stats()
    assert sum(s.up for s in stats.values()) == 1


def test_concurrent_chats_produce_exactly_one_log_row_each(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"log_path": tmp_path / "rows.db", "rate_limit": ""})
    with app_client(s) as c:
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
    log = ChatLog(Database.sqlite(s.log_path))
    assert log.count() == 80 and {q.request_id for q in log.questions()} == set(ids)


def chat_status(client: TestClient, headers: dict[str, str] | None = None) -> int:
    return client.post("/api/chat", json={"message": "請求書をダウンロードできますか"}, headers=headers).status_code


def test_each_client_address_has_its_own_rate_limit_budget(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"log_path": tmp_path / "log.db", "rate_limit": "3/minute"})
    app = create_app(s, FakeEmbedder())
    with TestClient(app, client=("192.0.2.1", 40001)) as first:
        second = TestClient(app, client=("192.0.2.2", 40002))  # the same running app, another address
        assert [chat_status(first) for _ in range(4)] == [200, 200, 200, 429]
        assert [chat_status(second) for _ in range(4)] == [200, 200, 200, 429]  # not spent by the first
        assert chat_status(first) == 429


def test_forwarded_for_names_the_client_only_behind_a_trusted_proxy(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"log_path": tmp_path / "log.db", "rate_limit": "2/minute"})
    networks = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8")]
    behind = s.model_copy(update={"trusted_proxies": networks})
    with TestClient(create_app(behind, FakeEmbedder()), client=("127.0.0.1", 40003)) as proxied:
        for visitor in ("198.51.100.1", "198.51.100.2"):
            hop = {"X-Forwarded-For": f"{visitor}, 10.0.0.1"}  # an inner proxy appended itself
            assert [chat_status(proxied, hop) for _ in range(3)] == [200, 200, 429]
    with app_client(s) as direct:  # not behind a proxy: a forged header buys no fresh budget
        assert [chat_status(direct, {"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(3)] == [200, 200, 429]


def session_cookie(client: TestClient, monkeypatch: pytest.MonkeyPatch, issued_hours_ago: float) -> str:
    """A session cookie from the login form, as if the editor had logged in ``issued_hours_ago`` hours ago."""
    now = time.time()
    client.cookies.clear()
    with monkeypatch.context() as clock:
        clock.setattr(time, "time", lambda: now - issued_hours_ago * 3600)
        login = client.post("/admin/login", data={"token": ADMIN_TOKEN}, follow_redirects=False)
    assert login.status_code == 303, login.text
    return str(client.cookies[COOKIE])


def logged_in_with(client: TestClient, cookie: str) -> bool:
    """Whether the admin page and the admin API accept this session cookie (and agree on it)."""
    client.cookies.clear()
    client.cookies.set(COOKIE, cookie, domain="testserver.local", path="/admin")
    page = client.get("/admin", follow_redirects=False)
    api = client.get("/admin/versions")  # no bearer token: the session alone
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code, api.status_code)
    if page.status_code != 200:
        assert page.status_code == 303 and page.headers["location"] == "/admin/login" and api.status_code == 401
    return page.status_code == 200


def test_a_fresh_session_cookie_is_accepted_and_an_expired_one_refused(
    admin_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert logged_in_with(admin_client, session_cookie(admin_client, monkeypatch, issued_hours_ago=7.5))
    assert not logged_in_with(admin_client, session_cookie(admin_client, monkeypatch, issued_hours_ago=8.5))


def test_tampered_or_foreign_session_cookies_are_refused(admin_client: TestClient) -> None:
    login = admin_client.post("/admin/login", data={"token": ADMIN_TOKEN}, follow_redirects=False)
    assert login.status_code == 303
    valid = str(admin_client.cookies[COOKIE])
    session_id, expires, signature = valid.split(".")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    auth: AdminAuth = admin_client.app.state.admin_auth  # type: ignore[attr-defined]
    other = AdminAuth(SecretStr("some-other-token-0123456789"), auth.sessions, auth.throttle)
    assert logged_in_with(admin_client, valid)
    for forged in (
        f"{session_id}.{int(expires) + 86400}.{signature}",  # a longer session with the old signature
        f"{session_id}.{expires}.{flipped}",
        f"{session_id}.{expires}.",
        f"{session_id}.{expires}.{other._sign('session', f'{session_id}.{expires}')}",  # signed with another token
        f"{'0' * len(session_id)}.{expires}.{signature}",  # another session id under the same signature
        "not-a-session",
        "",
    ):
        assert not logged_in_with(admin_client, forged), forged


def test_logout_needs_its_csrf_token_and_deletes_the_session_cookie(logged_in_client: TestClient) -> None:
    page = logged_in_client.get("/admin")
    assert page.status_code == 200 and 'action="/admin/logout"' in page.text
    forged = logged_in_client.post("/admin/logout", data={"csrf": "0" * 64}, follow_redirects=False)
    assert forged.status_code == 403
    assert logged_in_client.get("/admin", follow_redirects=False).status_code == 200  # still logged in
    res = logged_in_client.post("/admin/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/admin/login?logged_out=1"
    assert "ログアウトしました。" in logged_in_client.get(res.headers["location"]).text
    deleted = res.headers["set-cookie"]
    assert deleted.startswith(f"{COOKIE}=") and "Max-Age=0" in deleted and "Path=/admin" in deleted
    assert COOKIE not in logged_in_client.cookies
    assert logged_in_client.get("/admin", follow_redirects=False).headers["location"] == "/admin/login"
    assert logged_in_client.get("/admin/versions").status_code == 401


def test_the_embedding_of_a_message_with_personal_data_is_not_kept_the_masked_text_is_encoded(
    admin_client: TestClient,
) -> None:
    """An unsettled question keeps its embedding for grouping, unless masking changed it: that embedding is the
    unmasked text's. The staff pages encode the stored, masked text instead."""
    messages = ["社員食堂はありますか", "社員食堂について 090-1111-2222 に電話ください"]
    replies = [admin_client.post("/api/chat", json={"message": m}).json() for m in messages]
    assert {r["decision"] for r in replies} <= {"escalate", "suggest"}
    assert written_log(admin_client).count("question_vectors") == 1

    def grouped() -> str:
        return str(admin_client.get("/admin/log/unanswered", params={"days": 0}, headers=ADMIN_AUTH).json())

    wait_until(lambda: "社員食堂について [電話番号] に電話ください" in grouped(), what="the masked text grouped")
    assert written_log(admin_client).count("question_vectors") == 2


def test_personal_data_sent_to_the_chat_is_masked_in_the_stored_row_and_the_csv(
    admin_client: TestClient, admin_settings: Settings
) -> None:
    message = "注文の件でご連絡ください。メールは hanako.sato@example.jp、電話は 080-9876-5432 です"
    reply = admin_client.post("/api/chat", json={"message": message})
    assert reply.status_code == 200
    rid = reply.json()["request_id"]
    comment = "折り返しは 03-5555-0199 か hanako.sato@example.jp まで"
    assert admin_client.post("/api/feedback", json={"request_id": rid, "rating": "down", "comment": comment}).is_success

    masked = "注文の件でご連絡ください。メールは [メールアドレス]、電話は [電話番号] です"
    masked_comment = "折り返しは [電話番号] か [メールアドレス] まで"
    rows = written_log(admin_client).questions()
    assert [(q.request_id, q.message, q.comment) for q in rows] == [(rid, masked, masked_comment)]
    csv_text = admin_client.get("/admin/log.csv", headers=ADMIN_AUTH).text
    assert masked in csv_text and masked_comment in csv_text
    for secret in ("hanako.sato", "example.jp", "9876", "5555"):
        assert secret not in csv_text
        for stored in admin_settings.log_path.parent.glob(admin_settings.log_path.name + "*"):  # with -wal, -shm
            assert secret.encode() not in stored.read_bytes(), stored
