"""Browser fixtures: Debian's headless Chromium (never a downloaded browser) and the widget's demo server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from faq_bot.config import PROJECT_ROOT, Settings
from faq_bot.service.app import create_app
from tests.conftest import ADMIN_TOKEN
from tests.fakes import FakeEmbedder
from tests.servers import uvicorn_thread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MARKUP_QUESTION = '<img src=x onerror="window.__pwned=1">テスト用の特別な質問'
MARKUP_ANSWER = '<script>window.__pwned=2</script><b id="bold">太字</b> & &lt;エスケープ&gt;'
#: The contact form of the test server: the visitor's question and the reply's id are filled in.
CONTACT_URL = "https://example.com/contact?q={question}&id={request_id}"


@pytest.fixture(scope="session")
def widget_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shipped FAQ plus one entry with markup, the real model, wide decision bands."""
    tmp = tmp_path_factory.mktemp("widget")
    faq = tmp / "faq.tsv"
    shipped = (PROJECT_ROOT / "data" / "faq.tsv").read_text(encoding="utf-8")
    faq.write_text(shipped + f'900\tテスト\t{MARKUP_QUESTION.replace(chr(34), chr(34) * 2).join(chr(34) * 2)}\t'
                   f"{MARKUP_ANSWER}\t\n", encoding="utf-8")  # fmt: skip
    return Settings(
        faq_path=faq,
        index_dir=tmp / "index",
        log_path=tmp / "log.sqlite3",
        answer_threshold=0.9,  # wide bands so each decision is easy to reach from the page
        suggest_threshold=0.5,
        contact_url=CONTACT_URL,
        rate_limit="",
    )


@pytest.fixture(scope="session")
def server(widget_settings: Settings) -> Iterator[str]:
    with uvicorn_thread(create_app(widget_settings)) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make browser`")
    with sync_playwright() as p:
        # Playwright gives every launch a fresh, empty profile (its own --user-data-dir).
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--enable-features=BackForwardCache",
            ],
            # As in a visitor's browser, Back may show a page from the back/forward cache (Playwright's
            # default switches that off).
            ignore_default_args=["--disable-back-forward-cache"],
        )
        yield b
        b.close()


def open_widget(browser: object, server: str, **context: object) -> tuple[object, object, list[str]]:
    """A new browser context on the demo page with the widget open (on a phone, where the demo's data-open does not
    open it, opened with its launcher); (context, page, page errors)."""
    options: dict[str, object] = {"viewport": {"width": 1280, "height": 860}, "locale": "ja-JP", **context}
    ctx = browser.new_context(**options)  # type: ignore[attr-defined]
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server + "/")
    launcher = pg.locator("button.launcher")
    launcher.wait_for()
    if pg.locator("#fb-panel").is_hidden():
        launcher.click()
    pg.locator("#fb-panel").wait_for(state="visible")
    return ctx, pg, errors


@pytest.fixture
def page(browser: object, server: str) -> Iterator[object]:
    ctx, pg, errors = open_widget(browser, server)
    yield pg
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def ask(page: object, text: str) -> None:
    box = page.locator("#fb-input")  # type: ignore[attr-defined]
    box.fill(text)
    box.press("Enter")


@pytest.fixture
def app(settings: Settings, tmp_path: Path) -> FastAPI:
    """An app with an admin token, the fake encoder and a log of its own: the admin pages in a browser."""
    s = settings.model_copy(update={"log_path": tmp_path / "log.sqlite3", "admin_token": SecretStr(ADMIN_TOKEN)})
    return create_app(s, FakeEmbedder())


@pytest.fixture
def site(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a loopback port (its address)."""
    with uvicorn_thread(app) as url:
        yield url
