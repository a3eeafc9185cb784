"""The chat widget in real headless Chromium (Debian's), against a real server and the real model."""

from __future__ import annotations

import json
import os

import pytest
from playwright.sync_api import expect

from faq_bot.config import PROJECT_ROOT
from tests.service.conftest import MARKUP_QUESTION, ask, open_widget
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SCREENSHOT = PROJECT_ROOT / "docs" / "widget.png"


def test_question_gets_an_answer_bubble_with_feedback(page: object) -> None:
    ask(page, "請求書はダウンロードできますか")
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    assert "請求一覧" in answer.inner_text()
    answer.get_by_role("button", name="役に立った").click()
    page.get_by_text("ご意見ありがとうございます。").wait_for()  # type: ignore[attr-defined]
    assert answer.get_by_role("button", name="役に立った").get_attribute("aria-pressed") == "true"


def test_suggestion_click_shows_that_entry(page: object) -> None:
    ask(page, "請求書のPDFが欲しい")
    first = page.locator(".msg.suggest .suggestion").first  # type: ignore[attr-defined]
    first.wait_for()
    if os.environ.get("FAQ_BOT_UPDATE_SCREENSHOT"):
        page.screenshot(path=str(SCREENSHOT))  # type: ignore[attr-defined]  # the README's: もしかして
    question = first.inner_text()
    first.focus()
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    # The question opened is the visitor's bubble above its answer (not repeated as the answer's heading).
    assert page.locator(".msg.user p").last.inner_text() == question  # type: ignore[attr-defined]
    assert "への回答" not in answer.inner_text() and answer.get_by_role("button", name="役に立った").count() == 1
    # Focus is back in the box, as after a typed question; the answer's rating is one Shift+Tab away.
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.id") == "fb-input"  # type: ignore[attr-defined]
    page.keyboard.press("Shift+Tab")  # type: ignore[attr-defined]
    assert "役に立たなかった" in page.evaluate(  # type: ignore[attr-defined]
        "document.activeElement.shadowRoot.activeElement.getAttribute('aria-label') || ''"
    )


def test_none_of_these_under_suggestions_leads_to_the_contact_form(page: object) -> None:
    ask(page, "請求書のPDFが欲しい")
    card = page.locator(".msg.suggest").last  # type: ignore[attr-defined]
    card.wait_for()
    none = card.get_by_role("button", name="どれにも当てはまらない")
    with page.expect_response("**/api/feedback") as told:  # type: ignore[attr-defined]
        none.click()
    # The log learns that the candidates were read and none fitted: a 👎 on this reply.
    assert told.value.ok and told.value.request.post_data_json["rating"] == "down"
    escalation = page.locator(".msg.escalate").last  # type: ignore[attr-defined]
    escalation.wait_for()
    assert "お問い合わせフォーム" in escalation.inner_text()
    assert (
        escalation.get_by_role("link")
        .get_attribute("href")
        .startswith(  # type: ignore[union-attr]
            "https://example.com/contact?q=%E8%AB%8B%E6%B1%82%E6%9B%B8"  # 請求書…
        )
    )
    assert none.is_disabled()
    # The pressed button is gone for the keyboard: focus is on the way to a person.
    assert escalation.get_by_role("link").evaluate("a => a.getRootNode().activeElement === a")


def test_a_message_over_the_limit_is_kept_whole_and_the_visitor_is_asked_to_shorten_it(page: object) -> None:
    box = page.locator("#fb-input")  # type: ignore[attr-defined]
    count = page.locator("#fb-count")  # type: ignore[attr-defined]
    question = "請求書はダウンロードできますか"
    long = "いつもお世話になっております。" * 70 + question  # 1,065 characters, the question last
    box.fill(long)
    assert box.input_value() == long  # nothing cut off (the question is at the end)
    assert "メッセージが長すぎます（1065 / 1000文字）" in count.inner_text()
    assert box.evaluate("b => b.getBoundingClientRect().height") > 150  # the box grew to show it
    # ... the send button did not grow with it: it stays a button at the box's last line
    send = page.locator("button.send")  # type: ignore[attr-defined]
    grown = send.evaluate("s => s.getBoundingClientRect().height")
    bottoms = [e.evaluate("e => Math.round(e.getBoundingClientRect().bottom)") for e in (send, box)]
    assert grown <= 48 and abs(bottoms[0] - bottoms[1]) <= 2, (grown, bottoms)
    assert box.get_attribute("aria-invalid") == "true"
    box.press("Enter")
    assert page.locator(".msg.user").count() == 0 and box.input_value() == long  # type: ignore[attr-defined]
    box.fill("いつもお世話になっております。" * 60 + question)  # 915: near the limit, what is left is shown
    assert count.inner_text() == "残り85文字" and box.get_attribute("aria-invalid") is None
    box.press("Enter")
    page.locator(".msg.user").last.wait_for()  # type: ignore[attr-defined]  # sent
    page.locator(".msg.answer, .msg.suggest, .msg.escalate").last.wait_for()  # type: ignore[attr-defined]
    assert count.is_hidden() and box.input_value() == ""


