"""The widget leaves no dead ends (issue 14, items 1-4): contact links, 👎 comments, long answers, category filters."""

from __future__ import annotations

import os
import re
import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from faq_bot.config import PROJECT_ROOT, Settings
from tests.service.conftest import ask, open_widget
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SCREENSHOTS = os.environ.get("FAQ_BOT_UPDATE_SCREENSHOT")
LONG_ANSWER_QUESTION = "ご注文の流れについて知りたい"  # entry 15: steps ①–⑨


def _query(href: str | None) -> dict[str, list[str]]:
    assert href is not None
    return parse_qs(urlsplit(href).query)


def test_escalation_link_carries_the_question_and_the_request_id(page: object) -> None:  # item 1
    with page.expect_response("**/api/chat") as reply_info:  # type: ignore[attr-defined]
        ask(page, "今日は良い天気ですね & 明日は?")
    reply = reply_info.value.json()
    card = page.locator(".msg.escalate").last  # type: ignore[attr-defined]
    card.wait_for()
    query = _query(card.get_by_role("link", name="お問い合わせフォームへ").get_attribute("href"))
    assert query == {"q": ["今日は良い天気ですね & 明日は?"], "id": [reply["request_id"]]}
    if SCREENSHOTS:
        page.screenshot(path=str(PROJECT_ROOT / "docs" / "escalation.png"))  # type: ignore[attr-defined]


def test_an_answer_that_names_the_contact_form_gets_the_link_button(page: object) -> None:  # item 1
    ask(
        page, "クレジットカードは対応していますか"
    )  # entry 21 ends with 「…お問い合わせフォームにお問い合わせください。」
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    link = answer.get_by_role("link", name="お問い合わせフォームへ")
    assert _query(link.get_attribute("href"))["q"] == ["クレジットカードは対応していますか"]
    ask(page, "ご注文の流れについて知りたい")  # an answer that names no contact form: no button
    plain = page.locator(".msg.answer").nth(1)  # type: ignore[attr-defined]
    plain.wait_for()
    assert plain.get_by_role("link", name="お問い合わせフォームへ").count() == 0


def answered(page: object, question: str) -> None:
    """Ask and wait for the answer bubble."""
    ask(page, question)
    page.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]


def ratings(settings: Settings) -> list[tuple[str, str]]:
    """The feedback rows of the log (written by a queue: poll for them)."""
    with sqlite3.connect(settings.log_path) as db:
        return db.execute("SELECT rating, comment FROM feedback").fetchall()


def test_thumbs_down_opens_a_comment_box_and_the_contact_link(page: object, widget_settings: Settings) -> None:
    ask(page, "請求書はダウンロードできますか")  # item 1
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    answer.get_by_role("button", name="役に立たなかった").click()
    box = answer.get_by_label("ご意見（任意）")
    box.wait_for()
    assert _query(answer.get_by_role("link", name="お問い合わせフォームへ").get_attribute("href"))["q"] == [
        "請求書はダウンロードできますか"
    ]
    box.fill("PDFの場所が見つかりませんでした")
    answer.get_by_role("button", name="送信").click()
    answer.get_by_text("コメントを送信しました").wait_for()
    comment = ("down", "PDFの場所が見つかりませんでした")
    wait_until(lambda: comment in ratings(widget_settings), what="the comment logged")
    answer.get_by_role("button", name="役に立った").click()  # changed their mind: the comment stays
    wait_until(lambda: ("up", "PDFの場所が見つかりませんでした") in ratings(widget_settings), what="the 👍 logged")


