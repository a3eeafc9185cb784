"""The editors' and staff pages in Debian's headless Chromium (issue 14, items 5-9): what an editor sees and clicks."""

from __future__ import annotations

import io
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from pydantic import SecretStr

from faq_bot.config import PROJECT_ROOT, Settings
from faq_bot.errors import ModelError
from faq_bot.model.embedder import Vectors
from faq_bot.service.app import create_app
from tests.conftest import ADMIN_AUTH, ADMIN_TOKEN, SMALL_FAQ, write
from tests.fakes import FakeEmbedder
from tests.servers import uvicorn_thread
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser]
SCREENSHOTS = os.environ.get("FAQ_BOT_UPDATE_SCREENSHOT")


@pytest.fixture
def admin_app(settings: Settings, tmp_path: Path) -> FastAPI:
    regression = write(tmp_path / "regression.tsv", "query\tgold\n請求書の発行日はいつ\t1\n見積を作りたい\t3\n")
    s = settings.model_copy(
        update={"log_path": tmp_path / "log.sqlite3", "admin_token": SecretStr(ADMIN_TOKEN),
                "regression_path": regression}
    )  # fmt: skip
    return create_app(s, FakeEmbedder())


@pytest.fixture
def site(admin_app: FastAPI) -> Iterator[str]:
    with uvicorn_thread(admin_app) as url:
        yield url


@pytest.fixture
def admin(browser: object, site: str) -> Iterator[object]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")  # type: ignore[attr-defined]
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(pg, site)
    yield pg
    ctx.close()
    assert not errors, errors


def _log_in(page: object, site: str) -> None:
    """Log in through the form, as an editor does, and wait for the admin page."""
    page.goto(site + "/admin/login")  # type: ignore[attr-defined]
    page.get_by_label("管理トークン").fill(ADMIN_TOKEN)  # type: ignore[attr-defined]
    page.get_by_role("button", name="ログイン").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="公開中のFAQ").wait_for()  # type: ignore[attr-defined]


def _shot(page: object, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(PROJECT_ROOT / "docs" / name), full_page=True)  # type: ignore[attr-defined]


def test_an_uploaded_file_shows_old_and_new_side_by_side_with_marked_characters(admin: object, tmp_path: Path) -> None:
    new = SMALL_FAQ.replace("毎月10日頃に発行します。", "毎月15日頃に発行いたします。").replace(
        "6\t会員", "6\t会員情報"
    )
    admin.locator("#file").set_input_files(str(write(tmp_path / "new.tsv", new)))  # type: ignore[attr-defined]
    admin.get_by_role("button", name="検証して差分を表示").click()  # type: ignore[attr-defined]
    change = admin.get_by_role("article", name="FAQ 1 の変更")  # type: ignore[attr-defined]
    row = change.get_by_role("row", name="回答")
    expect(row.locator("td.old del")).to_have_text(["10"])  # waits for the streamed result (a number marked whole)
    expect(row.locator("td.new ins")).to_have_text(["15", "いた"])
    assert "変更された項目" not in admin.content()  # type: ignore[attr-defined]
    category = admin.get_by_role("article", name="FAQ 6 の変更").get_by_role("row", name="分類")  # type: ignore[attr-defined]
    assert category.locator("td.new ins").inner_text() == "情報"
    _shot(admin, "admin-diff.png")  # item 5


def test_an_editor_edits_one_entry_sees_the_diff_and_regressions_and_publishes(admin: object, site: str) -> None:
    admin.get_by_role("navigation").get_by_role("link", name="FAQの編集").click()  # type: ignore[attr-defined]
    admin.get_by_role("link", name="FAQ 3 を編集").click()  # type: ignore[attr-defined]
    admin.get_by_label("回答").fill("カート画面の[見積書を作成]から見積書(PDF)を作成できます。")  # type: ignore[attr-defined]
    admin.get_by_label("言い換え（1行に1つ）").fill("見積を作りたい\nquotation\n見積書が欲しい")  # type: ignore[attr-defined]
    admin.get_by_label("分類").fill("見積・注文")  # type: ignore[attr-defined]
    admin.get_by_role("button", name="差分と回帰テストを確認").click()  # type: ignore[attr-defined]
    change = admin.get_by_role("article", name="FAQ 3 の変更")  # type: ignore[attr-defined]
    alternates = change.get_by_role("row", name="言い換え").locator("td.new .line")  # one to a line
    alternates.last.wait_for()
    assert alternates.all_inner_texts() == ["見積を作りたい", "quotation", "見積書が欲しい"]
    assert alternates.nth(2).locator("ins").inner_text() == "見積書が欲しい"  # the one added
    assert change.get_by_role("row", name="分類").locator("td.new ins").inner_text() == "・注文"
    assert admin.get_by_role("heading", name="回帰テスト（2問）").is_visible()  # type: ignore[attr-defined]
    assert "文字コード" not in admin.locator(".preview").inner_text()  # type: ignore[attr-defined]  # no file here
    assert httpx.get(site + "/api/faqs/3").json()["answer"] == "カート画面から見積書を作成できます。"  # not yet
    _shot(admin, "entry-editor.png")  # item 7
    admin.get_by_role("button", name="この内容で公開する").click()  # type: ignore[attr-defined]
    admin.get_by_text("公開しました（").wait_for()  # type: ignore[attr-defined]
    published = httpx.get(site + "/api/faqs/3").json()
    assert published["answer"].startswith("カート画面の[見積書を作成]") and published["category"] == "見積・注文"
    assert admin.get_by_role("heading", name="FAQ 3 を公開しました").is_visible()  # type: ignore[attr-defined]
    admin.get_by_role("link", name="FAQの一覧に戻る").click()  # type: ignore[attr-defined]  # back where editing goes on
    admin.get_by_role("heading", name="FAQの編集（6件）").wait_for()  # type: ignore[attr-defined]
    admin.get_by_role("navigation").get_by_role("link", name="FAQの公開").click()  # type: ignore[attr-defined]
    assert "FAQ 3 の編集（管理画面）" in admin.locator("#versions-h + table").inner_text()  # type: ignore[attr-defined]


