"""Errors become HTTP in one place, in Japanese: the framework's own errors too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faq_bot.config import Settings
from faq_bot.service.app import create_app
from tests.conftest import csrf_of
from tests.fakes import FakeEmbedder


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"log_path": tmp_path / "log.db"}), FakeEmbedder())) as c:
        yield c


def test_an_unknown_address_is_a_404_in_japanese(client: TestClient) -> None:
    reply = client.get("/no/such/page")
    assert reply.status_code == 404 and reply.json() == {"detail": "ページが見つかりません。アドレスをご確認ください。"}
    assert reply.headers["x-content-type-options"] == "nosniff"  # the security headers still apply


def test_a_method_a_route_does_not_take_is_a_405_in_japanese_with_its_allow_header(client: TestClient) -> None:
    reply = client.get("/api/chat")
    assert reply.status_code == 405 and "受け付けていません" in reply.json()["detail"]
    assert "POST" in reply.headers["allow"]


def test_an_entry_that_does_not_exist_keeps_its_own_message(client: TestClient) -> None:
    reply = client.get("/api/faqs/no-such-entry")
    assert reply.status_code == 404 and "no-such-entry" in reply.json()["detail"]


def test_the_pages_have_an_icon_and_browsers_asking_for_favicon_ico_get_it(client: TestClient) -> None:
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").text
    for path in ("/favicon.ico", "/static/favicon.svg"):
        icon = client.get(path)
        assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
        assert icon.content.startswith(b"<svg")


def test_an_unusual_status_keeps_its_text_and_a_status_without_a_body_gets_none(
    settings: Settings, tmp_path: Path
) -> None:
    from fastapi import HTTPException

    app = create_app(settings.model_copy(update={"log_path": tmp_path / "log.db"}), FakeEmbedder())

    def fail(status: int) -> None:
        raise HTTPException(status, "独自の説明")

    app.add_api_route("/test/fail/{status}", fail)
    with TestClient(app) as client:
        odd = client.get("/test/fail/599")
        assert odd.status_code == 599 and odd.json() == {"detail": "独自の説明"}
        for status in (204, 205, 304):
            empty = client.get(f"/test/fail/{status}")
            assert empty.status_code == status and empty.content == b""


PAGE = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what a browser sends for a page or a form


def test_a_browser_gets_an_error_page_in_japanese_with_the_way_back_not_json(logged_in_client: TestClient) -> None:
    # An old bookmark of a deleted entry, a mistyped admin address: the editor was left on raw JSON.
    for path, back in (("/admin/entries/9999", '<a href="/admin/entries">FAQの一覧に戻る'),
                       ("/admin/no-such-page", '<a href="/admin">管理画面に戻る')):  # fmt: skip
        page = logged_in_client.get(path, headers=PAGE)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "<h2" in page.text and back in page.text
        assert "ログアウト" not in page.text  # no session form on an error page
    assert "9999" in logged_in_client.get("/admin/entries/9999", headers=PAGE).text  # the error's own message
    visitor = logged_in_client.get("/no/such/page", headers=PAGE)
    assert visitor.status_code == 404 and "トップページに戻る" in visitor.text
    assert "faq-bot 管理" not in visitor.text and "/admin/log" not in visitor.text  # no admin menu for visitors
    assert "faq-bot 管理" in logged_in_client.get("/admin/no-such-page", headers=PAGE).text
    # Scripts keep the JSON: the visitor API whatever it accepts, everything that does not ask for HTML.
    assert logged_in_client.get("/api/faqs/9999", headers=PAGE).json()["detail"]
    assert logged_in_client.get("/admin/entries/9999").json()["detail"]


def test_a_refused_parameter_is_named_as_people_know_it_and_said_what_to_give(client: TestClient) -> None:
    from faq_bot.service.handlers import invalid_input

    assert invalid_input({"loc": ("query", "page"), "type": "int_parsing"}) == (
        "入力が正しくありません（ページ番号: 整数で指定してください）。"
    )
    assert invalid_input({"loc": ("query", "days"), "type": "less_than_equal", "ctx": {"le": 3650}}) == (
        "入力が正しくありません（期間の日数: 3650以下で指定してください）。"
    )
    assert invalid_input({"loc": ("body", "categories", 0), "type": "string_type"}) == (
        "入力が正しくありません（分類[0]: 値の形式が正しくありません）。"
    )
    reply = client.post("/api/chat", json={"message": "請求書", "categories": "請求"})
    assert reply.status_code == 422 and reply.json()["detail"].startswith("入力が正しくありません（分類: ")


def test_a_parameter_is_named_as_the_page_it_is_on_names_it() -> None:
    from faq_bot.service.handlers import invalid_input

    missing = {"loc": ("query", "q"), "type": "missing"}
    assert invalid_input(missing, "/admin/explain") == "入力が正しくありません（質問: 指定してください）。"
    assert invalid_input(missing, "/admin/entries") == "入力が正しくありません（検索する文字: 指定してください）。"
    empty = {"loc": ("body", "text"), "type": "string_too_short", "ctx": {"min_length": 1}}
    assert invalid_input(empty) == "入力が正しくありません（言い換え: 空にしないでください）。"
    many = {"loc": ("body", "request_ids"), "type": "too_long", "ctx": {"max_length": 500}}
    assert invalid_input(many) == "入力が正しくありません（質問のID: 500件以内にしてください）。"
    assert invalid_input({"loc": ("body",), "type": "missing"}) == "送信された内容が空か、形式が正しくありません。"


def test_an_error_on_a_form_leads_back_to_the_list_and_page_it_was_sent_from(logged_in_client: TestClient) -> None:
    # The log's actions are sent from two lists: the error page of one sent from the answers to check led to the
    # other list (and an undo's error to the admin home).
    client = logged_in_client
    csrf = csrf_of(client.get("/admin/answers").text)
    sent_from = "http://testserver/admin/answers?days=7&below=70&page=2&dismissed=1&undo=" + "a" * 32
    refused = client.post("/admin/ui/alternate", data={"csrf": csrf, "entry_id": "1", "text": "あ" * 501},
                          headers={**PAGE, "Referer": sent_from})  # fmt: skip
    assert refused.status_code == 422 and "言い換え" in refused.text
    assert '<a href="/admin/answers?days=7&amp;below=70&amp;page=2">確認したい回答に戻る' in refused.text
    elsewhere = client.post("/admin/ui/alternate", data={"csrf": csrf, "entry_id": "1", "text": "あ" * 501},
                            headers={**PAGE, "Referer": "https://evil.example/admin/nowhere"})  # fmt: skip
    assert '<a href="/admin/log">質問ログに戻る' in elsewhere.text  # not a page of this site's lists: the form's own
    undo = client.post("/admin/ui/undismiss", data={"csrf": csrf}, headers=PAGE)
    assert undo.status_code == 422 and '<a href="/admin/log">質問ログに戻る' in undo.text
    narrowed = "http://testserver/admin/log?days=0&q=%E8%AB%8B%E6%B1%82&got=suggest&page=2"  # q=請求
    filtered = client.post("/admin/ui/alternate", data={"csrf": csrf, "entry_id": "1", "text": "あ" * 501},
                           headers={**PAGE, "Referer": narrowed})  # fmt: skip
    assert '<a href="/admin/log?days=0&amp;q=%E8%AB%8B%E6%B1%82&amp;got=suggest&amp;page=2">' in filtered.text


def test_a_form_refused_leads_back_to_its_entry_and_is_kept_in_the_history_as_a_page(
    logged_in_client: TestClient,
) -> None:
    # A form sent with the token of a session that ended: its page said 「再読み込みしてください」, and a reload sent
    # the stale form again. Now the error page is kept in the history at the page its link leads to (history.js):
    # the entry, where the typed text is put back, not the entry list.
    client = logged_in_client
    stale = client.post("/admin/ui/entries/3", data={"csrf": "0" * 64, "question": "q", "answer": "a"}, headers=PAGE)
    assert stale.status_code == 403 and "フォームの有効期限が切れました" in stale.text
    assert '<body data-address="/admin/entries/3">' in stale.text and "/static/history.js" in stale.text
    assert '<a href="/admin/entries/3">FAQ 3 の編集に戻る</a>' in stale.text
    for form in ("/admin/ui/entries/3", "/admin/ui/entries/3/delete"):  # its address opened: the same page
        assert client.get(form, follow_redirects=False).headers["location"] == "/admin/entries/3"
    csrf = csrf_of(client.get("/admin/entries/3").text)
    gone = client.post("/admin/ui/entries/99/delete", data={"csrf": csrf}, headers=PAGE)  # deleted meanwhile
    assert gone.status_code == 404 and '<body data-address="/admin/entries">' in gone.text
    assert '<a href="/admin/entries">FAQの一覧に戻る</a>' in gone.text  # not the entry that is gone
    logout = client.post("/admin/logout", data={"csrf": "0" * 64}, headers=PAGE)  # a tab of an earlier session
    assert '<body data-address="/admin">' in logout.text  # not /admin/logout, which opened is a 405
    for odd in ("/admin/ui/entries/%22x%3C/delete", "/admin/ui/entries/%2E%2E"):
        assert "の編集に戻る" not in client.post(odd, data={"csrf": "0" * 64}, headers=PAGE).text  # no id: no link
    new = client.post("/admin/ui/new-entry?log=" + "a" * 32, data={"csrf": "0" * 64}, headers=PAGE)
    assert f'<a href="/admin/new-entry?log={"a" * 32}">新しいFAQの追加に戻る</a>' in new.text
    page = client.get("/admin/entries/3")
    assert "data-address" not in page.text.partition("<main")[0] and "history.js" not in page.text  # opened, not sent