def test_after_thumbs_down_the_way_to_a_person_is_still_there_on_the_next_page(browser: object, server: str) -> None:
    ctx, pg, errors = open_widget(browser, server)
    answered(pg, "請求書はダウンロードできますか")
    answer = pg.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.get_by_role("button", name="役に立たなかった").click()
    answer.get_by_label("ご意見（任意）").wait_for()
    answer.get_by_role("button", name="送信").click()  # nothing typed: said so, nothing sent
    expect(answer).to_contain_text("コメントを入力してから送信してください。")
    pg.goto(server + "/?page=2")  # type: ignore[attr-defined]  # the next page of the site
    answer = pg.locator(".msg.answer").last  # type: ignore[attr-defined]
    expect(answer.get_by_role("button", name="役に立たなかった")).to_have_attribute("aria-pressed", "true")
    # The way to a person stays; the optional comment box, there to use on the page before, does not follow.
    expect(answer.get_by_role("link", name="お問い合わせフォームへ")).to_be_visible()
    expect(answer.get_by_text("解決しない場合は、担当者がお答えします。")).to_be_visible()
    expect(answer.get_by_label("ご意見（任意）")).to_have_count(0)
    answer.get_by_role("button", name="役に立たなかった").click()  # 👎 again: the box to comment, one way to a person
    expect(answer.get_by_label("ご意見（任意）")).to_be_visible()
    expect(answer.get_by_role("link", name="お問い合わせフォームへ")).to_have_count(1)
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_after_sending_with_the_button_the_focus_is_back_in_the_box(page: object) -> None:
    box = page.locator("#fb-input")  # type: ignore[attr-defined]
    box.fill("請求書はダウンロードできますか")
    send = page.locator("button.send")  # type: ignore[attr-defined]
    send.focus()
    send.press("Enter")  # the keyboard on 送信 (a click alike): the button is busy but keeps the focus
    page.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]
    expect(send).to_have_attribute("aria-disabled", "false")
    assert box.evaluate("el => el.getRootNode().activeElement === el")  # not dropped to the page
    # While a reply is made, a status region says so (the dots are for the eyes only).
    assert page.locator(".typing").get_attribute("aria-hidden") == "true"  # type: ignore[attr-defined]
    assert page.locator("[role=status]").count() == 1  # type: ignore[attr-defined]


def test_a_long_answer_opens_at_its_start(browser: object, server: str) -> None:  # item 3
    ctx, pg, errors = open_widget(browser, server, viewport={"width": 375, "height": 667}, is_mobile=True,
                                  has_touch=True)  # fmt: skip
    ask(pg, LONG_ANSWER_QUESTION)
    answer = pg.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    log = pg.locator(".log").bounding_box()  # type: ignore[attr-defined]
    question = pg.locator(".msg.user").last.bounding_box()  # type: ignore[attr-defined]
    first_line = answer.locator(".line").first.bounding_box()
    bottom = answer.bounding_box()
    assert log and question and first_line and bottom
    assert question["y"] >= log["y"] - 1  # the visitor's question is in view ...
    assert first_line["y"] + first_line["height"] <= log["y"] + log["height"]  # ... and the answer's first lines
    assert bottom["y"] + bottom["height"] > log["y"] + log["height"]  # the end (steps ⑦-⑨) is below: scroll down
    if SCREENSHOTS:
        pg.screenshot(path=str(PROJECT_ROOT / "docs" / "widget-phone.png"))  # type: ignore[attr-defined]
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_the_selected_chip_stays_visible_and_a_filter_line_says_so(browser: object, server: str) -> None:  # item 4
    ctx, pg, errors = open_widget(browser, server, viewport={"width": 375, "height": 667})
    wrap = pg.locator(".chips-wrap")  # type: ignore[attr-defined]
    pg.locator(".chip").first.wait_for()  # type: ignore[attr-defined]
    expect(wrap).to_have_class(re.compile(r"\bmore-right\b"))  # the cue: more chips to the right (set after layout)
    pg.locator(".chip").first.focus()  # type: ignore[attr-defined]
    pg.keyboard.press("End")  # type: ignore[attr-defined]
    pg.keyboard.press("Enter")  # type: ignore[attr-defined]
    last = pg.locator(".chip").last  # type: ignore[attr-defined]
    expect(last).to_have_attribute("aria-pressed", "true")
    chip_box, wrap_box = last.bounding_box(), wrap.bounding_box()
    assert chip_box and wrap_box
    assert wrap_box["x"] <= chip_box["x"] and chip_box["x"] + chip_box["width"] <= wrap_box["x"] + wrap_box["width"]
    line = pg.locator(".filter")  # type: ignore[attr-defined]
    assert line.inner_text().startswith(f"絞り込み中：{last.inner_text()}")
    line.get_by_role("button", name="絞り込みを解除").click()
    expect(line).to_be_hidden()
    expect(last).to_have_attribute("aria-pressed", "false")
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_candidates_inside_a_filter_offer_all_categories_too(page: object) -> None:
    # Asked with the wrong category on: もしかして offers that category's nearest entries, and a way
    # out of the filter before the visitor has to say none of them fits.
    page.get_by_role("button", name="請求", exact=True).click()  # type: ignore[attr-defined]
    ask(page, "クレカ使える？")  # entry 21 is in 契約, not in 請求
    card = page.locator(".msg.suggest").last  # type: ignore[attr-defined]
    card.wait_for()
    replies = page.locator(".msg.bot")  # type: ignore[attr-defined]
    n = replies.count()
    card.get_by_role("button", name="全ての分類で探す").click()
    replies.nth(n).wait_for()  # asked again, without the filter
    assert "クレジットカード" in replies.nth(n).inner_text()
    assert page.locator(".filter").is_hidden()  # type: ignore[attr-defined]