def test_an_empty_send_empties_the_box_and_asks_for_a_question(page: object) -> None:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/api/chat") else None)  # type: ignore[attr-defined]
    box = page.locator("#fb-input")  # type: ignore[attr-defined]
    count = page.locator("#fb-count")  # type: ignore[attr-defined]
    read_out = page.locator(".sr-only[aria-live]")  # type: ignore[attr-defined]
    height = box.evaluate("b => b.getBoundingClientRect().height")
    for send in ("Enter", "送信"):
        box.fill("  \n\n\u3000 \n")  # spaces (a full-width one too) and line breaks only
        if send == "Enter":
            box.press("Enter")
        else:
            page.get_by_role("button", name="送信", exact=True).click()  # type: ignore[attr-defined]
        expect(count).to_be_visible()
        expect(count).to_have_text("ご質問を入力してください。")
        expect(read_out).to_have_text("ご質問を入力してください。")  # read out, not only shown
        assert box.input_value() == ""  # the blanks are gone, and the box is back to one line
        assert box.evaluate("b => b.getBoundingClientRect().height") == height
        assert box.evaluate("b => b.getRootNode().activeElement === b")  # ready for the question
    assert page.locator(".msg.user").count() == 0 and sent == []  # type: ignore[attr-defined]
    box.press_sequentially("請求")
    expect(count).to_be_hidden()  # gone once the visitor types


def test_a_server_with_a_lower_limit_teaches_the_widget_its_limit(page: object) -> None:
    # A snippet that says 1,000 characters (the demo page's) on a site whose server takes 500.
    refused = {"detail": "メッセージは500文字以内で入力してください。", "max_chars": 500}
    page.route(  # type: ignore[attr-defined]
        "**/api/chat",
        lambda route: route.fulfill(status=422, content_type="application/json", body=json.dumps(refused)),
    )
    box = page.locator("#fb-input")  # type: ignore[attr-defined]
    long = "いつもお世話になっております。" * 40 + "請求書はダウンロードできますか"  # 615 characters
    ask(page, long)
    error = page.locator(".msg.error").last  # type: ignore[attr-defined]
    error.wait_for()
    assert "500文字以内" in error.inner_text()
    assert box.input_value() == long  # the question waits in the box, not in the log
    assert page.locator(".msg.user").count() == 0  # type: ignore[attr-defined]
    assert "メッセージが長すぎます（615 / 500文字）" in page.locator("#fb-count").inner_text()  # type: ignore[attr-defined]
    page.unroute("**/api/chat")  # type: ignore[attr-defined]
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/api/chat") else None)  # type: ignore[attr-defined]
    box.press("Enter")
    assert page.locator(".msg.user").count() == 0 and sent == []  # type: ignore[attr-defined]  # held back


def test_a_greeting_gets_a_friendly_reply_not_an_escalation(page: object) -> None:
    ask(page, "こんにちは！")
    reply = page.locator(".msg.smalltalk").last  # type: ignore[attr-defined]
    reply.wait_for()
    assert "ご質問をどうぞ" in reply.inner_text()
    assert page.locator(".msg.escalate").count() == 0  # type: ignore[attr-defined]
    assert reply.locator(".feedback").count() == 0  # nothing to rate
    assert reply.locator("a.contact").count() == 0  # a greeting is no way to a person