def test_back_and_reload_after_a_form_open_pages_instead_of_sending_the_form_again(admin: object, site: str) -> None:
    # Each step of a publish is a form's answer (a POST). Left in the history as such, the back button past the
    # published page asked the browser to send the preview's form again (「フォームの再送信」) instead of a page.
    admin.goto(site + "/admin/entries/3")  # type: ignore[attr-defined]
    admin.get_by_label("回答").fill("カート画面から見積書(PDF)を作成できます。")  # type: ignore[attr-defined]
    admin.get_by_role("button", name="差分と回帰テストを確認").click()  # type: ignore[attr-defined]
    admin.get_by_role("button", name="この内容で公開する").click()  # type: ignore[attr-defined]
    admin.get_by_role("heading", name="FAQ 3 を公開しました").wait_for()  # type: ignore[attr-defined]
    # kept in the history as the page it leads on (the entry), titled as what it became, not 「公開しています」
    expect(admin).to_have_url(site + "/admin/entries/3")  # type: ignore[arg-type]
    expect(admin).to_have_title("FAQ 3 を公開しました - faq-bot")  # type: ignore[arg-type]
    # Back to the preview: the browser shows it again (from its cache) or opens its address; a reload there opens
    # the page its form was sent from, the entry, with what was published.
    admin.go_back(wait_until="commit")  # type: ignore[attr-defined]
    expect(admin).to_have_url(re.compile(re.escape(site) + r"/admin/(ui/)?entries/3"))  # type: ignore[arg-type]
    again = admin.reload()  # type: ignore[attr-defined]
    assert again is not None and again.request.method == "GET" and again.ok
    assert admin.url == site + "/admin/entries/3"  # type: ignore[attr-defined]
    expect(admin.get_by_label("回答")).to_have_value("カート画面から見積書(PDF)を作成できます。")  # type: ignore[attr-defined]
    # A batch run's report is kept at an address of its own: a reload shows it again, not an empty form.
    admin.goto(site + "/admin/batch")  # type: ignore[attr-defined]
    admin.get_by_label("または貼り付け").fill("質問\t正解\n請求書はいつ発行されますか\t1\n社員食堂はありますか\t\n")  # type: ignore[attr-defined]
    admin.get_by_role("button", name="実行").click()  # type: ignore[attr-defined]
    admin.get_by_role("heading", name="結果一覧").wait_for()  # type: ignore[attr-defined]
    assert re.fullmatch(re.escape(site) + r"/admin/batch/[0-9a-f]{32}", admin.url)  # type: ignore[attr-defined]
    expect(admin).to_have_title("一括テスト - faq-bot")  # type: ignore[arg-type]  # not 「…を実行しています」
    again = admin.reload()  # type: ignore[attr-defined]
    assert again is not None and again.request.method == "GET" and again.ok
    assert admin.locator("table.results tbody tr").count() == 2  # type: ignore[attr-defined]
    assert "社員食堂はありますか" in admin.get_by_label("または貼り付け").input_value()  # type: ignore[attr-defined]
    heading = admin.locator("table.results").get_by_role("button", name="確率")  # type: ignore[attr-defined]
    heading.click()  # the page's script runs on the report shown again too
    expect(admin.locator("table.results th[aria-sort='ascending']")).to_have_text("確率")  # type: ignore[attr-defined]