def test_an_escalation_inside_a_filter_offers_all_categories(page: object) -> None:  # item 4
    page.get_by_role("button", name="請求", exact=True).click()  # type: ignore[attr-defined]
    bodies: list[str] = []
    page.on("request", lambda r: bodies.append(r.post_data or "") if r.url.endswith("/api/chat") else None)  # type: ignore[attr-defined]
    ask(page, "クレジットカードは使えますか")  # entry 21 is in 契約, not in 請求
    card = page.locator(".msg.escalate").last  # type: ignore[attr-defined]
    card.wait_for()
    card.get_by_role("button", name="全ての分類で探す").click()
    page.locator(".msg.bot").nth(2).wait_for()  # type: ignore[attr-defined]
    assert '"categories"' in bodies[0] and '"categories"' not in bodies[1]
    assert page.locator(".filter").is_hidden()  # type: ignore[attr-defined]
    assert "クレジットカード" in page.locator(".msg.bot").nth(2).inner_text()  # type: ignore[attr-defined]


def test_the_input_is_a_few_tabs_away_not_behind_every_chip(page: object) -> None:  # item 4
    page.locator(".chip").nth(3).wait_for()  # type: ignore[attr-defined]
    page.locator(".close").focus()  # type: ignore[attr-defined]
    stops: list[str] = []
    while not page.locator("#fb-input").evaluate("el => el.getRootNode().activeElement === el"):  # type: ignore[attr-defined]
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        stops.append(page.locator("#faq-bot-widget").evaluate("h => h.shadowRoot.activeElement.className"))  # type: ignore[attr-defined]
        assert len(stops) <= 10, stops
    assert stops.count("chip") == 1, stops  # the whole row is one stop; arrow keys move inside it
    page.locator(".chip").first.focus()  # type: ignore[attr-defined]
    page.keyboard.press("ArrowRight")  # type: ignore[attr-defined]
    assert page.locator(".chip").nth(1).evaluate("el => el.getRootNode().activeElement === el")  # type: ignore[attr-defined]