def test_who_are_you_says_a_bot_answers_and_shows_the_way_to_a_person(page: object) -> None:
    ask(page, "あなたは誰ですか")
    reply = page.locator(".msg.smalltalk").last  # type: ignore[attr-defined]
    reply.wait_for()
    assert "チャットボット" in reply.inner_text()
    assert reply.locator("a.contact").get_attribute("href").startswith("http")
    page.reload()  # type: ignore[attr-defined]  # the kept conversation keeps the link
    kept = page.locator(".msg.smalltalk").last  # type: ignore[attr-defined]
    kept.wait_for()
    assert kept.locator("a.contact").count() == 1


def test_out_of_scope_question_shows_the_escalation_card(page: object) -> None:
    ask(page, "今日は良い天気ですね")
    card = page.locator(".msg.escalate").last  # type: ignore[attr-defined]
    card.wait_for()
    assert "お問い合わせフォーム" in card.inner_text()
    assert card.get_by_role("link").get_attribute("href").startswith("https://example.com/contact?q=")  # type: ignore[union-attr]


def test_escalation_offers_related_questions_that_open_their_entry(page: object) -> None:
    ask(page, "ロールの設定変更はいつ反映されますか")  # close to entry 40, whose answer names no time
    card = page.locator(".msg.escalate").last  # type: ignore[attr-defined]
    card.wait_for()
    assert "お問い合わせフォーム" in card.inner_text() and "関連するご質問" in card.inner_text()
    related = card.get_by_role("button", name="ロール(権限)の設定はできますか")
    related.click()
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    assert page.locator(".msg.user p").last.inner_text() == "ロール(権限)の設定はできますか"  # type: ignore[attr-defined]
    assert "権限" in answer.inner_text()  # entry 40's answer


def test_markup_from_the_faq_is_shown_as_text_and_never_runs(page: object) -> None:
    ask(page, MARKUP_QUESTION)
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    text = answer.inner_text()
    assert "<script>window.__pwned=2</script>" in text and '<b id="bold">' in text
    assert MARKUP_QUESTION in page.locator(".msg.user").last.inner_text()  # type: ignore[attr-defined]  # (no heading)
    # Other words: the entry's question is shown (as the answer's heading or a もしかして button), as text.
    ask(page, "テスト用の特別な質問について教えて")
    reply = page.locator(".msg.bot").nth(2)  # type: ignore[attr-defined]  # (after the greeting and the first answer)
    reply.wait_for()
    assert MARKUP_QUESTION in reply.inner_text() and page.locator(".msg img").count() == 0  # type: ignore[attr-defined]
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


def test_a_proxys_english_error_is_not_shown_to_the_visitor_the_servers_own_words_are(page: object) -> None:
    page.route(  # type: ignore[attr-defined]
        "**/api/chat",
        lambda route: route.fulfill(status=503, json={"detail": "Service Unavailable"}),
    )
    ask(page, "請求書はダウンロードできますか")
    error = page.locator(".msg.error").last  # type: ignore[attr-defined]
    error.wait_for()
    assert "Service Unavailable" not in error.inner_text()
    assert "ただいま応答できませんでした。" in error.inner_text()
    page.unroute("**/api/chat")  # type: ignore[attr-defined]
    page.route(  # type: ignore[attr-defined]  # a Chinese proxy: kanji, but no kana
        "**/api/chat",
        lambda route: route.fulfill(status=503, json={"detail": "服务暂时不可用"}),
    )
    ask(page, "見積書を再発行したい")
    expect(page.locator(".msg.error").last).to_contain_text("ただいま応答できませんでした。")  # type: ignore[attr-defined]
    assert "服务" not in page.locator(".msg.error").last.inner_text()  # type: ignore[attr-defined]
    page.unroute("**/api/chat")  # type: ignore[attr-defined]
    page.route(  # type: ignore[attr-defined]
        "**/api/chat",
        lambda route: route.fulfill(status=503, json={"detail": "ただいま混み合っています。"}),
    )
    ask(page, "銀行振込はできますか")
    expect(page.locator(".msg.error").last).to_contain_text("ただいま混み合っています。")  # type: ignore[attr-defined]
    page.unroute("**/api/chat")  # type: ignore[attr-defined]


