"""Admin authentication under attack: CSRF with the cookie, logout, token guessing, unauthenticated uploads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq_bot.config import Settings
from faq_bot.service.app import create_app
from faq_bot.service.auth import COOKIE, DEVICE_COOKIE
from tests.conftest import SMALL_FAQ, csrf_of
from tests.fakes import FakeEmbedder

TOKEN = "auth-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PHISHING = SMALL_FAQ.replace("毎月10日頃に発行します。", "こちらでログインしてください: http://evil.example/login")


@pytest.fixture
def auth_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"admin_token": SecretStr(TOKEN), "admin_login_limit": "10/15minutes"})


@pytest.fixture
def client(auth_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(auth_settings, FakeEmbedder()), base_url="https://testserver") as c:
        yield c


def test_a_wrong_token_on_the_login_page_says_what_to_type(client: TestClient) -> None:
    page = client.post("/admin/login", data={"token": "not-the-token-0123456789"})
    assert page.status_code == 403 and "管理トークンを、大文字・小文字もそのまま入力して" in page.text


def log_in(client: TestClient) -> str:
    """Log in through the form; the CSRF token of the admin page."""
    assert client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False).status_code == 303
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/admin").text)
    assert found
    return found.group(1)


def upload(client: TestClient, text: str, headers: dict[str, str] | None = None) -> Any:
    return client.post("/admin/faq", files={"file": ("faq.tsv", text.encode())}, headers=headers or {})


# Finding 1: CSRF on the admin API with a cookie


def test_a_cross_origin_upload_with_only_the_session_cookie_is_refused_and_the_faq_is_unchanged(
    client: TestClient, auth_settings: Settings
) -> None:
    log_in(client)
    version = client.get("/readyz").json()["faq_version"]
    forged = upload(client, PHISHING, {"Origin": "https://testserver:8443"})  # what another page's form sends
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    assert client.get("/readyz").json()["faq_version"] == version
    assert auth_settings.faq_path.read_text(encoding="utf-8") == SMALL_FAQ
    for path, body in (("/admin/reload", None), ("/admin/rollback", {"build_id": "x"})):
        assert client.post(path, json=body).status_code == 403


def test_a_logged_in_page_may_use_the_api_with_its_csrf_token_but_not_from_another_site(
    client: TestClient,
) -> None:
    csrf = log_in(client)
    assert upload(client, SMALL_FAQ, {"X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-site"}).status_code == 403
    assert upload(client, SMALL_FAQ, {"X-CSRF-Token": "f" * 64}).status_code == 403
    assert upload(client, SMALL_FAQ, {"X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert client.get("/admin/versions").status_code == 200  # reading needs no token


def test_bearer_requests_need_no_csrf_token(client: TestClient) -> None:
    assert upload(client, SMALL_FAQ, AUTH).status_code == 200


def test_a_page_form_posted_from_another_site_is_refused_even_with_its_token(client: TestClient) -> None:
    csrf = log_in(client)
    refused = client.post("/admin/ui/reload", data={"csrf": csrf}, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    assert (
        client.post("/admin/ui/reload", data={"csrf": csrf}, headers={"Sec-Fetch-Site": "same-origin"}).status_code
        == 200
    )


# Finding 6: sessions end at logout, guessing is throttled, the body is not read before authentication


def test_logout_ends_the_session_server_side_so_a_copied_cookie_stops_working(
    client: TestClient, auth_settings: Settings
) -> None:
    csrf = log_in(client)
    stolen = client.cookies.get(COOKIE)
    assert stolen
    assert client.post("/admin/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    with TestClient(client.app, base_url="https://testserver", cookies={COOKIE: stolen}) as attacker:
        assert attacker.get("/admin", follow_redirects=False).headers["location"] == "/admin/login"
        assert attacker.get("/admin/versions").status_code == 401
        assert attacker.post("/admin/ui/reload", data={"csrf": csrf}, follow_redirects=False).status_code == 303


def test_failed_bearer_tokens_are_throttled_per_client_with_retry_after_in_japanese(auth_settings: Settings) -> None:
    app = create_app(auth_settings, FakeEmbedder())
    with TestClient(app, client=("203.0.113.5", 1)) as guesser, TestClient(app, client=("203.0.113.6", 1)) as other:
        wrong = {"Authorization": "Bearer not-the-token-0123456789"}
        assert [guesser.post("/admin/reload", headers=wrong).status_code for _ in range(10)] == [403] * 10
        limited = guesser.post("/admin/reload", headers=wrong)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "ログインの失敗が続いた" in limited.json()["detail"]
        assert guesser.get("/admin/versions", headers=AUTH).status_code == 429  # even the right token, for now
        assert guesser.post("/admin/login", data={"token": TOKEN}).status_code == 429  # the form shares the count
        assert other.get("/admin/versions", headers=AUTH).status_code == 200  # another client is not locked out


def test_failed_logins_on_the_form_are_throttled_too(auth_settings: Settings) -> None:
    with TestClient(create_app(auth_settings, FakeEmbedder()), base_url="https://testserver") as c:
        codes = [c.post("/admin/login", data={"token": f"guess-{i:020d}"}).status_code for i in range(11)]
        assert codes == [403] * 10 + [429]
        page = c.post("/admin/login", data={"token": TOKEN})
        assert page.status_code == 429 and "ログインの失敗が続いた" in page.text and page.headers["retry-after"]


def test_a_browser_that_logged_in_before_is_not_locked_out_by_failures_from_its_address(
    auth_settings: Settings,
) -> None:
    # An office behind one address: a colleague's (or a guesser's) failed logins used to lock out everyone there.
    app = create_app(auth_settings, FakeEmbedder())
    office = {"base_url": "https://testserver", "client": ("203.0.113.7", 1)}
    with TestClient(app, **office) as known, TestClient(app, **office) as guesser, TestClient(app, **office) as new:
        first = known.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
        device = first.cookies.get(DEVICE_COOKIE)
        assert device and "/admin/login" in first.headers.get_list("set-cookie")[-1]  # sent to the login form only
        assert known.post("/admin/logout", data={"csrf": csrf_of(known.get("/admin").text)}).status_code == 200
        wrong = [guesser.post("/admin/login", data={"token": f"guess-{i:020d}"}).status_code for i in range(11)]
        assert wrong == [403] * 10 + [429]  # the address has used up its attempts
        assert new.post("/admin/login", data={"token": TOKEN}).status_code == 429  # a browser without the cookie
        again = known.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
        assert again.status_code == 303 and again.cookies.get(DEVICE_COOKIE) == device  # the same device, kept
        device_id, _, signature = device.partition(".")
        forged = {DEVICE_COOKIE: f"{device_id}.{'1' if signature[0] == '0' else '0'}{signature[1:]}"}
        with TestClient(app, cookies=forged, **office) as forger:  # not signed by this server: counted by address
            assert forger.post("/admin/login", data={"token": TOKEN}).status_code == 429
        # The device's own failures are its own: they lock that browser, not the address once it is clear again.
        mine = [known.post("/admin/login", data={"token": f"typo-{i:020d}"}).status_code for i in range(11)]
        assert mine == [403] * 10 + [429]
        assert DEVICE_COOKIE not in guesser.cookies  # only a login that succeeded gives one
    # A new token voids every device cookie: that browser counts by its address again.
    rotated = create_app(auth_settings.model_copy(update={"admin_token": SecretStr("another-token-0123456789")}),
                         FakeEmbedder())  # fmt: skip
    with TestClient(rotated, cookies={DEVICE_COOKIE: device}, **office) as old_device:
        codes = [old_device.post("/admin/login", data={"token": f"guess-{i:020d}"}).status_code for i in range(11)]
        assert codes == [403] * 10 + [429]
        with TestClient(rotated, **office) as colleague:  # the address's count, which the old cookie was added to
            assert colleague.post("/admin/login", data={"token": "another-token-0123456789"}).status_code == 429


def test_the_login_page_of_a_browser_already_logged_in_goes_on_to_the_page_asked_for(auth_settings: Settings) -> None:
    # The back button past a login showed 「このページを開くにはログインしてください」 to a browser logged in.
    with TestClient(create_app(auth_settings, FakeEmbedder()), base_url="https://testserver") as c:
        assert "管理トークン" in c.get("/admin/login", params={"next": "/admin/batch"}).text  # not logged in yet
        c.post("/admin/login", data={"token": TOKEN})
        again = c.get("/admin/login", params={"next": "/admin/batch"}, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == "/admin/batch"
        assert c.get("/admin/login", follow_redirects=False).headers["location"] == "/admin"


def test_the_login_limit_setting_is_checked() -> None:
    with pytest.raises(ValueError, match="admin_login_limit"):
        Settings(admin_login_limit="often")


def asgi_upload(client: TestClient, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """POST a 19 MB multipart body straight to the ASGI app; (status, chunks of the body the app read)."""
    reads = 0

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        if reads == 1:
            head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="f.tsv"\r\n\r\n'
            return {"type": "http.request", "body": head, "more_body": True}
        return {"type": "http.request", "body": b"x" * 1_000_000, "more_body": reads < 20}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "https",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=b"), *headers],
        "client": ("203.0.113.9", 1), "server": ("testserver", 443), "state": {},
    }  # fmt: skip
    assert client.portal is not None
    client.portal.call(client.app, scope, receive, send)
    return sent[0]["status"], reads


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/admin/faq", [], 401),
        ("/admin/faq", [(b"authorization", b"Bearer not-the-token-0123456789")], 403),
        ("/admin/batch", [], 401),
        ("/admin/ui/upload", [], 303),  # the page form: to the login page
    ],
)
def test_an_unauthenticated_19_mb_upload_is_refused_without_reading_its_body(
    client: TestClient, path: str, headers: list[tuple[bytes, bytes]], status: int
) -> None:
    assert asgi_upload(client, path, headers) == (status, 0)


def test_an_authenticated_upload_is_read(client: TestClient) -> None:
    status, reads = asgi_upload(client, "/admin/faq", [(b"authorization", f"Bearer {TOKEN}".encode())])
    assert reads == 20 and status == 422  # read in full (the counting works); the form lacks its closing line


def test_login_goes_on_to_the_page_asked_for_and_never_to_another_site(client: TestClient) -> None:
    asked = client.get("/admin/log?page=2", follow_redirects=False)
    assert asked.headers["location"] == "/admin/login?next=%2Fadmin%2Flog%3Fpage%3D2"
    form = client.get(asked.headers["location"]).text
    assert 'name="next" value="/admin/log?page=2"' in form and "このページを開くにはログインしてください" in form
    done = client.post("/admin/login", data={"token": TOKEN, "next": "/admin/log?page=2"})
    assert done.status_code == 200 and str(done.url).endswith("/admin/log?page=2")
    for elsewhere in ("https://evil.example/admin", "//evil.example/admin", "/administrator", "/admin\\@evil",
                      "/admin/..//evil.example", "/admin/%2e%2e/x", "/admin//evil.example"):  # fmt: skip
        res = client.post("/admin/login", data={"token": TOKEN, "next": elsewhere}, follow_redirects=False)
        check = client.get(res.headers["location"], follow_redirects=False)
        assert check.headers["location"] == "/admin", elsewhere


def test_a_form_sent_after_the_session_ended_leads_back_to_its_page_and_says_nothing_was_kept(
    client: TestClient,
) -> None:
    base = str(client.base_url)
    sent = client.post("/admin/ui/entries/3", data={"question": "q", "answer": "a"},
                       headers={"Referer": base + "/admin/entries/3"}, follow_redirects=False)  # fmt: skip
    assert sent.headers["location"] == "/admin/login?next=%2Fadmin%2Fentries%2F3&expired=1"
    page = client.get(sent.headers["location"]).text
    assert "送信した内容は反映されていません" in page and 'name="next" value="/admin/entries/3"' in page
    assert '<p class="warn" role="status">ログインの有効期限が切れたか' in page
    paged = client.post("/admin/ui/dismiss", headers={"Referer": base + "/admin/log?days=7&page=3"},
                        follow_redirects=False)  # fmt: skip
    assert paged.headers["location"] == "/admin/login?next=%2Fadmin%2Flog%3Fdays%3D7%26page%3D3&expired=1"
    other = client.post("/admin/ui/reload", headers={"Referer": "https://evil.example/admin/entries/3"},
                        follow_redirects=False)  # fmt: skip
    assert other.headers["location"] == "/admin/login?expired=1"  # never back to another site's address


def test_a_browser_that_drops_the_session_cookie_is_told_why_instead_of_looping(client: TestClient) -> None:
    # Over plain http on a host other than localhost, browsers silently drop the Secure session cookie.
    res = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    client.cookies.clear()
    page = client.get(res.headers["location"])
    assert page.status_code == 400 and "https://" in page.text and "Cookie" in page.text


def test_every_admin_page_and_api_asks_for_login_first(client: TestClient) -> None:
    from fastapi.routing import APIRoute

    # Routers are included as wrappers (FastAPI keeps the router's own routes, prefix included).
    included = [getattr(r, "original_router", None) for r in client.app.routes]  # type: ignore[attr-defined]
    routes = [r for router in included if router is not None for r in router.routes
              if isinstance(r, APIRoute) and r.path.startswith("/admin")]  # fmt: skip
    assert {"/admin/usage", "/admin/log", "/admin/faq"} <= {r.path for r in routes}  # not empty by mistake
    for route in routes:
        if route.path in ("/admin/login", "/admin/login/check"):
            continue
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        for method in route.methods - {"HEAD"}:
            res = client.request(method, path, follow_redirects=False)
            assert res.status_code in (303, 401, 403), (method, route.path, res.status_code)
            if res.status_code == 303:
                assert res.headers["location"].startswith("/admin/login"), (method, route.path)