def test_the_shift_enter_hint_is_hidden_on_touch_devices(browser: object, server: str, page: object) -> None:
    assert page.locator("#fb-hint").is_visible()  # type: ignore[attr-defined]  # item 4: a desktop has a keyboard
    ctx, pg, errors = open_widget(browser, server, viewport={"width": 375, "height": 667}, is_mobile=True,
                                  has_touch=True)  # fmt: skip
    assert pg.locator("#fb-hint").is_hidden()  # type: ignore[attr-defined]
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_on_a_phone_the_comment_box_and_the_contact_link_come_into_view_after_thumbs_down(
    browser: object, server: str
) -> None:
    ctx, pg, errors = open_widget(browser, server, viewport={"width": 375, "height": 667}, is_mobile=True,
                                  has_touch=True)  # fmt: skip
    ask(pg, LONG_ANSWER_QUESTION)  # a long answer: its 👎 is far down the log
    answer = pg.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    answer.get_by_role("button", name="役に立たなかった").click()
    log = pg.locator(".log").bounding_box()  # type: ignore[attr-defined]
    link = answer.get_by_role("link", name="お問い合わせフォームへ")
    link.wait_for()  # scrollIntoView ran with the box: no animation to wait for
    box, end = answer.get_by_label("ご意見（任意）").bounding_box(), link.bounding_box()
    assert log and box and end
    assert box["y"] >= log["y"] - 1 and end["y"] + end["height"] <= log["y"] + log["height"] + 1  # both in view
    # The box waits for a tap (a keyboard popping up would cover the answer) and, once tapped, is large
    # enough that the phone does not zoom the page in; so is the question box.
    assert pg.evaluate("document.activeElement.shadowRoot.activeElement?.tagName") != "TEXTAREA"
    sizes = answer.get_by_label("ご意見（任意）").evaluate("el => getComputedStyle(el).fontSize")
    assert sizes == "16px" and pg.locator("#fb-input").evaluate("el => getComputedStyle(el).fontSize") == "16px"
    pg.locator("button.launcher").tap()  # type: ignore[attr-defined]  # closed, and opened again:
    pg.locator("button.launcher").tap()  # type: ignore[attr-defined]
    assert pg.evaluate("document.activeElement.shadowRoot.activeElement.className") == "log"  # no keyboard popping up
    thumbs = answer.get_by_role("button", name="役に立った").bounding_box()
    assert thumbs and thumbs["height"] >= 40 and thumbs["width"] >= 44  # a finger's target, not a pointer's
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_thumbs_down_under_an_answer_that_already_links_the_form_adds_no_second_link(page: object) -> None:
    ask(page, "クレジットカードは対応していますか")  # entry 21 names the contact form: its answer has the link
    answer = page.locator(".msg.answer").last  # type: ignore[attr-defined]
    answer.wait_for()
    answer.get_by_role("button", name="役に立たなかった").click()
    answer.get_by_label("ご意見（任意）").wait_for()
    assert answer.get_by_role("link", name="お問い合わせフォームへ").count() == 1


def test_when_the_bot_cannot_be_reached_the_error_offers_the_contact_form(page: object) -> None:
    page.route("**/api/chat", lambda route: route.abort())  # type: ignore[attr-defined]
    ask(page, "請求書はダウンロードできますか")
    error = page.locator(".msg.error").last  # type: ignore[attr-defined]
    error.wait_for()
    href = error.get_by_role("link", name="お問い合わせフォームへ").get_attribute("href")
    assert href is not None and href.startswith("http")  # the demo page's data-contact: the form, no question


def test_a_question_refused_for_asking_too_often_waits_in_the_input(page: object) -> None:
    page.route(  # type: ignore[attr-defined]
        "**/api/chat",
        lambda route: route.fulfill(
            status=429, content_type="application/json", body='{"detail": "しばらく時間をおいてお試しください。"}'
        ),
    )
    ask(page, "請求書はダウンロードできますか")
    page.locator(".msg.error").last.wait_for()  # type: ignore[attr-defined]
    assert page.locator("#fb-input").input_value() == "請求書はダウンロードできますか"  # type: ignore[attr-defined]


def test_a_reply_cut_off_on_the_way_offers_another_try_not_an_empty_card(page: object) -> None:
    page.route(  # type: ignore[attr-defined]
        "**/api/chat",  # a 200 whose body stops short: a replica that died mid-reply
        lambda route: route.fulfill(status=200, content_type="application/json", body='{"decision": "ans'),
    )
    ask(page, "請求書はダウンロードできますか")
    error = page.locator(".msg.error").last  # type: ignore[attr-defined]
    error.wait_for()
    assert "応答が途中で切れました" in error.inner_text()
    assert page.locator(".msg.escalate").count() == 0  # type: ignore[attr-defined]
    page.unroute("**/api/chat")  # type: ignore[attr-defined]
    error.get_by_role("button", name="再試行").click()
    page.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]
    # The pressed 再試行 is gone with its card: focus is back in the input, not lost on the page.
    assert page.locator("#fb-input").evaluate("i => i.getRootNode().activeElement === i")  # type: ignore[attr-defined]