def test_a_server_error_is_told_in_words_without_its_status_code(page: object) -> None:
    page.route(  # type: ignore[attr-defined]
        "**/api/chat",
        lambda route: route.fulfill(status=500, content_type="text/plain", body="Internal Server Error"),
    )
    ask(page, "請求書はダウンロードできますか")
    error = page.locator(".msg.error").last  # type: ignore[attr-defined]
    error.wait_for()
    text = error.inner_text()
    assert "ただいま応答できませんでした。もう一度お試しいただくか、お問い合わせフォームからご連絡ください。" in text
    assert "500" not in text and "エラーが発生しました" not in text
    href = error.get_by_role("link", name="お問い合わせフォームへ").get_attribute("href")  # the way to a person
    assert href and href.startswith("https://example.com/contact")
    page.unroute("**/api/chat")  # type: ignore[attr-defined]
    error.get_by_role("button", name="再試行").click()
    page.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]


def test_messages_say_who_speaks_to_a_screen_reader(page: object) -> None:
    ask(page, "請求書はダウンロードできますか")
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    question = page.locator(".msg.user").last  # type: ignore[attr-defined]
    # The first thing a screen reader says of each message.
    assert question.aria_snapshot().startswith("- text: あなた：\n- paragraph: 請求書はダウンロードできますか")
    assert answer.aria_snapshot().startswith("- text: 回答：")
    for label in (question.locator(".sr-only"), answer.locator(".sr-only").first):
        # Read, not seen: laid out (display: none would hide it from screen readers too), one pixel wide.
        assert label.evaluate("s => getComputedStyle(s).display !== 'none' && s.getBoundingClientRect().width <= 1")


def test_chip_row_arrows_are_named_buttons_whose_glyphs_are_not_read(browser: object, server: str) -> None:
    ctx, pg, errors = open_widget(browser, server, viewport={"width": 375, "height": 667})
    pg.locator(".chip").first.wait_for()  # type: ignore[attr-defined]
    before, after = pg.get_by_role("button", name="前の分類"), pg.get_by_role("button", name="次の分類")  # type: ignore[attr-defined]
    expect(after).to_be_visible()  # more chips to the right
    expect(before).to_be_hidden()
    assert after.locator("[aria-hidden=true]").inner_text() == "›"
    after.click()
    expect(before).to_be_visible()  # scrolled: now there are chips to the left too
    pg.locator(".chip").last.click()  # type: ignore[attr-defined]  # the filter line under the row (read after it)
    expect(pg.locator(".filter")).to_be_visible()  # type: ignore[attr-defined]
    read = pg.locator("#fb-panel").aria_snapshot()  # type: ignore[attr-defined]
    assert 'button "前の分類"' in read and "‹" not in read and "›" not in read
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_japanese_text_has_full_width_colons(page: object) -> None:
    assert "例えば：" in page.locator(".msg.greeting").inner_text()  # type: ignore[attr-defined]
    page.get_by_role("button", name="請求", exact=True).click()  # type: ignore[attr-defined]
    expect(page.locator(".filter-text")).to_have_text("絞り込み中：請求")  # type: ignore[attr-defined]
    assert ":" not in page.locator("#fb-panel").inner_text()  # type: ignore[attr-defined]


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
    launcher.focus()  # back on the launcher with the panel open (as after opening it with a click)
    launcher.press("Escape")
    assert page.locator("#fb-panel").is_hidden()  # type: ignore[attr-defined]
    launcher.press("Enter")
    # one banner on the page: the panel's heading row is no landmark of its own
    assert page.locator("#fb-panel header, #fb-panel [role=banner]").count() == 0  # type: ignore[attr-defined]