def test_a_failed_login_reloaded_opens_the_login_page_and_sends_no_token(browser: object, site: str) -> None:
    ctx = browser.new_context(locale="ja-JP")  # type: ignore[attr-defined]
    page = ctx.new_page()
    page.goto(site + "/admin/login?next=/admin/batch")
    page.get_by_label("管理トークン").fill("not-the-token-0123456789")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("alert")).to_contain_text("トークンが正しくありません")
    expect(page).to_have_url(site + "/admin/login?next=%2Fadmin%2Fbatch")  # a page, not the form sent
    again = page.reload()
    assert again is not None and again.request.method == "GET"  # no second failed login counted
    page.get_by_label("管理トークン").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="一括テスト").wait_for()  # still on to the page asked for
    ctx.close()


def test_a_workbook_uploads_and_the_excel_downloads_are_offered(admin: object, site: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    assert (
        admin.get_by_role("link", name="TSV（Excel用・BOM付きUTF-8）").get_attribute("href") == "/admin/faq.tsv?excel=1"
    )  # type: ignore[attr-defined]
    with admin.expect_download() as download:  # type: ignore[attr-defined]
        admin.get_by_role("link", name="Excel（.xlsx）").click()  # type: ignore[attr-defined]
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    book.worksheets[0]["D3"] = "マイページの請求一覧からPDFで出力できます〜。"
    path = tmp_path / "faq.xlsx"
    book.save(path)
    admin.locator("#file").set_input_files(str(path))  # type: ignore[attr-defined]
    admin.get_by_role("button", name="検証して差分を表示").click()  # type: ignore[attr-defined]
    assert "形式: Excel (.xlsx)" in admin.locator(".preview").inner_text()  # type: ignore[attr-defined]
    # A keyboard user starts at the preview, not at the top of the page: Tab goes on through it to 公開.
    admin.wait_for_function("document.activeElement && document.activeElement.id === 'preview-h'")  # type: ignore[attr-defined]
    assert admin.get_by_role("article", name="FAQ 2 の変更").locator("ins").inner_text() == "〜"  # type: ignore[attr-defined]
    out = io.BytesIO()
    book.worksheets[0]["C4"] = None
    book.save(out)
    path.write_bytes(out.getvalue())
    admin.locator("#file").set_input_files(str(path))  # type: ignore[attr-defined]
    admin.get_by_role("button", name="検証して差分を表示").click()  # type: ignore[attr-defined]
    problem = admin.locator("table.problems tbody tr").first  # type: ignore[attr-defined]
    problem.wait_for()
    assert problem.locator("td").all_inner_texts()[:3] == ["4", "C列（質問）", "質問が空です。"]


def test_an_old_download_uploaded_after_a_colleagues_publish_is_merged_with_a_choice_for_each_conflict(
    admin: object, site: str, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    with admin.expect_download() as download:  # type: ignore[attr-defined]
        admin.get_by_role("link", name="Excel（.xlsx）").click()  # type: ignore[attr-defined]
    colleague = (
        SMALL_FAQ.replace("毎月10日頃に発行します。", "毎月15日頃に発行します。")
        + "7\t会員\t退会できますか\tはい。\t\n"
    )
    assert httpx.post(site + "/admin/faq", files={"file": ("c.tsv", colleague.encode())}, headers=ADMIN_AUTH).is_success
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    book.worksheets[0]["D2"] = "毎月20日頃に発行します。"  # entry 1, which the colleague changed too
    path = tmp_path / "mine.xlsx"
    book.save(path)
    admin.locator("#file").set_input_files(str(path))  # type: ignore[attr-defined]
    admin.get_by_role("button", name="検証して差分を表示").click()  # type: ignore[attr-defined]
    drift = admin.locator(".drift")  # type: ignore[attr-defined]
    expect(drift).to_contain_text("その後に追加されたFAQです。このファイルにないため、削除されます。")
    merge = drift.get_by_role("button", name="このファイルで変えたFAQだけを公開中のFAQに反映する（確認へ）")
    merge.click()  # nothing chosen for entry 1: the browser asks first, nothing is sent
    assert drift.get_by_label("公開中の内容を残す").evaluate("e => !e.checkValidity()")
    drift.get_by_label("このファイルの内容にする").check()
    merge.click()
    expect(admin.locator(".preview .notice")).to_contain_text("id 1: 選んだとおり、このファイルの内容にします。")  # type: ignore[attr-defined]
    admin.get_by_role("button", name="この内容で公開する").click()  # type: ignore[attr-defined]
    admin.get_by_text("公開しました（").wait_for()  # type: ignore[attr-defined]
    assert httpx.get(site + "/api/faqs/1").json()["answer"] == "毎月20日頃に発行します。"
    assert httpx.get(site + "/api/faqs/7").status_code == 200  # the colleague's entry is still there


def test_adding_an_alternate_previews_first_then_the_group_leaves_the_list(admin: object, site: str) -> None:
    for message in ("社員食堂はありますか", "社員食堂はありますか", "あいうえおかきくけこ"):
        httpx.post(site + "/api/chat", json={"message": message})
    admin.goto(site + "/admin/log")  # type: ignore[attr-defined]
    rows = admin.locator("table.groups tbody tr")  # type: ignore[attr-defined]
    junk = rows.filter(has_text="あいうえおかきくけこ")
    assert junk.get_by_label("追加先のFAQ").input_value() == ""  # nothing pre-selected for junk
    canteen = rows.filter(has_text="社員食堂はありますか")
    pick, hint = canteen.get_by_label("追加先のFAQ"), canteen.locator(".hint")
    pick.fill("")
    pick.press_sequentially("銀行")  # a search, as the placeholder invites: no verdict while it is typed
    expect(hint).to_have_text("")
    pick.press("Tab")  # left without a pick
    expect(hint).to_have_text("候補からFAQを選んでください（番号か質問の一部を入力すると候補が出ます）")
    pick.fill("99")
    expect(hint).to_have_text("")
    pick.press("Tab")
    expect(hint).to_have_text("一覧にないFAQ番号です（番号か質問の一部を入力すると候補が出ます）")
    pick.fill("5")  # the choice, by its question, worded as the server words the entry it pre-selects
    expect(hint).to_have_text("追加先: FAQ 5「銀行振込はできますか」")
    # a live region, rendered while it is empty too: one that is not may go unannounced when it first changes
    assert junk.locator(".hint").text_content() == ""
    assert junk.locator(".hint").evaluate("e => getComputedStyle(e).display") != "none"
    canteen.get_by_role("button", name="言い換えとして追加（確認へ）").click()
    admin.get_by_role("heading", name="「社員食堂はありますか」をFAQ 5 の言い換えに追加").wait_for()  # type: ignore[attr-defined]
    assert httpx.get(site + "/api/faqs/5").json()["question"] == "銀行振込はできますか"
    assert "社員食堂はありますか" not in str(httpx.post(site + "/api/chat", json={"message": "x"}).json())
    admin.get_by_role("button", name="この内容で公開する").click()  # type: ignore[attr-defined]
    admin.get_by_text("公開しました（").wait_for()  # type: ignore[attr-defined]
    admin.goto(site + "/admin/log")  # type: ignore[attr-defined]
    assert admin.locator("table.groups tbody tr").filter(has_text="社員食堂").count() == 0  # type: ignore[attr-defined]
    junk = admin.locator("table.groups tbody tr").filter(has_text="あいうえおかきくけこ")  # type: ignore[attr-defined]
    junk.get_by_role("button", name="対応不要にする").click()
    admin.get_by_text("対応不要にしました").wait_for()  # type: ignore[attr-defined]
    assert admin.locator("table.groups tbody tr").filter(has_text="あいうえお").count() == 0  # type: ignore[attr-defined]


def _end_session_elsewhere(page: object, site: str) -> None:
    """The editor's session ends while a page is open: here by logging out in another tab of the same browser."""
    other = page.context.new_page()  # type: ignore[attr-defined]
    other.goto(site + "/admin")
    other.get_by_role("button", name="ログアウト").click()
    other.get_by_text("ログアウトしました。").wait_for()
    other.close()


def test_an_edit_typed_while_the_session_ended_comes_back_after_logging_in_until_it_is_published(
    admin: object, site: str
) -> None:
    answer = "カート画面の[見積書を作成]から、見積書(PDF)をいつでも作成できます。" * 5
    admin.goto(site + "/admin/entries/3")  # type: ignore[attr-defined]
    admin.get_by_label("回答").fill(answer)  # type: ignore[attr-defined]
    admin.get_by_label("言い換え（1行に1つ）").fill("見積を作りたい\nquotation\n見積書が欲しい")  # type: ignore[attr-defined]
    _end_session_elsewhere(admin, site)
    admin.get_by_role("button", name="差分と回帰テストを確認").click()  # type: ignore[attr-defined]
    admin.get_by_text("ログインするとその画面に復元されます").wait_for()  # type: ignore[attr-defined]
    admin.get_by_label("管理トークン").fill(ADMIN_TOKEN)  # type: ignore[attr-defined]
    admin.get_by_role("button", name="ログイン").click()  # type: ignore[attr-defined]
    admin.get_by_role("heading", name="FAQ 3 の編集").wait_for()  # type: ignore[attr-defined]
    expect(admin.get_by_label("回答")).to_have_value(answer)  # type: ignore[attr-defined]  # nothing typed is lost
    expect(admin.get_by_label("言い換え（1行に1つ）")).to_have_value("見積を作りたい\nquotation\n見積書が欲しい")  # type: ignore[attr-defined]
    expect(admin.get_by_role("status")).to_contain_text("まだ公開していない編集内容")  # type: ignore[attr-defined]
    assert httpx.get(site + "/api/faqs/3").json()["answer"] == "カート画面から見積書を作成できます。"  # not yet
    admin.get_by_role("button", name="差分と回帰テストを確認").click()  # type: ignore[attr-defined]
    admin.get_by_role("button", name="この内容で公開する").click()  # type: ignore[attr-defined]
    admin.get_by_role("heading", name="FAQ 3 を公開しました").wait_for()  # type: ignore[attr-defined]
    assert httpx.get(site + "/api/faqs/3").json()["answer"] == answer
    assert admin.evaluate("sessionStorage.length") == 0  # type: ignore[attr-defined]  # published: the draft is done
    admin.get_by_role("link", name="FAQ 3 をもう一度開く").click()  # type: ignore[attr-defined]
    expect(admin.get_by_label("回答")).to_have_value(answer)  # type: ignore[attr-defined]
    assert admin.locator("div.draft").count() == 0  # type: ignore[attr-defined]


def test_a_new_entry_made_from_the_log_keeps_its_draft_through_an_ended_session_and_answers_the_question(
    admin: object, site: str
) -> None:
    asked = "社員食堂はありますか"
    httpx.post(site + "/api/chat", json={"message": asked})
    admin.goto(site + "/admin/log?days=7")  # type: ignore[attr-defined]
    admin.get_by_role("button", name="新しいFAQとして作る").click()  # type: ignore[attr-defined]
    admin.get_by_role("heading", name="新しいFAQの追加").wait_for()  # type: ignore[attr-defined]
    expect(admin.get_by_label("質問")).to_have_value(asked)  # type: ignore[attr-defined]
    admin.get_by_label("回答").fill("社員食堂はございません。近隣の飲食店をご利用ください。")  # type: ignore[attr-defined]
    _end_session_elsewhere(admin, site)
    admin.get_by_role("button", name="差分と回帰テストを確認").click()  # type: ignore[attr-defined]
    admin.get_by_label("管理トークン").fill(ADMIN_TOKEN)  # type: ignore[attr-defined]
    admin.get_by_role("button", name="ログイン").click()  # type: ignore[attr-defined]
    # Back at the same form, made from the same question, with what was typed put back.
    admin.get_by_text("質問ログの質問から作っています").wait_for()  # type: ignore[attr-defined]
    expect(admin.get_by_label("質問")).to_have_value(asked)  # type: ignore[attr-defined]
    expect(admin.get_by_label("回答")).to_have_value("社員食堂はございません。近隣の飲食店をご利用ください。")  # type: ignore[attr-defined]
    admin.get_by_role("button", name="差分と回帰テストを確認").click()  # type: ignore[attr-defined]
    admin.get_by_role("button", name="この内容で公開する").click()  # type: ignore[attr-defined]
    admin.get_by_role("heading", name="FAQ 7 を追加しました").wait_for()  # type: ignore[attr-defined]
    expect(admin.get_by_role("status")).to_contain_text("1件の質問にFAQ 7 で回答するようになり")  # type: ignore[attr-defined]
    assert admin.evaluate("sessionStorage.length") == 0  # type: ignore[attr-defined]  # published: the draft is done
    assert httpx.post(site + "/api/chat", json={"message": asked}).json()["entry"]["id"] == "7"
    admin.get_by_role("link", name="質問ログに戻る").click()  # type: ignore[attr-defined]
    assert admin.locator("table.groups tbody tr").filter(has_text=asked).count() == 0  # type: ignore[attr-defined]


def test_a_new_entry_adds_the_groups_other_wordings_to_its_alternates_with_a_button_each(
    admin: object, site: str, admin_app: FastAPI
) -> None:
    asked = "社員食堂の営業時間と場所とメニューと料金について教えてください"  # one group for the fake encoder
    for message in (asked, asked, f"{asked}。", f"{asked} 090-1111-2222"):
        httpx.post(site + "/api/chat", json={"message": message})
    assert admin_app.state.log_writer.flush(timeout=30)

    def grouped() -> bool:  # (encoded in the background)
        admin.goto(site + "/admin/log?days=7")  # type: ignore[attr-defined]
        return "答えられなかった質問 4件（1グループ）" in admin.content()  # type: ignore[attr-defined]

    wait_until(grouped, what="the four questions grouped")
    admin.get_by_role("button", name="新しいFAQとして作る").click()  # type: ignore[attr-defined]
    admin.get_by_role("heading", name="新しいFAQの追加").wait_for()  # type: ignore[attr-defined]
    admin.get_by_text("同じグループのほかの聞き方").click()  # type: ignore[attr-defined]
    masked = admin.locator("details.other-wordings li").filter(has_text="[電話番号]")  # type: ignore[attr-defined]
    expect(masked).to_contain_text("伏せた個人情報を含むため")
    assert masked.get_by_role("button").count() == 0  # nothing to add that a preview would refuse
    add = admin.get_by_role("button", name=f"「{asked}。」を言い換えに加える")  # type: ignore[attr-defined]
    add.click()
    alternates = admin.get_by_label("言い換え（1行に1つ）")  # type: ignore[attr-defined]
    expect(alternates).to_have_value(f"{asked}。")
    expect(add).to_be_disabled()
    expect(add).to_have_text("言い換えにあります")
    alternates.fill("")  # taken out by hand: it can be added again
    expect(add).to_be_enabled()
    alternates.fill("ほかの言い換え\n")
    add.click()
    expect(alternates).to_have_value(f"ほかの言い換え\n{asked}。")  # a line of its own, after what was there


def test_on_a_phone_an_entrys_preview_is_in_view_once_it_is_shown(browser: object, site: str) -> None:
    ctx = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 800}, locale="ja-JP", is_mobile=True, has_touch=True
    )
    phone = ctx.new_page()
    _log_in(phone, site)
    phone.goto(site + "/admin/entries/3")
    phone.get_by_label("回答").fill("カート画面から見積書を作成できます。")  # the form: most of a phone's screen
    phone.get_by_label("言い換え（1行に1つ）").fill(
        "\n".join(f"見積書の作り方その{n}" for n in range(12))
    )  # a long diff
    phone.get_by_role("button", name="差分と回帰テストを確認").click()
    heading = phone.locator("#preview-h")
    heading.wait_for()
    phone.wait_for_load_state("load")
    expect(heading).to_be_in_viewport(ratio=1)
    # at the top half of the screen, with the diff under it in view (or the page scrolled to its end)
    shown = (
        "h => h.getBoundingClientRect().top < innerHeight / 2 || scrollY + innerHeight >= document.body.scrollHeight"
    )
    assert heading.evaluate(shown) and phone.evaluate("scrollY") > 0
    ctx.close()


