"""The chat widget in real headless Chromium (Debian's), against a real server and the real model."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from faq_bot.config import PROJECT_ROOT, Settings
from faq_bot.service.app import create_app
from tests.servers import uvicorn_thread

pytestmark = [pytest.mark.browser, pytest.mark.integration]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MARKUP_QUESTION = '<img src=x onerror="window.__pwned=1">テスト用の特別な質問'
MARKUP_ANSWER = '<script>window.__pwned=2</script><b id="bold">太字</b> & &lt;エスケープ&gt;'
SCREENSHOT = PROJECT_ROOT / "docs" / "widget.png"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("widget")
    faq = tmp / "faq.tsv"
    shipped = (PROJECT_ROOT / "data" / "faq.tsv").read_text(encoding="utf-8")
    faq.write_text(shipped + f'900\tテスト\t{MARKUP_QUESTION.replace(chr(34), chr(34) * 2).join(chr(34) * 2)}\t'
                   f"{MARKUP_ANSWER}\t\n", encoding="utf-8")  # fmt: skip
    settings = Settings(
        faq_path=faq,
        index_dir=tmp / "index",
        log_path=tmp / "log.sqlite3",
        answer_threshold=0.9,  # wide bands so each decision is easy to reach from the page
        suggest_threshold=0.5,
        contact_url="https://example.com/contact",
        rate_limit="",
    )
    with uvicorn_thread(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
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
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: object, server: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ja-JP")  # type: ignore[attr-defined]
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server + "/")
    pg.locator("#fb-panel").wait_for(state="visible")
    yield pg
    context.close()
    assert not errors, errors


def ask(page: object, text: str) -> None:
    box = page.locator("#fb-input")  # type: ignore[attr-defined]
    box.fill(text)
    box.press("Enter")


def test_question_gets_an_answer_bubble_with_feedback(page: object) -> None:
    ask(page, "請求書はダウンロードできますか")
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    assert "請求一覧" in answer.inner_text()
    answer.get_by_role("button", name="役に立った").click()
    page.get_by_text("ご意見ありがとうございます。").wait_for()  # type: ignore[attr-defined]
    assert answer.get_by_role("button", name="役に立った").get_attribute("aria-pressed") == "true"
    if os.environ.get("FAQ_BOT_UPDATE_SCREENSHOT"):
        page.screenshot(path=str(SCREENSHOT))  # type: ignore[attr-defined]


def test_suggestion_click_shows_that_entry(page: object) -> None:
    ask(page, "請求書のPDFが欲しい")
    first = page.locator(".msg.suggest .suggestion").first  # type: ignore[attr-defined]
    first.wait_for()
    question = first.inner_text()
    first.click()
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    assert question in answer.inner_text()


def test_none_of_these_under_suggestions_leads_to_the_contact_form(page: object) -> None:
    ask(page, "請求書のPDFが欲しい")
    card = page.locator(".msg.suggest").last  # type: ignore[attr-defined]
    card.wait_for()
    none = card.get_by_role("button", name="どれにも当てはまらない")
    none.click()
    escalation = page.locator(".msg.escalate").last  # type: ignore[attr-defined]
    escalation.wait_for()
    assert "お問い合わせフォーム" in escalation.inner_text()
    assert escalation.get_by_role("link").get_attribute("href") == "https://example.com/contact"
    assert none.is_disabled()


def test_a_greeting_gets_a_friendly_reply_not_an_escalation(page: object) -> None:
    ask(page, "こんにちは！")
    reply = page.locator(".msg.smalltalk").last  # type: ignore[attr-defined]
    reply.wait_for()
    assert "ご質問をどうぞ" in reply.inner_text()
    assert page.locator(".msg.escalate").count() == 0  # type: ignore[attr-defined]
    assert reply.locator(".feedback").count() == 0  # nothing to rate


def test_out_of_scope_question_shows_the_escalation_card(page: object) -> None:
    ask(page, "今日は良い天気ですね")
    card = page.locator(".msg.escalate").last  # type: ignore[attr-defined]
    card.wait_for()
    assert "お問い合わせフォーム" in card.inner_text()
    assert card.get_by_role("link").get_attribute("href") == "https://example.com/contact"


def test_escalation_offers_related_questions_that_open_their_entry(page: object) -> None:
    ask(page, "ロールの設定変更はいつ反映されますか")  # close to entry 40, whose answer names no time
    card = page.locator(".msg.escalate").last  # type: ignore[attr-defined]
    card.wait_for()
    assert "お問い合わせフォーム" in card.inner_text() and "関連するご質問" in card.inner_text()
    related = card.get_by_role("button", name="ロール(権限)の設定はできますか")
    related.click()
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    assert "ロール(権限)の設定はできますか" in answer.inner_text()


def test_markup_from_the_faq_is_shown_as_text_and_never_runs(page: object) -> None:
    ask(page, MARKUP_QUESTION)
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    text = answer.inner_text()
    assert "<script>window.__pwned=2</script>" in text and '<b id="bold">' in text and MARKUP_QUESTION in text
    assert page.locator("#bold").count() == 0 and page.locator(".msg img").count() == 0  # type: ignore[attr-defined]
    assert page.evaluate("window.__pwned") is None  # type: ignore[attr-defined]


def test_visitor_markup_is_echoed_as_text(page: object) -> None:
    ask(page, '<img src=x onerror="window.__pwned=3">')
    page.locator(".msg.user").last.wait_for()  # type: ignore[attr-defined]
    page.locator(".msg.bot").nth(1).wait_for()  # type: ignore[attr-defined]
    assert page.locator(".msg img").count() == 0  # type: ignore[attr-defined]
    assert page.evaluate("window.__pwned") is None  # type: ignore[attr-defined]


def test_enter_while_composing_does_not_send_and_shift_enter_adds_a_line(page: object) -> None:
    box = page.locator("#fb-input")  # type: ignore[attr-defined]
    box.fill("みつもり")
    box.evaluate(
        "el => el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', isComposing: true, bubbles: true}))"
    )
    box.press("Shift+Enter")
    assert page.locator(".msg.user").count() == 0  # type: ignore[attr-defined]
    assert box.input_value() == "みつもり\n"


def test_category_chip_filters_and_server_errors_offer_retry(page: object) -> None:
    chip = page.get_by_role("button", name="支払い方法", exact=True)  # type: ignore[attr-defined]
    assert chip.count() == 0  # chips are categories, not questions
    page.get_by_role("button", name="請求", exact=True).click()  # type: ignore[attr-defined]
    assert page.get_by_role("button", name="請求", exact=True).get_attribute("aria-pressed") == "true"  # type: ignore[attr-defined]
    page.route("**/api/chat", lambda route: route.abort())  # type: ignore[attr-defined]
    ask(page, "請求書はダウンロードできますか")
    error = page.locator(".msg.error").last  # type: ignore[attr-defined]
    error.wait_for()
    assert "サーバーに接続できません" in error.inner_text()
    page.unroute("**/api/chat")  # type: ignore[attr-defined]
    error.get_by_role("button", name="再試行").click()
    page.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]


def test_keyboard_only_use_and_accessible_structure(page: object) -> None:
    assert page.locator(".log").get_attribute("aria-live") == "polite"  # type: ignore[attr-defined]
    assert page.get_by_label("質問", exact=True).count() == 1  # type: ignore[attr-defined]
    page.locator("#fb-input").press("Escape")  # type: ignore[attr-defined]
    assert page.locator("#fb-panel").is_hidden()  # type: ignore[attr-defined]
    launcher = page.locator(".launcher")  # type: ignore[attr-defined]
    assert launcher.evaluate("el => el.getRootNode().activeElement === el")
    launcher.press("Enter")
    assert page.locator("#fb-panel").is_visible()  # type: ignore[attr-defined]
    assert page.locator("#fb-input").evaluate("el => el.getRootNode().activeElement === el")  # type: ignore[attr-defined]


def test_widget_fits_a_360px_screen(browser: object, server: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640})  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.goto(server + "/")
    panel = pg.locator("#fb-panel")
    panel.wait_for(state="visible")
    box = panel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert pg.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
