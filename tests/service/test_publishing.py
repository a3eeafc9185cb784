from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq_bot.config import Settings
from faq_bot.service.app import create_app
from tests.conftest import SMALL_FAQ
from tests.fakes import FakeEmbedder

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW_FAQ = SMALL_FAQ + "7\t会員\t退会できますか\t退会はお問い合わせください。\t\n"


@pytest.fixture
def admin_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"log_path": tmp_path / "log.sqlite3", "admin_token": SecretStr(TOKEN)})


@pytest.fixture
def client(admin_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(admin_settings, FakeEmbedder()), base_url="https://testserver") as c:
        yield c


def upload(client: TestClient, data: bytes, dry_run: bool = False, headers: dict[str, str] = AUTH):  # type: ignore[no-untyped-def]
    return client.post(
        "/admin/faq" + ("?dry_run=1" if dry_run else ""), files={"file": ("faq.tsv", data)}, headers=headers
    )


def test_missing_token_is_401_and_wrong_token_403(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    assert client.post("/admin/reload").status_code == 401
    assert client.post("/admin/reload", headers={"Authorization": "Bearer wrong-token-but-long"}).status_code == 403
    assert client.get("/admin/versions", headers={"Authorization": "Basic abc"}).status_code == 401
    assert "wrong token" in caplog.text and "wrong-token-but-long" not in caplog.text


def test_admin_is_disabled_without_a_token(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"log_path": tmp_path / "l.sqlite3", "admin_token": None})
    with TestClient(create_app(s, FakeEmbedder())) as c:
        res = c.post("/admin/reload", headers=AUTH)
        assert res.status_code == 503 and "FAQ_BOT_ADMIN_TOKEN" in res.json()["detail"]
        assert "無効" in c.get("/admin/login").text


def test_upload_publishes_and_chat_answers_from_the_new_version(client: TestClient) -> None:
    before = client.post("/api/chat", json={"message": "退会できますか"}).json()
    res = upload(client, NEW_FAQ.encode("cp932"))
    body = res.json()
    assert res.status_code == 200 and body["published"] and body["added"] == 1 and body["encoding"].startswith("CP932")
    after = client.post("/api/chat", json={"message": "退会できますか"}).json()
    assert after["faq_version"] == body["version"]["faq_version"] != before["faq_version"]
    assert after["entry"]["id"] == "7"


def test_dry_run_shows_the_diff_without_publishing(client: TestClient) -> None:
    version = client.get("/readyz").json()["faq_version"]
    body = upload(client, NEW_FAQ.encode(), dry_run=True).json()
    assert body["dry_run"] and not body["published"] and body["changes"][0]["kind"] == "added"
    assert client.get("/readyz").json()["faq_version"] == version


def test_broken_upload_names_line_and_column_and_keeps_serving(client: TestClient) -> None:
    version = client.get("/readyz").json()["faq_version"]
    res = upload(client, (SMALL_FAQ + "8\tc\t\t回答\t\n").encode())
    assert res.status_code == 422
    body = res.json()
    assert body["problems"] == [{"line": 8, "column": "質問", "message": "質問が空です。"}] and body["detail"]
    assert client.get("/readyz").json()["faq_version"] == version


def test_versions_rollback_and_download(client: TestClient) -> None:
    first = client.get("/admin/versions", headers=AUTH).json()
    assert len(first) == 1 and first[0]["current"]
    upload(client, NEW_FAQ.encode())
    versions = client.get("/admin/versions", headers=AUTH).json()
    assert len(versions) == 2 and versions[0]["current"]
    rolled = client.post("/admin/rollback", json={"build_id": first[0]["build_id"]}, headers=AUTH).json()
    assert rolled["current"] and client.get("/readyz").json()["faq_version"] == first[0]["faq_version"]
    tsv = client.get("/admin/faq.tsv", headers=AUTH)
    assert tsv.status_code == 200 and tsv.content == SMALL_FAQ.encode()
    assert client.post("/admin/rollback", json={"build_id": "nope"}, headers=AUTH).status_code == 404