def test_a_draft_is_not_put_back_unasked_over_an_entry_someone_else_published_since(admin: object, site: str) -> None:
    admin.goto(site + "/admin/entries/3")  # type: ignore[attr-defined]
    admin.get_by_label("回答").fill("わたしの編集です。")  # type: ignore[attr-defined]
    theirs = SMALL_FAQ.replace("カート画面から見積書を作成できます。", "見積書はカート画面で作れます。")
    published = httpx.post(site + "/admin/faq", files={"file": ("faq.tsv", theirs.encode())}, headers=ADMIN_AUTH)
    assert published.status_code == 200  # another editor published entry 3 meanwhile
    admin.reload()  # type: ignore[attr-defined]
    offer = admin.locator("div.draft")  # type: ignore[attr-defined]
    expect(offer).to_contain_text("ただし、その後ほかの人がこのFAQを変更して公開しました")
    expect(admin.get_by_label("回答")).to_have_value("見積書はカート画面で作れます。")  # type: ignore[attr-defined]
    offer.get_by_role("button", name="入力していた内容を復元する").click()
    expect(admin.get_by_label("回答")).to_have_value("わたしの編集です。")  # type: ignore[attr-defined]
    # the page no longer shows the other editor's version: the preview's diff is where to compare
    expect(offer).to_contain_text("「差分と回帰テストを確認」で、ほかの人の変更を上書きしていないか確かめてから公開")
    offer.get_by_role("button", name="復元を取り消す（公開中の内容に戻す）").click()
    expect(admin.get_by_label("回答")).to_have_value("見積書はカート画面で作れます。")  # type: ignore[attr-defined]
    assert admin.evaluate("sessionStorage.length") == 0  # type: ignore[attr-defined]