def test_widget_fits_a_360px_screen(browser: object, server: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640})  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.goto(server + "/")
    launcher = pg.locator("button.launcher")
    launcher.wait_for()
    # data-open does not open it on a phone: it would cover the page the visitor came to see.
    assert pg.locator("#fb-panel").is_hidden()
    launcher.click()
    panel = pg.locator("#fb-panel")
    panel.wait_for(state="visible")
    box = panel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert pg.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_on_a_phone_the_open_panel_is_modal_and_keeps_the_focus(browser: object, server: str) -> None:
    # The panel covers the page: the page's links behind it are not Tab stops while it is open.
    ctx, pg, errors = open_widget(browser, server, viewport={"width": 390, "height": 844})
    panel = pg.locator("#fb-panel")  # type: ignore[attr-defined]
    assert panel.get_attribute("aria-modal") == "true"
    pg.locator("#fb-input").focus()  # type: ignore[attr-defined]
    seen = set()
    for key in ["Tab"] * 12 + ["Shift+Tab"] * 12:
        pg.keyboard.press(key)  # type: ignore[attr-defined]
        assert pg.evaluate("document.activeElement.id") == "faq-bot-widget", key  # type: ignore[attr-defined]
        seen.add(pg.evaluate("document.activeElement.shadowRoot.activeElement.className"))  # type: ignore[attr-defined]
    assert {"close", "send"} <= seen and "launcher" not in seen  # round the panel, its × closes it
    launcher = pg.locator("button.launcher")  # type: ignore[attr-defined]
    assert launcher.get_attribute("aria-label") == "サポートチャットを閉じる"
    pg.evaluate("document.querySelector('a[href]').focus()")  # type: ignore[attr-defined]  # e.g. a tap behind
    assert pg.evaluate("document.activeElement.shadowRoot.activeElement.id") == "fb-input"  # type: ignore[attr-defined]
    pg.set_viewport_size({"width": 1280, "height": 860})  # type: ignore[attr-defined]  # turned, or a wider window
    expect(panel).to_have_attribute("aria-modal", "false")
    pg.evaluate("document.querySelector('a[href]').focus()")  # type: ignore[attr-defined]
    assert pg.evaluate("document.activeElement.tagName") == "A"  # type: ignore[attr-defined]  # beside the page: free
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


@pytest.mark.parametrize("viewport", [{"width": 844, "height": 390}, {"width": 667, "height": 375}])
def test_a_phone_on_its_side_gives_the_conversation_room(
    browser: object, server: str, viewport: dict[str, int]
) -> None:
    # Kept above the launcher, the panel was 294 px high at 844 x 390 and its log ~124 px: two lines of an answer.
    ctx, pg, errors = open_widget(browser, server, viewport=viewport)
    ask(pg, "請求書をダウンロードできますか")
    pg.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]
    panel = pg.locator("#fb-panel").bounding_box()  # type: ignore[attr-defined]
    log = pg.locator("#fb-panel .log").bounding_box()  # type: ignore[attr-defined]
    assert panel["y"] >= 0 and panel["y"] + panel["height"] <= viewport["height"]  # all of it on the screen
    assert panel["height"] >= viewport["height"] - 20
    assert log["height"] >= 0.45 * viewport["height"], log  # room for several lines of an answer
    pg.locator("#fb-panel").get_by_role("button", name="チャットを閉じる").click()  # type: ignore[attr-defined]
    assert pg.locator("#fb-panel").is_hidden()  # type: ignore[attr-defined]
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_an_escalation_inside_a_filter_says_so_and_offers_all_categories_first(page: object) -> None:
    page.get_by_role("button", name="見積", exact=True).click()  # type: ignore[attr-defined]
    ask(page, "クレジットカードは使えますか")  # entry 21 is in 契約, not in 見積
    card = page.locator(".msg.escalate").last  # type: ignore[attr-defined]
    card.wait_for()
    text = card.inner_text()
    assert "選んだ分類（見積）では見つかりませんでした。" in text and "FAQではお答えできませんでした" not in text
    # All categories first (the answer may well be in another one), the way to a person still there after it.
    ways = card.locator("button.everywhere, a.contact")
    assert ways.evaluate_all("ns => ns.map(n => n.className)") == ["everywhere", "contact"]
    card.get_by_role("button", name="全ての分類で探す").click()
    again = page.locator(".msg.bot").nth(2)  # type: ignore[attr-defined]  # asked again, without the filter
    again.wait_for()
    assert "クレジットカード" in again.inner_text()
    ask(page, "今日は良い天気ですね")  # no filter now: the FAQ itself has no answer
    plain = page.locator(".msg.escalate").nth(1)  # type: ignore[attr-defined]
    plain.wait_for()
    assert "FAQではお答えできませんでした" in plain.inner_text()
    assert plain.get_by_role("button", name="全ての分類で探す").count() == 0


