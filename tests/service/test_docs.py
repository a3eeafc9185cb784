"""/docs and /redoc work offline under a CSP that allows scripts from the server only (issue 14, item 12)."""

from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.mark.parametrize(("path", "text"), [("/docs", "質問に答える"), ("/redoc", "質問に答える")])
def test_the_api_docs_render_with_no_outside_request_and_no_csp_violation(
    browser: object, server: str, path: str, text: str
) -> None:
    ctx = browser.new_context()  # type: ignore[attr-defined]
    page = ctx.new_page()
    outside: list[str] = []
    console: list[str] = []

    def offline(route: object) -> None:  # anything not from the server is blocked (and noted), as without internet
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(server):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", offline)
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(server + path)
    page.get_by_text(text).first.wait_for()
    ctx.close()
    # ReDoc always shows its maker's logo from the web; the CSP keeps it out (img-src 'self'), nothing else is missing.
    assert set(outside) <= {"https://cdn.redoc.ly/redoc/logo-mini.svg"}, outside
    violations = [c for c in console if "Content Security Policy" in c and "logo-mini.svg" not in c]
    assert violations == [], violations
    policy = httpx.get(server + path).headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy


def test_no_page_of_the_app_points_at_a_cdn(server: str) -> None:
    for path in ("/docs", "/redoc"):
        html = httpx.get(server + path).text
        assert "cdn" not in html.lower() and "<script>" not in html