#: The draft of entry 3 as admin.js keeps it in sessionStorage.
DRAFT_OF_3 = "faq-bot:draft:entry:3"


def test_a_restored_draft_still_says_when_it_was_typed(admin: object, site: str) -> None:
    admin.goto(site + "/admin/entries/3")  # type: ignore[attr-defined]
    admin.get_by_label("回答").fill("わたしの編集です。")  # type: ignore[attr-defined]
    typed = admin.evaluate(  # type: ignore[attr-defined]
        """key => { const d = JSON.parse(sessionStorage.getItem(key)); d.at = new Date(2026, 0, 2, 3, 4).getTime();
          sessionStorage.setItem(key, JSON.stringify(d)); return d.at; }""",
        DRAFT_OF_3,
    )
    for _ in range(2):  # restored, then restored again: still when it was typed, not when it was put back
        admin.reload()  # type: ignore[attr-defined]
        expect(admin.get_by_role("status")).to_contain_text("まだ公開していない編集内容（1月2日 3:04の入力）")  # type: ignore[attr-defined]
        expect(admin.get_by_label("回答")).to_have_value("わたしの編集です。")  # type: ignore[attr-defined]
        assert admin.evaluate("key => JSON.parse(sessionStorage.getItem(key)).at", DRAFT_OF_3) == typed  # type: ignore[attr-defined]