def test_the_conversation_and_the_panel_stay_as_left_on_the_next_page_of_the_site(browser: object, server: str) -> None:
    ctx, pg, errors = open_widget(browser, server)
    answered(pg, "請求書はダウンロードできますか")
    ask(pg, "xyzzy plugh")
    pg.locator(".msg.escalate").last.wait_for()  # type: ignore[attr-defined]
    with pg.expect_request("**/api/chat") as first:  # type: ignore[attr-defined]
        ask(pg, "パスワードを変更できますか")
    replies = pg.locator(".msg.bot:not(.greeting)")  # type: ignore[attr-defined]
    expect(replies).to_have_count(3)
    shown = replies.all_inner_texts()
    pg.goto(server + "/")  # type: ignore[attr-defined]  # another page of the site, the same tab
    pg.locator("#fb-panel").wait_for(state="visible")  # type: ignore[attr-defined]
    users = pg.locator(".msg.user p").all_inner_texts()  # type: ignore[attr-defined]
    assert users == ["請求書はダウンロードできますか", "xyzzy plugh", "パスワードを変更できますか"]
    assert replies.all_inner_texts() == shown  # the same replies, drawn again
    end = pg.locator(".log").evaluate("l => l.scrollHeight - l.clientHeight - l.scrollTop")  # type: ignore[attr-defined]
    assert end <= 2  # where the visitor left off, not at the greeting
    # The kept replies still work: rate the first answer; the rating is kept for the next page too.
    first_answer = pg.locator(".msg.answer").first  # type: ignore[attr-defined]
    with pg.expect_response("**/api/feedback") as rated:  # type: ignore[attr-defined]
        first_answer.get_by_role("button", name="役に立った").click()
    assert rated.value.ok
    expect(first_answer.get_by_role("button", name="役に立った")).to_have_attribute("aria-pressed", "true")
    pg.goto(server + "/?page=2")  # type: ignore[attr-defined]
    expect(first_answer.get_by_role("button", name="役に立った")).to_have_attribute("aria-pressed", "true")
    with pg.expect_request("**/api/chat") as again:  # type: ignore[attr-defined]
        ask(pg, "銀行振込はできますか")
    assert again.value.post_data_json["session_id"] == first.value.post_data_json["session_id"]
    # Closed by the visitor, it stays closed on the next page (data-open only opens it on a first visit).
    pg.locator("#fb-input").press("Escape")  # type: ignore[attr-defined]
    pg.goto(server + "/")  # type: ignore[attr-defined]
    pg.locator("button.launcher").wait_for()  # type: ignore[attr-defined]
    assert pg.locator("#fb-panel").is_hidden()  # type: ignore[attr-defined]
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_only_questions_that_got_their_reply_are_kept_for_the_next_page(browser: object, server: str) -> None:
    ctx, pg, errors = open_widget(browser, server)
    answered(pg, "請求書はダウンロードできますか")
    pg.route("**/api/chat", lambda route: None)  # type: ignore[attr-defined]  # the next reply never comes
    ask(pg, "パスワードを変更できますか")
    pg.locator(".typing").wait_for(state="visible")  # type: ignore[attr-defined]
    ask(pg, "銀行振込はできますか")  # sent while waiting: it stays in the box, and the visitor is told why
    assert pg.locator("#fb-input").input_value() == "銀行振込はできますか"  # type: ignore[attr-defined]
    expect(pg.locator(".count")).to_have_text("前のご質問への回答を作成しています。表示されてから送信してください。")  # type: ignore[attr-defined]
    pg.goto(server + "/")  # type: ignore[attr-defined]  # left while it was waiting
    pg.locator("#fb-panel").wait_for(state="visible")  # type: ignore[attr-defined]
    assert pg.locator(".msg.user p").all_inner_texts() == ["請求書はダウンロードできますか"]  # type: ignore[attr-defined]
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_a_candidate_opened_then_none_of_these_sends_no_thumbs_down(browser: object, server: str) -> None:
    ctx, pg, errors = open_widget(browser, server)
    sent: list[str] = []
    pg.on("request", lambda r: sent.append(r.url) if r.url.endswith("/api/feedback") else None)  # type: ignore[attr-defined]
    ask(pg, "請求書のPDFが欲しい")
    card = pg.locator(".msg.suggest").last  # type: ignore[attr-defined]
    card.locator(".suggestion:not(.none)").first.click()
    pg.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]
    card.get_by_role("button", name="どれにも当てはまらない").click()
    pg.locator(".msg.escalate").last.wait_for()  # type: ignore[attr-defined]
    assert sent == []  # the reply's rating is the opened answer's, not a 👎 on every candidate
    pg.goto(server + "/")  # type: ignore[attr-defined]
    again = pg.locator(".msg.suggest").last.get_by_role("button", name="どれにも当てはまらない")  # type: ignore[attr-defined]
    assert again.is_disabled()  # drawn as it was left: chosen once
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_kept_data_the_widget_did_not_write_is_never_drawn_nor_sent(browser: object, server: str) -> None:
    import json

    junk = {"session": "x" * 300, "open": True, "history": [
        {"user": "前の質問"}, {"answer": "abc"}, {"answer": ["q", {"request_id": "r", "answer": "<b>前の回答</b>"}]},
        {"suggest": {"request_id": "r"}}, None, 7, {"escalate": [None]}, {"unknown": 1},
    ]}  # fmt: skip
    ctx, pg, errors = open_widget(browser, server)
    pg.evaluate("k => sessionStorage.setItem(k[0], k[1])", [f"faq-bot:{server}", json.dumps(junk)])  # type: ignore[attr-defined]
    pg.goto(server + "/")  # type: ignore[attr-defined]
    pg.locator("#fb-panel").wait_for(state="visible")  # type: ignore[attr-defined]
    texts = pg.locator(".log").inner_text()  # type: ignore[attr-defined]
    assert "前の質問" in texts and "<b>前の回答</b>" in texts and "undefined" not in texts  # as text, junk skipped
    with pg.expect_request("**/api/chat") as chat:  # type: ignore[attr-defined]
        ask(pg, "請求書はダウンロードできますか")
    assert chat.value.post_data_json["session_id"] != "x" * 300  # an id the API refuses is not reused
    pg.locator(".msg.answer").last.wait_for()  # type: ignore[attr-defined]
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors


