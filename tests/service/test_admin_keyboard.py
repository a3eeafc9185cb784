"""The staff console with the keyboard and on a phone, in Debian's headless Chromium: the skip link, the log's
pager, Enter in the test console, and pages that never scroll sideways."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, expect

from faq_bot.service.pages import staff
from tests.conftest import ADMIN_TOKEN

pytestmark = [pytest.mark.browser]

#: A visitor's message no line can break: it widened its table, and with it the page.
LONG_WORD = "https://example.com/support/inquiry_form_reference_number_ABCDEFGHIJ0123456789_" + "x" * 40
#: Four kanji that share no bigram with the other messages: a group of its own under the fake embedder.
KANJI = [chr(0x5B57 + 7 * n) for n in range(160)]
#: Where the focus is, as a test reads it: the element and the landmarks around it.
FOCUS = """() => { const e = document.activeElement;
  return {tag: e.tagName, text: (e.innerText || '').trim(), pager: !!e.closest('nav.pager'),
          groups: !!e.closest('table.groups'), main: !!e.closest('main')}; }"""


def _staff_page(
    browser: Browser, site: str, width: int = 1280, height: int = 800
) -> tuple[BrowserContext, Page, list[str]]:
    """A logged-in page at the given screen size; (context, page, page errors)."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site + "/admin/login")
    page.get_by_label("管理トークン").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="公開中のFAQ").wait_for()
    return ctx, page, errors


def _ask(app: FastAPI, site: str, messages: list[str]) -> None:
    """Visitors ask questions the FAQ does not answer; back once the log has them all."""
    for message in messages:
        assert httpx.post(site + "/api/chat", json={"message": message}).status_code == 200
    assert app.state.log_writer.flush(timeout=30)


def test_every_admin_page_starts_with_a_skip_link_to_its_content(browser: Browser, site: str) -> None:
    ctx, page, errors = _staff_page(browser, site)
    for path in ("/admin", "/admin/entries", "/admin/console", "/admin/batch", "/admin/log", "/admin/usage",
                 "/admin/answers"):  # fmt: skip
        page.goto(site + path)
        page.keyboard.press("Tab")  # the first stop, before the menu
        assert page.evaluate(FOCUS)["text"] == "本文へスキップ", (path, page.evaluate(FOCUS))
        skip = page.get_by_role("link", name="本文へスキップ")
        box = skip.bounding_box()
        assert box is not None and box["y"] >= 0 and box["height"] > 0, path  # on screen while focused
        page.keyboard.press("Enter")
        assert page.evaluate(FOCUS)["tag"] == "MAIN", path  # the focus itself moves (main has tabindex="-1")
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS)["main"], (path, page.evaluate(FOCUS))  # the menu passed over
        box = skip.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 0, path  # out of sight again
    ctx.close()
    assert not errors, errors