def test_logging_out_forgets_the_drafts_typed_in_that_tab(admin: object, site: str) -> None:
    # On a shared PC the next editor must not be offered the last one's text (a session that merely ended keeps it:
    # test_an_edit_typed_while_the_session_ended_comes_back_after_logging_in_until_it_is_published).
    admin.goto(site + "/admin/entries/3")  # type: ignore[attr-defined]
    admin.get_by_label("回答").fill("前の人の編集です。")  # type: ignore[attr-defined]
    admin.evaluate("sessionStorage.setItem('another-site-key', 'kept')")  # type: ignore[attr-defined]
    assert admin.evaluate("key => sessionStorage.getItem(key) !== null", DRAFT_OF_3)  # type: ignore[attr-defined]
    admin.get_by_role("button", name="ログアウト").click()  # type: ignore[attr-defined]
    admin.get_by_text("ログアウトしました。").wait_for()  # type: ignore[attr-defined]
    assert admin.evaluate("Object.keys(sessionStorage)") == ["another-site-key"]  # type: ignore[attr-defined]
    _log_in(admin, site)
    admin.goto(site + "/admin/entries/3")  # type: ignore[attr-defined]
    expect(admin.get_by_label("回答")).to_have_value("カート画面から見積書を作成できます。")  # type: ignore[attr-defined]
    assert admin.locator("div.draft").count() == 0  # type: ignore[attr-defined]