def test_none_of_these_inside_a_filter_puts_all_categories_first_and_focuses_it(page: object) -> None:
    page.get_by_role("button", name="見積", exact=True).click()  # type: ignore[attr-defined]
    ask(page, "支払い方法を教えて")  # only 見積's entries to offer: もしかして
    card = page.locator(".msg.suggest").last  # type: ignore[attr-defined]
    card.wait_for()
    card.get_by_role("button", name="どれにも当てはまらない").click()
    escalation = page.locator(".msg.escalate").last  # type: ignore[attr-defined]
    escalation.wait_for()
    assert "選んだ分類（見積）では見つかりませんでした。" in escalation.inner_text()
    everywhere = escalation.get_by_role("button", name="全ての分類で探す")
    assert everywhere.evaluate("b => b.getRootNode().activeElement === b")  # the next step, under the keyboard
    assert escalation.get_by_role("link", name="お問い合わせフォームへ").count() == 1  # never a dead end


def test_retry_after_a_failed_candidate_shows_the_question_once(page: object) -> None:
    ask(page, "請求書のPDFが欲しい")
    card = page.locator(".msg.suggest").last  # type: ignore[attr-defined]
    first = card.locator(".suggestion:not(.none)").first
    first.wait_for()
    question = first.inner_text()
    page.route("**/api/faqs/*", lambda route: route.abort())  # type: ignore[attr-defined]
    first.click()
    error = page.locator(".msg.error").last  # type: ignore[attr-defined]
    error.wait_for()
    page.unroute("**/api/faqs/*")  # type: ignore[attr-defined]
    error.get_by_role("button", name="再試行").click()
    page.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]
    assert page.locator(".msg.user p").all_inner_texts() == ["請求書のPDFが欲しい", question]  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]  # kept for the next page once, too
    page.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]
    assert page.locator(".msg.user p").all_inner_texts() == ["請求書のPDFが欲しい", question]  # type: ignore[attr-defined]


def test_a_question_refused_for_asking_too_often_is_one_bubble_when_sent_again(page: object) -> None:
    busy = {"detail": "しばらく時間をおいてお試しください。"}
    page.route(  # type: ignore[attr-defined]
        "**/api/chat",
        lambda route: route.fulfill(status=429, content_type="application/json", body=json.dumps(busy)),
    )
    box = page.locator("#fb-input")  # type: ignore[attr-defined]
    ask(page, "請求書はダウンロードできますか")
    page.locator(".msg.error").last.wait_for()  # type: ignore[attr-defined]
    assert box.input_value() == "請求書はダウンロードできますか"  # not sent: back in the box, not in the log
    assert page.locator(".msg.user").count() == 0  # type: ignore[attr-defined]
    page.unroute("**/api/chat")  # type: ignore[attr-defined]
    box.press("Enter")
    page.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]
    assert page.locator(".msg.user p").all_inner_texts() == ["請求書はダウンロードできますか"]  # type: ignore[attr-defined]


def test_a_server_that_takes_too_long_is_not_blamed_on_the_connection(page: object) -> None:
    page.clock.install()  # type: ignore[attr-defined]  # the widget's 20-second timeout, without waiting 20 s
    page.route("**/api/chat", lambda route: None)  # type: ignore[attr-defined]  # the server hangs
    ask(page, "請求書はダウンロードできますか")
    page.locator(".typing").wait_for(state="visible")  # type: ignore[attr-defined]
    page.clock.run_for(21_000)  # type: ignore[attr-defined]
    error = page.locator(".msg.error").last  # type: ignore[attr-defined]
    error.wait_for()
    text = error.inner_text()
    assert "応答に時間がかかっています。しばらくしてからもう一度お試しください。" in text
    assert "サーバーに接続できません" not in text and "通信環境" not in text
    page.unroute("**/api/chat")  # type: ignore[attr-defined]
    error.get_by_role("button", name="再試行").click()
    page.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]
    assert page.locator(".msg.user").count() == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("then", ["opened again", "next reply"])