def test_a_page_shown_again_by_back_shows_what_was_asked_on_the_page_after_it(browser: object, server: str) -> None:
    ctx, pg, errors = open_widget(browser, server)
    answered(pg, "請求書はダウンロードできますか")
    pg.evaluate("window.__sameDocument = true")  # type: ignore[attr-defined]
    pg.goto(server + "/?another=page")  # type: ignore[attr-defined]
    ask(pg, "銀行振込はできますか")
    expect(pg.locator(".msg.bot:not(.greeting)")).to_have_count(2)  # type: ignore[attr-defined]
    pg.locator(".msg.answer").last.get_by_role("button", name="役に立たなかった").click()  # type: ignore[attr-defined]
    pg.locator(".msg.answer").last.get_by_label("ご意見（任意）").fill("書きかけ")  # type: ignore[attr-defined]
    pg.go_back(wait_until="commit")  # type: ignore[attr-defined]  # from the cache: no "load" event
    assert pg.evaluate("window.__sameDocument === true"), "the page came back from the back/forward cache"  # type: ignore[attr-defined]
    users = pg.locator(".msg.user")  # type: ignore[attr-defined]
    expect(users).to_have_count(2)
    assert pg.locator(".msg.user p").all_inner_texts() == ["請求書はダウンロードできますか", "銀行振込はできますか"]
    ask(pg, "パスワードを変更できますか")  # and nothing asked on the other page is lost from the kept conversation
    expect(pg.locator(".msg.bot:not(.greeting)")).to_have_count(3)  # type: ignore[attr-defined]
    pg.goto(server + "/?another=page")  # type: ignore[attr-defined]
    expect(users).to_have_count(3)
    pg.locator(".msg.answer").last.get_by_role("button", name="役に立たなかった").click()  # type: ignore[attr-defined]
    pg.locator(".msg.answer").last.get_by_label("ご意見（任意）").fill("書きかけ")  # type: ignore[attr-defined]
    pg.goto(server + "/")  # type: ignore[attr-defined]
    pg.go_back(wait_until="commit")  # type: ignore[attr-defined]  # nothing new asked meanwhile: ...
    expect(pg.locator(".msg.answer").last.get_by_label("ご意見（任意）")).to_have_value("書きかけ")  # type: ignore[attr-defined]  # ... kept as it was
    first = pg.locator(".msg.answer").first  # type: ignore[attr-defined]
    with pg.expect_response("**/api/feedback"):  # type: ignore[attr-defined]
        first.get_by_role("button", name="役に立った").click()  # on the page kept as it was: still kept for the next
    pg.goto(server + "/?third=page")  # type: ignore[attr-defined]
    expect(first.get_by_role("button", name="役に立った")).to_have_attribute("aria-pressed", "true")
    ctx.close()  # type: ignore[attr-defined]
    assert not errors, errors