#: The focused element's ring colour and the colour behind it (the first ancestor with a background).
RING = """() => { const e = document.activeElement, c = getComputedStyle(e);
  let p = e.parentElement, behind = 'rgb(255, 255, 255)';
  for (; p; p = p.parentElement) { const b = getComputedStyle(p).backgroundColor;
    if (b !== 'rgba(0, 0, 0, 0)' && b !== 'transparent') { behind = b; break; } }
  return {style: c.outlineStyle, width: parseFloat(c.outlineWidth), ring: c.outlineColor, behind: behind}; }"""


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``rgb(r, g, b)`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", colour)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_stands_out_from_what_is_behind_it(browser: Browser, site: str) -> None:
    # The yellow ring was 1.6:1 on the white cards: WCAG 2.2 asks 3:1 of a focus indicator.
    ctx, page, errors = _staff_page(browser, site)
    page.goto(site + "/admin/console")
    seen = set()
    for _ in range(40):  # skip link, menu (on the blue bar), logout, the question box, checkboxes, 試す
        page.keyboard.press("Tab")
        focus, ring = page.evaluate(FOCUS), page.evaluate(RING)
        assert ring["style"] == "solid" and ring["width"] >= 2, (focus, ring)
        assert _contrast(ring["ring"], ring["behind"]) >= 3, (focus, ring)
        seen.add(focus["tag"])
        if focus["text"] == "試す":
            break
    assert {"A", "BUTTON", "TEXTAREA", "INPUT"} <= seen
    ctx.close()
    assert not errors, errors


def test_the_log_pager_is_a_few_tab_stops_before_the_groups(
    browser: Browser, app: FastAPI, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two groups a page: a dozen pages from a few questions. The pager is a handful of links however many
    # pages there are, and a keyboard user reaches it before the groups' forms, not after all of them (with
    # 30 groups a page that was 101 Tab presses).
    monkeypatch.setattr(staff, "GROUPS_PER_PAGE", 2)
    _ask(app, site, ["".join(KANJI[4 * n : 4 * n + 4]) + "について" for n in range(36)])
    ctx, page, errors = _staff_page(browser, site)
    page.goto(site + "/admin/log?days=0")
    counted = re.search(r"1 / (\d+)ページ", page.locator("main").inner_text())
    assert counted, "one page only"
    last = int(counted.group(1))
    here = 6  # pages left out on both sides: 1 … 4 5 [6] 7 8 … last
    assert last >= here + 5
    page.goto(site + f"/admin/log?days=0&page={here}")
    stops: list[dict[str, Any]] = []
    for _ in range(60):  # Tab from the top of the page until the first group's form
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUS))
        if stops[-1]["groups"]:
            break
    in_pager = [i for i, s in enumerate(stops) if s["pager"]]
    assert in_pager, [s["text"] for s in stops]  # reached before any group's form
    assert len(in_pager) <= 9 and in_pager == list(range(in_pager[0], in_pager[-1] + 1))  # passed in a few presses
    assert stops[in_pager[-1]]["text"].startswith("次の")
    pager = page.get_by_role("navigation", name="ページ送り（一覧の上）")
    expect(pager.locator('[aria-current="page"]')).to_have_text(str(here))
    numbers = [int(n) for n in pager.locator(".pages a").all_inner_texts()]
    assert numbers == [1, *range(here - 2, here + 3), last]  # the first, the current one and two either side, the last
    assert pager.get_by_text("…").count() == 2
    assert pager.get_by_role("link", name=f"{here}ページ目").count() == 1
    assert pager.locator("a[rel=prev]").count() == 1 and pager.locator("a[rel=next]").count() == 1
    assert page.get_by_role("navigation", name="ページ送り（一覧の下）").locator("a").count() == len(numbers) + 2
    assert len(in_pager) == len(numbers) + 2
    ctx.close()
    assert not errors, errors


def test_enter_in_the_console_question_runs_the_test_and_shift_enter_starts_a_new_line(
    browser: Browser, site: str
) -> None:
    ctx, page, errors = _staff_page(browser, site)
    page.goto(site + "/admin/console")
    box = page.get_by_label("質問", exact=True)
    box.click()
    page.keyboard.type("請求書は")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("いつ発行されますか")
    assert box.input_value() == "請求書は\nいつ発行されますか"
    # The Enter that confirms a kana-kanji conversion only confirms it: the page lets the box have it.
    composing = "{key: 'Enter', isComposing: true, bubbles: true, cancelable: true}"
    assert box.evaluate(f"e => e.dispatchEvent(new KeyboardEvent('keydown', {composing}))")  # not cancelled
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("^判定: "))).to_be_visible()
    assert parse_qs(urlsplit(page.url).query)["q"] == ["請求書は\r\nいつ発行されますか"]  # as typed, both lines
    assert page.get_by_label("質問", exact=True).input_value() == "請求書は\nいつ発行されますか"
    ctx.close()
    assert not errors, errors


def test_a_pasted_message_over_the_limit_is_kept_whole_and_said_too_long_not_cut(browser: Browser, site: str) -> None:
    # maxlength cut a pasted message at the limit without a word, and with it the question, its last sentence.
    ctx, page, errors = _staff_page(browser, site)
    page.goto(site + "/admin/console")
    box = page.get_by_label("質問", exact=True)
    limit = int(box.get_attribute("data-max-chars") or 0)
    message = "いつもお世話になっております。" * (limit // 15 + 1) + "請求書はダウンロードできますか？"
    box.fill(message)  # as a paste: the whole text at once
    assert box.input_value() == message and len(message) > limit
    said = f"質問が長すぎます（{len(message)} / {limit}文字）。短くしてから試してください。"
    expect(page.locator("#q-count")).to_have_text(said)
    page.keyboard.press("Enter")  # held back: nothing sent, the message still there
    page.get_by_role("button", name="試す").click()
    assert "q=" not in page.url and box.input_value() == message
    assert box.get_attribute("aria-invalid") == "true"
    box.fill(message[-40:])
    expect(page.locator("#q-count")).to_have_text("")
    page.get_by_role("button", name="試す").click()
    expect(page.get_by_role("heading", name=re.compile("^判定: "))).to_be_visible()
    ctx.close()
    assert not errors, errors


#: A phone held upright, the same held sideways, a small phone.
PHONES = [(390, 844), (844, 390), (320, 568)]
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_on_a_phone_the_log_page_never_scrolls_sideways(browser: Browser, app: FastAPI, site: str) -> None:
    # Held sideways, the log's table (about 58em of columns) made the whole page scroll sideways; on a
    # 320-pixel phone the time of the last question did.
    _ask(app, site, [LONG_WORD, "社員食堂はありますか", "駐車場は何台停められますか"])
    for width, height in PHONES:
        ctx, page, errors = _staff_page(browser, site, width, height)
        page.goto(site + "/admin/log?days=0")
        expect(page.locator("table.groups tbody tr")).to_have_count(3)
        assert page.evaluate(SIDEWAYS) == 0, (width, height)
        row = page.locator("table.groups tbody tr").first
        dismiss = row.get_by_role("button", name="対応不要にする")
        expect(dismiss).to_have_accessible_description(row.locator(".clamp").first.inner_text())
        ctx.close()
        assert not errors, errors


def test_after_a_list_action_the_focus_is_on_what_it_did_and_the_next_tab_is_its_undo(
    browser: Browser, app: FastAPI, site: str
) -> None:
    # The page a row's action returns began at the top: a keyboard user heard nothing of what happened and
    # tabbed through the menu again to reach the undo or the list.
    _ask(app, site, ["社員食堂はありますか", "駐車場は何台停められますか"])
    ctx, page, errors = _staff_page(browser, site)
    page.goto(site + "/admin/log?days=0")
    expect(page.locator("table.groups tbody tr")).to_have_count(2)
    page.locator("table.groups tbody tr").first.get_by_role("button", name="対応不要にする").focus()
    page.keyboard.press("Enter")
    expect(page.locator("table.groups tbody tr")).to_have_count(1)
    focused = page.evaluate(FOCUS)
    assert focused["tag"] == "P" and "対応不要にしました" in focused["text"], focused
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS)["text"] == "元に戻す（一覧に戻す）"
    page.keyboard.press("Enter")
    expect(page.locator("table.groups tbody tr")).to_have_count(2)
    assert page.evaluate(FOCUS)["tag"] == "P", page.evaluate(FOCUS)
    page.goto(site + "/admin/log?days=0")  # a page only looked at keeps its skip link first
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS)["text"] == "本文へスキップ"
    ctx.close()
    assert not errors, errors


def test_a_click_on_a_button_under_the_entry_box_lands_where_it_was_aimed(
    browser: Browser, app: FastAPI, site: str
) -> None:
    # An empty hint line that collapsed when the entry box lost the focus moved the buttons under it up between
    # the press and the release of a click: the click went nowhere.
    _ask(app, site, ["クレジットカードは使えますか"])
    ctx, page, errors = _staff_page(browser, site)
    page.goto(site + "/admin/answers?days=0&below=100")
    row = page.locator("table.answers tbody tr").first
    button = row.get_by_role("button", name="新しいFAQとして作る")
    unfocused = button.bounding_box()
    row.get_by_label("答えるべきFAQの番号").click()
    aimed = button.bounding_box()
    assert aimed == unfocused  # the focus alone moves nothing
    assert aimed is not None
    page.mouse.move(aimed["x"] + aimed["width"] / 2, aimed["y"] + aimed["height"] / 2)
    page.mouse.down()
    assert button.bounding_box() == aimed
    page.mouse.up()
    page.wait_for_url("**/admin/new-entry?log=*")
    ctx.close()
    assert not errors, errors


def test_the_answers_to_check_fit_every_screen_and_enter_in_the_entry_box_previews_the_alternate(
    browser: Browser, app: FastAPI, site: str
) -> None:
    # Six columns (the question, the entry answered, its probability, 👎 and comments, the time, the actions):
    # their widths once made the page scroll sideways on a 1280-pixel screen, then from 1041 to ~1170 pixels,
    # and ran over the edge of their box at 1280.
    _ask(app, site, ["クレジットカードは使えますか", "パスワードを変更できますか"])
    for width, height in [*PHONES, (1041, 800), (1100, 800), (1181, 800), (1280, 800), (1920, 1080)]:
        ctx, page, errors = _staff_page(browser, site, width, height)
        page.goto(site + "/admin/answers?days=0&below=100")
        expect(page.locator("table.answers tbody tr")).to_have_count(2)
        assert page.evaluate(SIDEWAYS) == 0, (width, height)
        inside = """() => { const t = document.querySelector('table.answers').getBoundingClientRect();
          const s = document.querySelector('table.answers').closest('section').getBoundingClientRect();
          return t.right <= s.right + 0.5 && t.left >= s.left - 0.5; }"""
        assert page.evaluate(inside), (width, height)
        if width == 1280:
            row = page.locator("table.answers tbody tr").first
            # Thirty rows of the same two buttons: each is described by its row's question.
            question = row.locator(".clamp").inner_text()
            buttons = ("言い換えとして追加（確認へ）", "新しいFAQとして作る", "回答は正しい（確認済みにする）",
                       "対応不要にする")  # fmt: skip
            for name in buttons:
                expect(row.get_by_role("button", name=name)).to_have_accessible_description(question)
            box = row.get_by_label("答えるべきFAQの番号")
            box.fill("5")
            # Enter sends the form's first button: the alternate (refused here: the question is another entry's
            # own), never 「回答は正しい（確認済みにする）」, which would take the answer off the list.
            box.press("Enter")
            expect(page.get_by_role("alert")).to_contain_text("追加できませんでした")
            page.get_by_role("link", name="戻る").click()  # back to the same list, nothing taken off it
            expect(page.locator("table.answers tbody tr")).to_have_count(2)
            assert page.url.endswith("/admin/answers?days=0&below=100&page=1")
        ctx.close()
        assert not errors, errors


def test_on_a_phone_the_batch_report_never_scrolls_sideways(browser: Browser, site: str) -> None:
    # A question of one long word widened the results table, and with it the page (held sideways, or on a
    # tablet); a wide table now scrolls in its own box.
    questions = f"質問\t正解\n請求書はいつ発行されますか\t1\n{LONG_WORD}\t\n見積を作りたい\t3\n社員食堂はありますか\t\n"
    for width, height in PHONES:
        ctx, page, errors = _staff_page(browser, site, width, height)
        page.goto(site + "/admin/batch")
        page.get_by_label("または貼り付け").fill(questions)
        page.get_by_role("button", name="実行").click()
        page.get_by_role("heading", name="結果一覧").wait_for()
        assert page.locator("table.results").get_by_role("row").count() == 5
        assert page.evaluate(SIDEWAYS) == 0, (width, height)
        # The figures two to a line on a narrow phone: squeezed into four columns, the thresholds' cell was
        # eight lines tall.
        thresholds = page.locator("table.metrics td", has_text="もしかして").bounding_box()
        assert thresholds and thresholds["height"] < 110 and thresholds["width"] >= 120, (width, thresholds)
        ctx.close()
        assert not errors, errors


def test_the_batch_results_sort_by_a_column_heading_from_the_keyboard_too(browser: Browser, site: str) -> None:
    questions = "質問\t正解\n請求書はいつ発行されますか\t1\n社員食堂はありますか\t\n見積を作りたい\t3\n退会したい\t\n"
    ctx, page, errors = _staff_page(browser, site)
    page.goto(site + "/admin/batch")
    page.get_by_label("または貼り付け").fill(questions)
    page.get_by_role("button", name="実行").click()
    page.get_by_role("heading", name="結果一覧").wait_for()
    table = page.locator("table.results")

    def column(n: int) -> list[str]:
        return [c.strip() for c in table.locator(f"tbody tr td:nth-child({n})").all_inner_texts()]

    def percents() -> list[float]:
        return [float(p.rstrip("%")) for p in column(6)]

    in_file_order = column(1)
    expect(table.locator("th[aria-sort='ascending']")).to_have_text("質問")  # as it comes: the file's order
    heading = table.get_by_role("button", name="確率")
    heading.click()
    assert percents() == sorted(percents()) and len(set(percents())) > 1
    expect(table.locator("th[aria-sort='ascending']")).to_have_text("確率")
    heading.focus()
    page.keyboard.press("Enter")  # a button: Enter sorts again, the other way
    assert percents() == sorted(percents(), reverse=True)
    expect(table.locator("th[aria-sort='descending']")).to_have_text("確率")
    rank = table.get_by_role("button", name="期待の順位")
    rank.click()
    rank.click()  # descending: the rows without a rank (「-」, questions for a person) stay last either way
    ranks = column(5)
    assert ranks[-1] == "-" and ranks[0] != "-" and ranks.index("-") == len(ranks) - ranks.count("-")
    table.get_by_role("button", name="質問").click()  # the file's order again (by line)
    assert column(1) == in_file_order and "2行目" in in_file_order[0]
    assert table.locator("th[aria-sort]").count() == 1
    table.get_by_role("button", name="質問").click()  # pressed again: the other way
    assert column(1) == in_file_order[::-1]
    ctx.close()
    assert not errors, errors