def test_categories_that_failed_to_load_are_asked_for_again(browser: object, server: str, then: str) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ja-JP")  # type: ignore[attr-defined]
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    down = {"on": True}
    pg.route(
        "**/api/categories",
        lambda route: route.abort() if down["on"] else route.continue_(),
    )
    pg.goto(server + "/")
    pg.locator("#fb-panel").wait_for(state="visible")
    launcher = pg.locator("button.launcher")
    if then == "opened again":
        with pg.expect_event("requestfailed"):
            launcher.click()  # closed ...
            launcher.click()  # ... and opened again while the server still fails: asked, nothing shown
        expect(pg.locator(".chips-wrap")).to_be_hidden()
        down["on"] = False
        launcher.click()
        launcher.click()
    else:
        down["on"] = False
        ask(pg, "請求書はダウンロードできますか")
        pg.locator(".msg.answer").last.wait_for()
    expect(pg.locator(".chips-wrap")).to_be_visible()
    assert pg.get_by_role("button", name="請求", exact=True).count() == 1
    ctx.close()
    assert not errors, errors


LOG_END = "l => l.scrollHeight - l.clientHeight - l.scrollTop"  # 0: the newest message in view


def test_the_newest_message_stays_in_view_when_the_log_gets_shorter(browser: object, server: str) -> None:
    ctx, pg, errors = open_widget(browser, server, viewport={"width": 390, "height": 844})
    log = pg.locator(".log")  # type: ignore[attr-defined]
    box = pg.locator("#fb-input")  # type: ignore[attr-defined]
    for question in ("請求書はダウンロードできますか", "パスワードを変更できますか", "請求書のPDFが欲しい"):
        ask(pg, question)
        pg.locator(".msg.user").last.wait_for()  # type: ignore[attr-defined]
        pg.locator(".typing").wait_for(state="hidden")  # type: ignore[attr-defined]
    log.evaluate("l => { l.scrollTop = l.scrollHeight; }")
    assert log.evaluate("l => l.scrollHeight > l.clientHeight + 100")  # a log longer than its room
    height = log.evaluate("l => l.clientHeight")
    box.fill("見積書の宛名について。\n" * 6)  # the box grows with the message
    wait_until(lambda: log.evaluate("l => l.clientHeight") < height - 60, what="the log shorter")
    wait_until(lambda: log.evaluate(LOG_END) <= 2, what="the log kept at its end")
    box.fill("")
    pg.route("**/api/chat", lambda route: None)  # type: ignore[attr-defined]  # a reply that takes its time
    ask(pg, "銀行振込はできますか")
    pg.locator(".typing").wait_for(state="visible")  # type: ignore[attr-defined]
    ask(pg, "領収書は発行できますか")  # 「前のご質問への回答を作成しています…」 under the box
    pg.locator(".count").wait_for(state="visible")  # type: ignore[attr-defined]
    wait_until(lambda: log.evaluate(LOG_END) <= 2, what="the log kept at its end")
    pg.set_viewport_size({"width": 844, "height": 390})  # type: ignore[attr-defined]  # the phone turned sideways
    wait_until(lambda: log.evaluate("l => l.clientHeight") < 250, what="the log shorter")
    wait_until(lambda: log.evaluate(LOG_END) <= 2, what="the log kept at its end")
    # A visitor who scrolled up to read an earlier reply is left there.
    log.evaluate("l => { l.scrollTop = 0; }")
    pg.set_viewport_size({"width": 844, "height": 360})  # type: ignore[attr-defined]
    pg.wait_for_timeout(300)  # type: ignore[attr-defined]  # (a wrong scroll would come within a frame or two)
    assert log.evaluate("l => l.scrollTop") == 0
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_the_focus_ring_of_the_log_is_drawn_inside_the_panel(page: object) -> None:
    page.locator(".chip").first.wait_for()  # type: ignore[attr-defined]
    page.locator(".chip[tabindex='0']").focus()  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]  # the log, from the keyboard: the ring shows
    log = page.locator(".log")  # type: ignore[attr-defined]
    assert log.evaluate("l => l.getRootNode().activeElement === l && l.matches(':focus-visible')")
    ring = log.evaluate(
        "l => { const s = getComputedStyle(l);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth), parseFloat(s.outlineOffset), s.boxShadow]; }"
    )
    style, width, offset, shadow = ring
    assert style == "solid" and width >= 2
    # The panel clips what lies outside the log (overflow: hidden): the whole ring lies inside it.
    assert offset + width <= 0, ring
    assert shadow == "none" or "inset" in shadow, ring