def test_the_failed_publish_banner_only_after_a_failed_publish(
    admin: object, admin_app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    banner = admin.get_by_text("直近の公開に失敗しました")  # type: ignore[attr-defined]
    admin.locator("#file").set_input_files(str(write(tmp_path / "bad.tsv", "id\tquestion\n1\tq\n")))  # type: ignore[attr-defined]
    admin.get_by_role("button", name="検証して差分を表示").click()  # type: ignore[attr-defined]
    admin.get_by_text("は公開できません").wait_for()  # type: ignore[attr-defined]
    assert banner.count() == 0  # a refused file is a validation, not a failed publish
    publisher = admin_app.state.publisher

    def broken_build(*args: object, **kwargs: object) -> None:
        raise ModelError("モデルファイルが読めません")

    monkeypatch.setattr(publisher.engine, "build", broken_build)
    with pytest.raises(ModelError):
        publisher.publish_bytes(SMALL_FAQ.replace("10日", "20日").encode(), "x")
    monkeypatch.undo()
    admin.reload()  # type: ignore[attr-defined]
    assert banner.is_visible()
    admin.locator("#file").set_input_files(str(write(tmp_path / "ok.tsv", SMALL_FAQ.replace("10日", "20日"))))  # type: ignore[attr-defined]
    admin.get_by_role("button", name="検証して差分を表示").click()  # type: ignore[attr-defined]
    admin.get_by_role("button", name="この内容で公開する").wait_for()  # type: ignore[attr-defined]
    assert banner.count() == 0


def test_a_long_action_shows_its_steps_then_only_the_result(admin: object, tmp_path: Path) -> None:
    new = SMALL_FAQ.replace("毎月10日頃に発行します。", "毎月20日頃に発行します。")
    admin.locator("#file").set_input_files(str(write(tmp_path / "new.tsv", new)))  # type: ignore[attr-defined]
    admin.get_by_role("button", name="検証して差分を表示").click()  # type: ignore[attr-defined]
    result = admin.locator(".result")  # type: ignore[attr-defined]
    result.wait_for()
    steps = admin.locator(".progress .step").all_inner_texts()  # type: ignore[attr-defined]
    assert any("ファイルを検証しています" in s for s in steps) and any("検索用の数値に変換" in s for s in steps)
    assert not admin.locator(".progress").is_visible()  # type: ignore[attr-defined]  # the result replaced it
    assert result.get_by_role("article", name="FAQ 1 の変更").is_visible()
    admin.get_by_role("button", name="この内容で公開する").click()  # type: ignore[attr-defined]
    published = admin.locator(".result .notice")  # type: ignore[attr-defined]
    published.wait_for()
    assert published.inner_text() == "公開しました（追加 0件・削除 0件・変更 1件）。"
    assert any("確認済みの内容を使います" in s for s in admin.locator(".progress .step").all_inner_texts())  # type: ignore[attr-defined]


class _GatedEmbedder(FakeEmbedder):
    """Encodes passages only once the test lets it (when ``gate`` is armed): a build that takes its time."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.gate = threading.Event()

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        if self.armed:
            assert self.gate.wait(30), "the test never let the build go on"
        return super().encode_passages(texts, progress)


def test_the_latest_step_is_in_view_while_a_long_action_is_still_running(
    browser: object, settings: Settings, tmp_path: Path
) -> None:
    embedder = _GatedEmbedder()
    s = settings.model_copy(update={"log_path": tmp_path / "log.sqlite3", "admin_token": SecretStr(ADMIN_TOKEN)})
    with uvicorn_thread(create_app(s, embedder)) as url:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")  # type: ignore[attr-defined]
        page = ctx.new_page()
        _log_in(page, url)
        embedder.armed = True
        try:
            new = SMALL_FAQ.replace("毎月10日頃に発行します。", "毎月25日頃に発行します。")
            page.locator("#file").set_input_files(str(write(tmp_path / "new.tsv", new)))
            page.get_by_role("button", name="検証して差分を表示").click()
            # The page is still arriving (the build waits): its newest step must be on screen.
            latest = page.locator(".progress .step", has_text="検索用の数値に変換")
            expect(latest.last).to_be_visible(timeout=15_000)
            assert page.locator(".result").count() == 0
            older = page.locator(".progress .step", has_text="ファイルを検証しています")
            box, over = older.bounding_box(), latest.last.bounding_box()
            assert box is not None and over is not None and box["y"] == over["y"]  # drawn over, not listed
        finally:
            embedder.gate.set()
        page.locator(".result").wait_for()
        assert not page.locator(".progress").is_visible()
        ctx.close()


def test_on_a_phone_the_decisions_contributions_fit_the_screen_with_their_bars(browser: object, site: str) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")  # type: ignore[attr-defined]
    page = ctx.new_page()
    _log_in(page, site)
    page.goto(site + "/admin/console?q=請求書の発行日はいつですか")
    tables = page.locator("table.contrib")
    assert tables.count() >= 1
    for i in range(tables.count()):
        table = tables.nth(i)
        table.evaluate("t => t.closest('details').open = true")
        # Nothing to scroll sideways, and every bar (with its zero line) inside the screen.
        assert table.evaluate("t => t.scrollWidth <= t.clientWidth + 1")
        for bar in table.locator("svg").all():
            box = bar.bounding_box()
            assert box is not None and box["width"] > 20 and box["x"] + box["width"] <= 390
    ctx.close()


@contextmanager
def _entry_3_of(browser: object, settings: Settings, faq: str, width: int) -> Iterator[Any]:
    """Entry 3's editing page of a server serving ``faq``, in a logged-in browser ``width`` pixels wide."""
    write(settings.faq_path, faq)
    app = create_app(settings.model_copy(update={"admin_token": SecretStr(ADMIN_TOKEN)}), FakeEmbedder())
    with uvicorn_thread(app) as site:
        ctx = browser.new_context(viewport={"width": width, "height": 800}, locale="ja-JP")  # type: ignore[attr-defined]
        page = ctx.new_page()
        _log_in(page, site)
        page.goto(site + "/admin/entries/3")
        yield page
        ctx.close()


def test_on_a_phone_a_long_question_shows_whole_in_its_box(browser: object, settings: Settings) -> None:
    # The question was a box of one line: on a phone a question of 40 characters showed its first 20.
    question = "見積書を作成したあとで、数量や納期を変更した見積書をもう一度作り直すことはできますか"
    with _entry_3_of(browser, settings, SMALL_FAQ.replace("見積書を発行できますか", question), 390) as page:
        box = page.get_by_label("質問")
        expect(box).to_have_value(question)
        size = box.evaluate("e => ({scroll: e.scrollHeight, client: e.clientHeight})")
        assert size["scroll"] <= size["client"] and size["client"] > 60, size  # several lines, all in sight
        box.fill("見積書は作れますか")  # a short one: one line again
        assert box.evaluate("e => e.clientHeight") < 45
        box.press("Enter")  # one line of text: Enter sends the form, as in a box of one line
        page.get_by_role("article", name="FAQ 3 の変更").wait_for()  # its preview
        expect(page.get_by_label("質問")).to_have_value("見積書は作れますか")


def test_the_entry_editors_boxes_show_all_their_text_in_whole_lines(
    browser: object, settings: Settings, tmp_path: Path
) -> None:
    # Six alternates and an answer of about ten wrapped lines: each box is as tall as its text (at least five
    # lines) and shows whole lines (with line-height "normal", a Japanese line was taller than the line rows=
    # counts, and the fifth alternate showed cut in half).
    alternates = "見積を作りたい|quotation|見積書が欲しい|見積もりの出し方|見積書をPDFで|見積の有効期限"
    answer = "カート画面の[見積書を作成]から見積書(PDF)を作成できます。" * 20
    faq = SMALL_FAQ.replace("見積を作りたい|quotation", alternates).replace(
        "カート画面から見積書を作成できます。", answer
    )
    with _entry_3_of(browser, settings, faq, 1280) as page:
        for box in ("#alternates", "#answer"):
            shown = page.locator(box).evaluate(
                """e => { const c = getComputedStyle(e);
                          return {line: parseFloat(c.lineHeight), scroll: e.scrollHeight, client: e.clientHeight,
                                  inner: e.clientHeight - parseFloat(c.paddingTop) - parseFloat(c.paddingBottom)}; }"""
            )
            lines = shown["inner"] / shown["line"] if shown["line"] else 0.0
            assert shown["scroll"] <= shown["client"], (box, shown)  # nothing to scroll to: all of it in sight
            assert lines >= 5 and lines == round(lines), (box, shown)  # whole lines, none cut in half