def test_reloads_under_concurrent_chat_load_fail_nothing_and_never_mix_versions(
    client: TestClient, admin_settings: Settings
) -> None:
    """Each reply's answer must belong to the FAQ version the reply names."""
    version_a = client.get("/readyz").json()["faq_version"]
    answers = {version_a: "毎月10日頃に発行します。"}
    variant_b = SMALL_FAQ.replace("毎月10日頃に発行します。", "毎月20日頃に発行します（B版）。")
    failures: list[str] = []
    replies: list[tuple[str, str]] = []
    stop = threading.Event()
    lock = threading.Lock()

    def visitor() -> None:
        while not stop.is_set():
            res = client.post("/api/chat", json={"message": "請求書はいつ発行されますか"})
            with lock:
                if res.status_code != 200:
                    failures.append(res.text)
                else:
                    replies.append((res.json()["faq_version"], res.json()["answer"]))

    threads = [threading.Thread(target=visitor) for _ in range(6)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            text = variant_b if i % 2 == 0 else SMALL_FAQ
            res = upload(client, text.encode())
            assert res.status_code == 200
            answers[res.json()["version"]["faq_version"]] = (
                "毎月20日頃に発行します（B版）。" if i % 2 == 0 else "毎月10日頃に発行します。"
            )
            assert upload(client, b"id\tquestion\tanswer\n1\t\t\n").status_code == 422  # invalid in between
            admin_settings.faq_path.write_bytes(b"\xff broken")
            assert client.post("/admin/reload", headers=AUTH).status_code == 422
            admin_settings.faq_path.write_text(text, encoding="utf-8")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures
    assert len(replies) > 20
    assert all(answers[v] == a for v, a in replies)
    assert {v for v, _ in replies} <= set(answers)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert m
    return m.group(1)


def test_pages_need_login_and_csrf(client: TestClient) -> None:
    assert client.get("/admin", follow_redirects=False).headers["location"] == "/admin/login"
    bad = client.post("/admin/login", data={"token": "not-the-token-at-all"})
    assert bad.status_code == 403 and "正しくありません" in bad.text
    ok = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    cookie = ok.headers["set-cookie"]
    assert ok.status_code == 303 and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    page = client.get("/admin")
    assert page.status_code == 200 and "公開中のFAQ" in page.text
    no_csrf = client.post("/admin/ui/reload", data={"csrf": "forged"})
    assert no_csrf.status_code == 403
    assert client.post("/admin/ui/reload", data={"csrf": csrf_of(page.text)}).status_code == 200


def test_page_upload_shows_errors_next_to_their_lines_then_previews_and_publishes(client: TestClient) -> None:
    client.post("/admin/login", data={"token": TOKEN})
    csrf = csrf_of(client.get("/admin").text)
    broken = (SMALL_FAQ + "8\tc\t\t回答だけの行\t\n").encode()
    page = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", broken)})
    assert "質問が空です。" in page.text and "回答だけの行" in page.text and "<td>8</td>" in page.text
    preview = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", NEW_FAQ.encode())})
    assert "追加 1件" in preview.text and "この内容で公開する" in preview.text
    staged = re.search(r'name="staged" value="([0-9a-f]{64})"', preview.text)
    assert staged
    done = client.post("/admin/ui/publish", data={"csrf": csrf, "staged": staged.group(1)})
    assert "公開しました。" in done.text
    assert client.post("/api/chat", json={"message": "退会できますか"}).json()["entry"]["id"] == "7"


def test_markup_in_uploaded_questions_is_escaped_on_the_admin_page(client: TestClient) -> None:
    client.post("/admin/login", data={"token": TOKEN})
    csrf = csrf_of(client.get("/admin").text)
    evil = SMALL_FAQ + "9\tc\t<script>alert(1)</script>\t答え\t\n"
    page = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", evil.encode())})
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_uploads_may_exceed_the_chat_body_limit_but_not_the_faq_size_limit(
    client: TestClient, admin_settings: Settings
) -> None:
    big_answer = "長い回答です。" * 3000  # ~60 KB, over the 16 KB chat limit
    res = upload(client, (SMALL_FAQ + f"8\tc\t長い回答の質問\t{big_answer}\t\n").encode(), dry_run=True)
    assert res.status_code == 422 and "20000文字" in str(res.json()["problems"])  # refused by validation, not 413
    too_big = upload(client, b"x" * (admin_settings.max_faq_bytes + 100_000))
    assert too_big.status_code == 413


def test_versions_api_reports_the_build_really_served_when_current_names_a_damaged_one(
    client: TestClient, admin_settings: Settings
) -> None:
    from faq_bot.content import faq as faq_table
    from faq_bot.retrieval import store

    publisher = client.app.state.publisher  # type: ignore[attr-defined]
    served = client.get("/admin/versions", headers=AUTH).json()[0]
    folder = store.save(publisher.engine.build(faq_table.parse(NEW_FAQ)), admin_settings.index_dir, make_current=False)
    (folder / "vectors.faiss").write_bytes(b"damaged")
    store.set_current(admin_settings.index_dir, folder.name)  # what another process's publish + a bad disk leave
    publisher.sync()  # the watcher's poll, without waiting for it
    versions = {v["build_id"]: v for v in client.get("/admin/versions", headers=AUTH).json()}
    assert versions[served["build_id"]]["current"] and not versions[folder.name]["current"]
    assert "壊れている" in versions[folder.name]["problem"]
    assert client.get("/readyz").json()["faq_version"] == served["faq_version"]