def test_candidate_buttons_of_two_lines_read_well(browser: object, server: str) -> None:
    ctx, pg, errors = open_widget(browser, server, viewport={"width": 390, "height": 844})
    ask(pg, "請求書のPDFが欲しい")
    button = pg.locator(".msg.suggest .suggestion").first  # type: ignore[attr-defined]
    button.wait_for()
    for b in (button, pg.locator(".example").first):  # type: ignore[attr-defined]
        style = b.evaluate(
            "b => { const s = getComputedStyle(b);"
            " return [parseFloat(s.lineHeight) / parseFloat(s.fontSize), s.wordBreak, s.lineBreak]; }"
        )
        assert style[0] >= 1.4, style  # room between the two lines
        assert style[1:] == ["auto-phrase", "strict"], style  # broken between phrases (lang="ja"), not inside
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_an_example_question_answer_does_not_repeat_the_question_as_its_heading(page: object) -> None:
    # The demo page's third example is the FAQ's own question: the visitor's bubble already says it.
    page.get_by_role("button", name="請求書はいつ発行されますか").click()  # type: ignore[attr-defined]
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    assert page.locator(".msg.user p").all_inner_texts() == ["請求書はいつ発行されますか"]  # type: ignore[attr-defined]
    assert "への回答" not in answer.inner_text() and "毎月10日" in answer.inner_text()


def test_a_typed_question_that_is_the_entrys_own_gets_no_heading_repeating_it(page: object) -> None:
    ask(page, "請求書は いつ発行されますか？")  # the entry's question, but for a space and the ending ？
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    assert "への回答" not in answer.inner_text() and "毎月10日" in answer.inner_text()
    ask(page, "請求書の発行はいつですか")  # other words: the heading says which question is answered
    page.locator(".msg.answer").nth(1).wait_for()  # type: ignore[attr-defined]
    assert "「請求書はいつ発行されますか」への回答" in page.locator(".msg.answer").last.inner_text()  # type: ignore[attr-defined]


def test_the_way_to_a_person_is_always_in_the_panel_with_the_last_question(page: object) -> None:
    to_person = page.get_by_role("link", name="担当者に問い合わせる")  # type: ignore[attr-defined]
    expect(to_person).to_be_visible()  # before any question: the page's data-contact
    assert "%E8%AB%8B" not in to_person.get_attribute("href")  # type: ignore[operator]
    ask(page, "請求書はダウンロードできますか")
    page.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]
    # An answer, no 👎 pressed: the way to a person is there all the same, with the question for the form.
    expect(to_person).to_be_visible()
    assert to_person.get_attribute("href").startswith("https://example.com/contact?q=%E8%AB%8B%E6%B1%82%E6%9B%B8")  # type: ignore[union-attr]
    assert to_person.get_attribute("target") == "_blank"


def test_enter_sends_the_comment_after_thumbs_down_as_in_the_main_box(page: object) -> None:
    ask(page, "請求書はダウンロードできますか")
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    answer.get_by_role("button", name="役に立たなかった").click()
    box = answer.locator("textarea.comment")
    box.fill("PDFの場所が分かりませんでした")
    box.press("Shift+Enter")  # a line break, not a send
    assert box.count() == 1 and box.input_value().endswith("\n")
    with page.expect_request("**/api/feedback") as sent:  # type: ignore[attr-defined]
        box.press("Enter")
    assert sent.value.post_data_json["comment"] == "PDFの場所が分かりませんでした"
    answer.get_by_text("コメントを送信しました。").wait_for()


def test_a_rating_that_does_not_arrive_says_so_briefly(page: object) -> None:
    ask(page, "請求書はダウンロードできますか")
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    page.route("**/api/feedback", lambda route: route.abort())  # type: ignore[attr-defined]
    answer.get_by_role("button", name="役に立った").click()
    answer.get_by_text("送信できませんでした。もう一度押してください。").wait_for()
    assert answer.get_by_role("button", name="役に立った").get_attribute("aria-pressed") == "false"
    page.unroute("**/api/feedback")  # type: ignore[attr-defined]
    answer.get_by_role("button", name="役に立った").click()
    answer.get_by_text("ご意見ありがとうございます。").wait_for()
