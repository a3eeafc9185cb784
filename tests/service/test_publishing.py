from __future__ import annotations

import html
import io
import re
import threading
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from faq_bot.config import Settings
from tests.conftest import ADMIN_AUTH, ADMIN_TOKEN, SMALL_FAQ, app_client, csrf_of, form_fields
from tests.waiting import wait_until

NEW_FAQ = SMALL_FAQ + "7\t会員\t退会できますか\t退会はお問い合わせください。\t\n"


def upload(client: TestClient, data: bytes, dry_run: bool = False, headers: dict[str, str] = ADMIN_AUTH) -> Any:
    """POST a FAQ file to the upload API; the TestClient's response (httpx's or httpx2's, whichever it uses)."""
    return client.post(
        "/admin/faq" + ("?dry_run=1" if dry_run else ""), files={"file": ("faq.tsv", data)}, headers=headers
    )


def test_missing_token_is_401_and_wrong_token_403(admin_client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    assert admin_client.post("/admin/reload").status_code == 401
    assert (
        admin_client.post("/admin/reload", headers={"Authorization": "Bearer wrong-token-but-long"}).status_code == 403
    )
    assert admin_client.get("/admin/versions", headers={"Authorization": "Basic abc"}).status_code == 401
    assert "wrong token" in caplog.text and "wrong-token-but-long" not in caplog.text


def test_admin_is_disabled_without_a_token(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"log_path": tmp_path / "l.sqlite3", "admin_token": None})
    with app_client(s) as c:
        res = c.post("/admin/reload", headers=ADMIN_AUTH)
        assert res.status_code == 503 and "FAQ_BOT_ADMIN_TOKEN" in res.json()["detail"]
        assert "無効" in c.get("/admin/login").text


def test_upload_publishes_and_chat_answers_from_the_new_version(admin_client: TestClient) -> None:
    before = admin_client.post("/api/chat", json={"message": "退会できますか"}).json()
    res = upload(admin_client, NEW_FAQ.encode("cp932"))
    body = res.json()
    assert res.status_code == 200 and body["published"] and body["added"] == 1 and body["encoding"].startswith("CP932")
    after = admin_client.post("/api/chat", json={"message": "退会できますか"}).json()
    assert after["faq_version"] == body["version"]["faq_version"] != before["faq_version"]
    assert after["entry"]["id"] == "7"


def test_dry_run_shows_the_diff_without_publishing(admin_client: TestClient) -> None:
    version = admin_client.get("/readyz").json()["faq_version"]
    body = upload(admin_client, NEW_FAQ.encode(), dry_run=True).json()
    assert body["dry_run"] and not body["published"] and body["changes"][0]["kind"] == "added"
    assert admin_client.get("/readyz").json()["faq_version"] == version


def test_broken_upload_names_line_and_column_and_keeps_serving(admin_client: TestClient) -> None:
    version = admin_client.get("/readyz").json()["faq_version"]
    res = upload(admin_client, (SMALL_FAQ + "8\tc\t\t回答\t\n").encode())
    assert res.status_code == 422
    body = res.json()
    assert body["problems"] == [{"line": 8, "column": "質問", "message": "質問が空です。"}] and body["detail"]
    assert admin_client.get("/readyz").json()["faq_version"] == version


def test_versions_rollback_and_download(admin_client: TestClient) -> None:
    first = admin_client.get("/admin/versions", headers=ADMIN_AUTH).json()
    assert len(first) == 1 and first[0]["current"]
    upload(admin_client, NEW_FAQ.encode())
    versions = admin_client.get("/admin/versions", headers=ADMIN_AUTH).json()
    assert len(versions) == 2 and versions[0]["current"]
    rolled = admin_client.post("/admin/rollback", json={"build_id": first[0]["build_id"]}, headers=ADMIN_AUTH).json()
    assert rolled["current"] and admin_client.get("/readyz").json()["faq_version"] == first[0]["faq_version"]
    tsv = admin_client.get("/admin/faq.tsv", headers=ADMIN_AUTH)
    assert tsv.status_code == 200 and tsv.content == SMALL_FAQ.encode()
    assert admin_client.post("/admin/rollback", json={"build_id": "nope"}, headers=ADMIN_AUTH).status_code == 404
    # Both files published again: a build whose content a newer build has is offered no second way back to it.
    upload(admin_client, NEW_FAQ.encode())
    upload(admin_client, SMALL_FAQ.encode())
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    page = admin_client.get("/admin").text
    assert page.count("公開中と同じ内容") == 1 and page.count("新しい版と同じ内容") == 1
    assert page.count("このバージョンに戻す…") == 1  # the newer of NEW_FAQ's two builds


def test_reloads_under_concurrent_chat_load_fail_nothing_and_never_mix_versions(
    admin_client: TestClient, admin_settings: Settings
) -> None:
    """Visitors ask throughout while versions A and B are published in turn (with refused uploads between).

    Both versions must really be served during the run, and each reply's answer must be the one of the
    FAQ version that reply names.
    """
    answer_a, answer_b = "毎月10日頃に発行します。", "毎月20日頃に発行します（B版）。"
    tsv_a, tsv_b = SMALL_FAQ, SMALL_FAQ.replace(answer_a, answer_b)
    version_a = admin_client.get("/readyz").json()["faq_version"]
    answers = {version_a: answer_a}
    failures: list[str] = []
    replies: list[tuple[str, str | None, str]] = []  # (faq_version, entry id, answer), in arrival order
    stop = threading.Event()
    lock = threading.Lock()

    def visitor() -> None:
        while not stop.is_set():
            res = admin_client.post("/api/chat", json={"message": "請求書はいつ発行されますか"})
            with lock:
                if res.status_code != 200:
                    failures.append(res.text)
                else:
                    body = res.json()
                    replies.append((body["faq_version"], (body["entry"] or {}).get("id"), body["answer"]))

    def served_since(start: int, version: str) -> bool:
        with lock:
            return any(v == version for v, _, _ in replies[start:])

    threads = [threading.Thread(target=visitor) for _ in range(6)]
    for t in threads:
        t.start()
    try:
        wait_until(partial(served_since, 0, version_a), what="a reply from version A")
        for i in range(6):
            text, answer = (tsv_b, answer_b) if i % 2 == 0 else (tsv_a, answer_a)
            res = upload(admin_client, text.encode())
            assert res.status_code == 200 and res.json()["published"], res.text
            version = res.json()["version"]["faq_version"]
            answers[version] = answer
            with lock:
                published_at = len(replies)
            # Visitors must be answered from the version just published (not only from the old one).
            wait_until(partial(served_since, published_at, version), what=f"a reply from version {version}")
            assert upload(admin_client, b"id\tquestion\tanswer\n1\t\t\n").status_code == 422  # invalid in between
            admin_settings.faq_path.write_bytes(b"\xff broken")
            assert admin_client.post("/admin/reload", headers=ADMIN_AUTH).status_code == 422
            admin_settings.faq_path.write_text(text, encoding="utf-8")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures
    assert len(answers) == 2 and version_a in answers  # A and B (A published again gets A's version back)
    assert {v for v, _, _ in replies} == set(answers)  # both versions served, no third one
    mixed = [(v, a) for v, _, a in replies if a != answers[v]]
    assert not mixed, mixed[:5]
    assert {eid for _, eid, _ in replies} == {"1"}


def test_pages_need_login_and_csrf(admin_client: TestClient) -> None:
    assert admin_client.get("/admin", follow_redirects=False).headers["location"] == "/admin/login"
    bad = admin_client.post("/admin/login", data={"token": "not-the-token-at-all"})
    assert bad.status_code == 403 and "正しくありません" in bad.text
    ok = admin_client.post("/admin/login", data={"token": ADMIN_TOKEN}, follow_redirects=False)
    cookie = ok.headers["set-cookie"]
    assert ok.status_code == 303 and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    page = admin_client.get("/admin")
    assert page.status_code == 200 and "公開中のFAQ" in page.text
    no_csrf = admin_client.post("/admin/ui/reload", data={"csrf": "forged"})
    assert no_csrf.status_code == 403
    assert admin_client.post("/admin/ui/reload", data={"csrf": csrf_of(page.text)}).status_code == 200


def test_page_upload_shows_errors_next_to_their_lines_then_previews_and_publishes(admin_client: TestClient) -> None:
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    csrf = csrf_of(admin_client.get("/admin").text)
    broken = (SMALL_FAQ + "8\tc\t\t回答だけの行\t\n").encode()
    page = admin_client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", broken)})
    assert "質問が空です。" in page.text and "回答だけの行" in page.text and "<td>8</td>" in page.text
    memo = admin_client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.xlsx", "メモ\n".encode())})
    assert "Excelブック（.xlsx）として読めません" in memo.text and "見出し" not in memo.text  # one clear cause
    # a problem of the whole file is said as a sentence, not as a table row of 「-」 and an empty line's content
    said = memo.text.partition('<div class="error" role="alert">')[2].partition("</div>")[0]
    assert '<table class="problems">' not in said and re.search(r"<p>[^<]*Excelブック（.xlsx）として読めません", said)
    preview = admin_client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", NEW_FAQ.encode())})
    assert "追加 1件" in preview.text and "この内容で公開する" in preview.text
    staged = re.search(r'name="staged" value="([0-9a-f]{64})"', preview.text)
    assert staged
    done = admin_client.post("/admin/ui/publish", data={"csrf": csrf, "staged": staged.group(1)})
    assert "公開しました（" in done.text
    assert admin_client.post("/api/chat", json={"message": "退会できますか"}).json()["entry"]["id"] == "7"
    # The result page reloaded (the browser sends the form again): published already, not an error.
    again = admin_client.post("/admin/ui/publish", data={"csrf": csrf, "staged": staged.group(1)}).text
    assert "この内容はすでに公開されています" in again and "アップロードされたファイルが見つかりません" not in again


def test_a_reordered_file_is_previewed_as_such_published_and_its_category_buttons_follow(
    admin_client: TestClient,
) -> None:
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    csrf = csrf_of(admin_client.get("/admin").text)
    header, *rows = SMALL_FAQ.splitlines(keepends=True)
    reordered = "".join([header, rows[5], *rows[:5]]).encode()  # 6 (会員) moved to the top
    preview = admin_client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", reordered)}).text
    assert "公開中のFAQと同じ内容です" not in preview and "並び順が変わります" in preview
    assert "6「パスワードを変更できますか」" in preview and "公開後: 会員・請求・見積・支払い" in preview
    staged = re.search(r'name="staged" value="([0-9a-f]{64})"', preview)
    assert staged
    done = admin_client.post("/admin/ui/publish", data={"csrf": csrf, "staged": staged.group(1)}).text
    assert "並び順 1件" in done
    assert admin_client.get("/api/categories").json()["categories"] == ["会員", "請求", "見積", "支払い"]
    assert "追加 0・削除 0・変更 0・並び順 1" in admin_client.get("/admin").text  # 公開の履歴
    api = upload(admin_client, SMALL_FAQ.encode(), dry_run=True).json()
    assert api["moved"] == ["6"] and api["category_order"] == ["請求", "見積", "支払い", "会員"]
    # Going back to the version before is a reorder too: said so, not 「内容は同じ」.
    before = next(v for v in admin_client.get("/admin/versions", headers=ADMIN_AUTH).json() if not v["current"])
    back = admin_client.get(f"/admin/rollback/{before['build_id']}").text
    assert "並び順 1件" in back and "並び順が変わります" in back and "公開後: 請求・見積・支払い・会員" in back
    assert "内容は同じ" not in back


def test_markup_in_uploaded_questions_is_escaped_on_the_admin_page(admin_client: TestClient) -> None:
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    csrf = csrf_of(admin_client.get("/admin").text)
    evil = SMALL_FAQ + "9\tc\t<script>alert(1)</script>\t答え\t\n"
    page = admin_client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", evil.encode())})
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_uploads_may_exceed_the_chat_body_limit_but_not_the_faq_size_limit(
    admin_client: TestClient, admin_settings: Settings
) -> None:
    big_answer = "長い回答です。" * 3000  # ~60 KB, over the 16 KB chat limit
    res = upload(admin_client, (SMALL_FAQ + f"8\tc\t長い回答の質問\t{big_answer}\t\n").encode(), dry_run=True)
    assert res.status_code == 422 and "20000文字" in str(res.json()["problems"])  # refused by validation, not 413
    too_big = upload(admin_client, b"x" * (admin_settings.max_faq_bytes + 100_000))
    assert too_big.status_code == 413


def test_crlf_upload_publishes_the_same_entries_as_the_lf_file(admin_client: TestClient) -> None:
    multiline = '"退会は\nお問い合わせください。"\tやめたい|退会手続きをしたい'
    lf = NEW_FAQ.replace("退会はお問い合わせください。\t", multiline)
    crlf = lf.replace("\n", "\r\n").encode()
    res = upload(admin_client, crlf)
    assert res.status_code == 200 and res.json()["published"] and res.json()["added"] == 1, res.text
    entry = admin_client.get("/api/faqs/7").json()
    assert entry["question"] == "退会できますか" and entry["answer"] == "退会は\nお問い合わせください。"
    assert admin_client.get("/api/faqs/6").json()["answer"] == "マイページの会員情報から変更できます。"
    same = upload(admin_client, lf.encode(), dry_run=True).json()  # the LF file holds exactly the same entries
    assert (same["added"], same["removed"], same["changed"]) == (0, 0, 0)
    assert admin_client.get("/admin/faq.tsv", headers=ADMIN_AUTH).content == crlf  # kept as uploaded


def test_rollback_page_serves_a_kept_version_again_only_with_login_and_csrf(
    admin_client: TestClient, admin_settings: Settings
) -> None:
    first = admin_client.get("/readyz").json()["faq_version"]
    assert upload(admin_client, NEW_FAQ.encode()).status_code == 200
    newer = admin_client.get("/readyz").json()["faq_version"]
    old_build = next(v for v in admin_client.get("/admin/versions", headers=ADMIN_AUTH).json() if not v["current"])

    anonymous = admin_client.post(
        "/admin/ui/rollback", data={"csrf": "0" * 64, "build_id": old_build["build_id"]}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/admin/login?expired=1"
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    page = admin_client.get("/admin").text
    offered = re.findall(r'href="/admin/rollback/([^"]+)"', page)
    assert offered == [old_build["build_id"]]  # the current version offers no rollback button
    # First what rolling back would change (NEW_FAQ added entry 7: it would go), then the button.
    preview = admin_client.get(f"/admin/rollback/{old_build['build_id']}").text
    assert 'aria-label="FAQ 7 の削除"' in preview and "削除 1件" in preview
    assert "回帰テスト（" in preview  # the regression set is checked as for any publish
    assert re.findall(r'name="build_id" value="([^"]+)"', preview) == [old_build["build_id"]]
    assert admin_client.get("/readyz").json()["faq_version"] == newer  # looking changes nothing
    assert f'name="base" value="{newer}"' in preview
    assert '<a href="/admin">戻さずにFAQの公開へ</a>' in preview  # from the versions: back to them
    for elsewhere in ("//evil.example/admin/", "https://evil.example/admin/entries", "/admin/entries/1/../../x",
                      "/admin/entries/a/b", "/api/faqs", "/admin/\\evil.example", "/admin/entries/..",
                      "/admin/entries/%E4%BB%8A%E3%81%99%E3%81%90%E9%9B%BB%E8%A9%B1"):  # fmt: skip
        led = admin_client.get(f"/admin/rollback/{old_build['build_id']}", params={"back": elsewhere}).text
        assert '<a href="/admin">戻さずにFAQの公開へ</a>' in led, elsewhere
    entry = admin_client.get(f"/admin/rollback/{old_build['build_id']}", params={"back": "/admin/entries/1"}).text
    assert '<a href="/admin/entries/1">戻さずにFAQ 1 の編集へ</a>' in entry
    stale = admin_client.post(
        "/admin/ui/rollback", data={"csrf": csrf_of(page), "build_id": old_build["build_id"], "base": "0" * 12}
    )
    assert "もう一度、差分を確認してください" in stale.text  # someone published since the preview: not rolled back
    assert admin_client.get("/readyz").json()["faq_version"] == newer
    missing = admin_client.get("/admin/rollback/no-such-build", headers={"accept": "text/html"})
    assert missing.status_code == 404 and "そのバージョン（no-such-build）は見つかりません。" in missing.text
    assert '<a href="/admin">管理画面に戻る</a>' in missing.text  # the way back to the versions
    assert "/admin/versions" not in missing.text  # an editor is told the page, not the API's path
    forged = admin_client.post("/admin/ui/rollback", data={"csrf": "0" * 64, "build_id": old_build["build_id"]})
    assert forged.status_code == 403
    assert admin_client.get("/readyz").json()["faq_version"] == newer

    done = admin_client.post("/admin/ui/rollback", data={"csrf": csrf_of(page), "build_id": old_build["build_id"]})
    assert done.status_code == 200 and f"バージョン {first}" in done.text and "に戻しました。" in done.text
    local = rf"バージョン {first}（\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d JST）に戻しました"
    assert re.search(local, done.text)  # in the configured zone, not UTC ISO
    assert admin_client.get("/readyz").json()["faq_version"] == first
    assert admin_client.get("/api/faqs/7").status_code == 404
    assert admin_settings.faq_path.read_text(encoding="utf-8") == SMALL_FAQ
    again = admin_client.post(  # the result page reloaded: the form sent again, with the base it was sent with
        "/admin/ui/rollback", data={"csrf": csrf_of(page), "build_id": old_build["build_id"], "base": newer}
    )
    assert f"バージョン {first}" in again.text and "は公開中です。" in again.text and "変わりました" not in again.text
    unknown = admin_client.post("/admin/ui/rollback", data={"csrf": csrf_of(page), "build_id": "no-such-build"})
    assert unknown.status_code == 404 and "そのバージョン（no-such-build）は見つかりません。" in unknown.text
    assert admin_client.get("/readyz").json()["faq_version"] == first
    # The history says what went live when: the upload, then the rollback (newest first), with what each changed.
    history = admin_client.get("/admin").text.split('id="history-h"')[1]
    cells = r'<td data-label="操作">(公開|バージョンを戻す)</td>\s*<td data-label="バージョン">(\w+)</td>'
    rows = re.findall(cells + r'<td data-label="件数">\d+</td>\s*<td data-label="変更">([^<]+)</td>', history)
    assert rows == [("バージョンを戻す", first, "追加 0・削除 1・変更 0"), ("公開", newer, "追加 1・削除 0・変更 0")]


def test_versions_api_reports_the_build_really_served_when_current_names_a_damaged_one(
    admin_client: TestClient, admin_settings: Settings
) -> None:
    from faq_bot.content import faq as faq_table
    from faq_bot.retrieval import store

    publisher = admin_client.app.state.publisher  # type: ignore[attr-defined]
    served = admin_client.get("/admin/versions", headers=ADMIN_AUTH).json()[0]
    intact = store.save(publisher.engine.build(faq_table.parse(NEW_FAQ)), admin_settings.index_dir, make_current=False)
    folder = store.save(publisher.engine.build(faq_table.parse(NEW_FAQ)), admin_settings.index_dir, make_current=False)
    (folder / "vectors.faiss").write_bytes(b"damaged")
    store.set_current(admin_settings.index_dir, folder.name)  # what another process's publish + a bad disk leave
    publisher.sync()  # the watcher's poll, without waiting for it
    versions = {v["build_id"]: v for v in admin_client.get("/admin/versions", headers=ADMIN_AUTH).json()}
    assert versions[served["build_id"]]["current"] and not versions[folder.name]["current"]
    assert "壊れている" in versions[folder.name]["problem"]
    assert admin_client.get("/readyz").json()["faq_version"] == served["faq_version"]
    # The damaged build is no way back to its content: the intact older build of the same FAQ still offers one.
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    page = admin_client.get("/admin").text
    assert f'href="/admin/rollback/{intact.name}"' in page and "同じ内容" not in page


def test_long_page_actions_stream_their_progress_before_the_result(logged_in_client: TestClient) -> None:
    page = logged_in_client.get("/admin").text
    files = {"file": ("new.tsv", NEW_FAQ.encode())}
    with logged_in_client.stream("POST", "/admin/ui/upload", files=files, data={"csrf": csrf_of(page)}) as res:
        assert res.status_code == 200 and res.headers["x-accel-buffering"] == "no"
        chunks = list(res.iter_text())
    body = "".join(chunks)
    assert len(chunks) > 3  # a line per step, as they happen, not one page at the end
    first_step, result = body.index('class="step"'), body.index('class="result"')
    assert first_step < body.index("文章を検索用の数値に変換しています") < result
    # Stages are numbered as they come and every line says how long it has been (no stage looks frozen).
    assert "手順1: " in body and "手順2: " in body and "経過 " in body
    assert "退会できますか" in body[result:] and body.rstrip().endswith("</html>")


def test_the_tsv_on_disk_is_previewed_like_an_upload_before_it_is_published(
    admin_client: TestClient, admin_settings: Settings
) -> None:
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    csrf = csrf_of(admin_client.get("/admin").text)
    same = admin_client.post("/admin/ui/reload", data={"csrf": csrf})
    assert "ディスク上のTSVは公開中の内容と同じです" in same.text
    admin_settings.faq_path.write_text(NEW_FAQ, encoding="utf-8")  # an editor changed the file on the server
    preview = admin_client.post("/admin/ui/reload", data={"csrf": csrf})
    assert "追加 1件" in preview.text and "この内容で公開する" in preview.text and "回帰テスト" in preview.text
    assert admin_client.post("/api/chat", json={"message": "退会できますか"}).json()["entry"] is None  # not yet
    form = dict(re.findall(r'name="(staged|base|source|from_disk)" value="([^"]*)"', preview.text))
    assert form["from_disk"] == "1"
    # Edited on the server again after the preview: publishing the preview would write the older file back.
    admin_settings.faq_path.write_text(NEW_FAQ + "8\t会員\t休会できますか\tできません。\t\n", encoding="utf-8")
    refused = admin_client.post("/admin/ui/publish", data={"csrf": csrf, **form})
    assert "確認のあとでディスク上のTSVが変わりました" in refused.text
    admin_settings.faq_path.write_text(NEW_FAQ, encoding="utf-8")  # as previewed again
    done = admin_client.post("/admin/ui/publish", data={"csrf": csrf, **form})
    assert "公開しました（追加 1件" in done.text
    assert admin_client.post("/api/chat", json={"message": "退会できますか"}).json()["entry"]["id"] == "7"
    # A file published has its undo too, as a one-entry edit has: the preview of the version before it.
    undo = re.search(
        r'<a href="(/admin/rollback/[^"]+)">この公開を取り消す（公開する前のバージョンに戻す…）', done.text
    )
    assert undo and "FAQ 7" in admin_client.get(html.unescape(undo.group(1))).text


def test_an_entry_edit_published_ends_on_its_page_with_the_undo_of_that_change(admin_client: TestClient) -> None:
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    csrf = csrf_of(admin_client.get("/admin").text)
    before = admin_client.get("/readyz").json()["faq_version"]
    form = {"csrf": csrf, "question": "見積書を発行できますか", "answer": "カート画面から見積書を作成できます。",
            "category": "見積", "alternates": "見積を作りたい\nquotation\n見積書が欲しい"}  # fmt: skip
    preview = admin_client.post("/admin/ui/entries/3", data=form).text
    fields = dict(re.findall(r'name="(staged|base|source|edited|entry_base)" value="([^"]*)"', preview))
    done = admin_client.post("/admin/ui/publish", data={"csrf": csrf, **fields}).text
    assert "FAQ 3 を公開しました" in done and 'aria-current="page">FAQの編集' in done
    undo = re.search(r'<a href="(/admin/rollback/[^"]+)">この変更を取り消す（変更する前のバージョンに戻す…）', done)
    assert undo is not None
    rollback = admin_client.get(html.unescape(undo.group(1))).text
    assert "見積書が欲しい" in rollback  # its preview: the alternate goes again
    assert "戻す先のバージョンは「" in rollback  # what made the version gone back to, said as that
    assert '<th scope="col">戻したあと</th>' in rollback and '<th scope="col">公開後</th>' not in rollback
    assert '<a href="/admin/entries/3">戻さずにFAQ 3 の編集へ</a>' in rollback  # not made: back to the entry
    assert '<h2 id="rollback-h">公開の取り消し: バージョン' in rollback and 'aria-current="page">FAQの編集' in rollback
    assert before != admin_client.get("/readyz").json()["faq_version"] and "のあとにも公開があり" not in rollback
    # A colleague publishes after it: the undo would take that away too, and says so.
    theirs = NEW_FAQ.replace("見積を作りたい|quotation", "見積を作りたい|quotation|見積書が欲しい")
    assert upload(admin_client, theirs.encode()).json()["published"]
    later = admin_client.get(html.unescape(undo.group(1))).text
    assert "のあとにも公開があり" in later and "そのあとの変更もすべて取り消されます" in later
    undone = admin_client.post("/admin/ui/rollback", data=form_fields(later, "/admin/ui/rollback")).text
    assert "に戻しました</h2>" in undone and '<a href="/admin/entries/3">FAQ 3 の編集へ</a>' in undone  # made: back
    again = admin_client.get(html.unescape(undo.group(1))).text  # the same undo link, opened once more
    assert "この公開はすでに取り消されています" in again and "のあとにも公開があり" not in again
    assert '<a href="/admin/entries/3">FAQ 3 の編集へ</a>' in again and 'name="build_id"' not in again


def test_an_answer_over_the_limit_comes_back_whole_in_its_form_with_its_length(admin_client: TestClient) -> None:
    """A browser's maxlength cut a 25,000-character paste to 20,000 without a word: the box has none, the FAQ's
    own check says the limit and the length, and the text comes back whole to shorten."""
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    page = admin_client.get("/admin/entries/3").text
    assert 'maxlength="20000"' not in page and 'maxlength="2000"' not in page
    long = "見積書は管理画面から発行できます。" * 1500  # 25,500 characters
    form = {"csrf": csrf_of(page), "question": "見積書を発行できますか", "answer": long, "category": "見積"}
    refused = admin_client.post("/admin/ui/entries/3", data=form)
    assert refused.status_code == 200 and "20000文字を超えています（25500文字）" in refused.text
    assert f">{long}</textarea>" in refused.text and 'name="staged"' not in refused.text
    typo = admin_client.post("/admin/ui/entries/3", data={**form, "answer": "発行できます。", "category": "見債"}).text
    assert "「見債」は公開中のFAQにない新しい分類です。" in typo and 'name="staged"' in typo  # said, not refused
    known = admin_client.post("/admin/ui/entries/3", data={**form, "answer": "発行できます。"}).text
    assert "新しい分類です" not in known


def test_an_entry_edit_whose_preview_went_stale_comes_back_in_its_form_not_lost(admin_client: TestClient) -> None:
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    csrf = csrf_of(admin_client.get("/admin").text)
    form = {"csrf": csrf, "question": "見積書を発行できますか", "answer": "カート画面から見積書を作成できます。",
            "category": "見積", "alternates": "見積を作りたい\nquotation\n見積書が欲しい"}  # fmt: skip
    preview = admin_client.post("/admin/ui/entries/3", data=form).text
    fields = dict(re.findall(r'name="(staged|base|source|edited)" value="([^"]*)"', preview))
    assert fields["edited"] == "3"
    assert upload(admin_client, NEW_FAQ.encode()).json()["published"]  # someone else publishes meanwhile
    page = admin_client.post("/admin/ui/publish", data={"csrf": csrf, **fields}).text
    assert "あなたの編集は下に残しています" in page and "見積書が欲しい" in page.split('id="alternates"')[1]
    # not a success note; it has the focus (the form below is where the editor goes on)
    assert '<p class="warn" role="alert" tabindex="-1" autofocus>確認のあとで公開中のFAQが変わりました' in page
    assert admin_client.get("/api/faqs/3").json()["question"] == "見積書を発行できますか"
    assert "見積書が欲しい" not in str(admin_client.get("/api/faqs/3").json())  # nothing published behind their back
    assert "このFAQ（id 3）自体も" not in page  # another entry was published meanwhile, not this one
    assert (
        "あとから公開された内容" not in page
        and "あとから公開された内容" not in admin_client.get("/admin/entries/3").text
    )
    # This time someone changes entry 3 itself meanwhile: the note says so.
    preview = admin_client.post("/admin/ui/entries/3", data=form).text
    fields = dict(re.findall(r'name="(staged|base|source|edited|entry_base)" value="([^"]*)"', preview))
    changed_3 = NEW_FAQ.replace("カート画面から見積書を作成できます。", "カート画面の見積ボタンから作成できます。")
    assert upload(admin_client, changed_3.encode()).json()["published"]
    page = admin_client.post("/admin/ui/publish", data={"csrf": csrf, **fields}).text
    assert "このFAQ（id 3）自体も別の人（または別のタブ）で変更・公開されました" in page
    # the form's page at /admin/ui/publish: back or a reload opens the entry's form (admin.js), not the publish page
    assert (
        '<body data-address="/admin/ui/publish">' in page and '<span hidden data-address="/admin/ui/entries/3">' in page
    )
    assert admin_client.get("/admin/ui/entries/3", follow_redirects=False).headers["location"] == "/admin/entries/3"
    # beside the form, what publishing it as it is would do to the colleague's change: a preview's diff
    conflict = page.partition("あとから公開された内容との違い（id 3）")[2].partition("</details>")[0]
    assert '<th scope="col">今の公開内容</th><th scope="col">このフォーム</th>' in conflict  # short: a phone's width
    assert "カート画面<del>の見積ボタンから</del>作成" in conflict and "<ins>から見積書を</ins>" in conflict, conflict
    assert "見積書が欲しい" in conflict  # the form's alternate, which the colleague's entry has not
    # And if the entry is deleted meanwhile, the editor is told so (not shown a form for a FAQ that is gone).
    preview = admin_client.post("/admin/ui/entries/3", data=form).text
    fields = dict(re.findall(r'name="(staged|base|source|edited|entry_base)" value="([^"]*)"', preview))
    without_3 = "".join(line + "\n" for line in NEW_FAQ.splitlines() if not line.startswith("3\t"))
    assert upload(admin_client, without_3.encode()).json()["published"]
    gone = admin_client.post("/admin/ui/publish", data={"csrf": csrf, **fields}).text
    assert "FAQ（id 3）は別の人の公開で削除されました" in gone


def test_a_regression_question_expecting_a_deleted_entry_says_so(admin_settings: Settings, tmp_path: Path) -> None:
    regression = tmp_path / "regression.tsv"
    regression.write_text("query\tgold\n銀行振込はできますか\t5\n", encoding="utf-8")
    with app_client(admin_settings.model_copy(update={"regression_path": regression}), https=True) as client:
        client.post("/admin/login", data={"token": ADMIN_TOKEN})
        csrf = csrf_of(client.get("/admin").text)
        without_5 = "".join(line + "\n" for line in SMALL_FAQ.splitlines() if not line.startswith("5\t"))
        page = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", without_5.encode())})
    assert "削除 1件" in page.text
    rows = [r for r in page.text.split("<tr") if "銀行振込はできますか" in r and "verdict-" in r]
    assert rows and "id 5 は削除されます（回帰テストのファイルの、この質問の期待を直してください）" in rows[0]


def test_a_missing_regression_file_is_said_not_read_as_a_pass(admin_settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "regression.tsv"
    with app_client(admin_settings.model_copy(update={"regression_path": missing}), https=True) as client:
        client.post("/admin/login", data={"token": ADMIN_TOKEN})
        csrf = csrf_of(client.get("/admin").text)
        page = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", NEW_FAQ.encode())}).text
        dry_run = client.post(
            "/admin/faq", params={"dry_run": 1}, files={"file": ("faq.tsv", NEW_FAQ.encode())}, headers=ADMIN_AUTH
        ).json()
    said = f"回帰テストのファイル（{missing}）がないため、ファイルの質問は確かめていません。"
    assert said in page and "回答が変わるものはありません" not in page
    assert dry_run["regression_problem"].startswith(said)


def test_a_preview_of_thousands_of_changes_diffs_the_first_ones_and_lists_the_rest(
    logged_in_client: TestClient,
) -> None:
    rows = "".join(f"{100 + i}\t会員\t質問その{i}ですか\t回答{i}です。\t\n" for i in range(400))
    csrf = csrf_of(logged_in_client.get("/admin").text)
    page = logged_in_client.post(
        "/admin/ui/upload", data={"csrf": csrf}, files={"file": ("big.tsv", (SMALL_FAQ + rows).encode())}
    ).text
    assert "追加 400件" in page and page.count('<article class="change') == 200
    assert "さらにほか 200件（idと質問のみ）" in page and "id 499: 質問その399ですか" in page


def test_an_entry_is_added_and_deleted_in_the_browser_through_the_same_preview_and_publish(
    admin_client: TestClient,
) -> None:
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    csrf = csrf_of(admin_client.get("/admin").text)
    form = admin_client.get("/admin/new-entry").text
    assert 'name="entry_id" type="text" value="7"' in form  # the next number, to change if wanted
    new = {"csrf": csrf, "entry_id": "6", "question": "休会できますか", "answer": "休会はできません。"}
    taken = admin_client.post("/admin/ui/new-entry", data=new).text
    # The entry that has the id is named by its question: the editor sees no file, so no line of one.
    assert "id「6」が重複しています（質問「パスワードを変更できますか」と同じid）" in taken and "行目" not in taken
    assert "休会できますか" in taken  # what was typed stays in the form
    # Typed in full width (the IME on): the same id, ７ is 7.
    preview = admin_client.post("/admin/ui/new-entry", data={**new, "entry_id": "７", "category": "会員"}).text
    assert "追加 1件" in preview and "FAQ 7 の追加の確認" in preview
    added = re.search(r'<article class="change added".*?</article>', preview, re.S)
    assert added and "公開中" not in added.group(0) and '<th scope="col">公開後</th>' in added.group(0)  # no empty side
    fields = dict(re.findall(r'name="(staged|base|source|edited|entry_base|new_entry)" value="([^"]*)"', preview))
    done = admin_client.post("/admin/ui/publish", data={"csrf": csrf, **fields}).text
    assert "FAQ 7 を公開しました" in done and admin_client.get("/api/faqs/7").json()["answer"] == "休会はできません。"
    undo = re.search(r'<a href="(/admin/rollback/[^"]+)">この追加を取り消す（追加する前のバージョンに戻す…）', done)
    assert undo and "FAQ 7" in admin_client.get(html.unescape(undo.group(1))).text  # the rollback's: entry 7 goes
    assert 'aria-current="page">FAQの編集' in done  # where the editor works, not FAQの公開
    deleting = admin_client.post("/admin/ui/entries/7/delete", data={"csrf": csrf}).text
    assert "削除 1件" in deleting and "FAQ 7 を削除して公開する</button>" in deleting
    removed = re.search(r'<article class="change removed".*?</article>', deleting, re.S)
    assert removed and "公開後" not in removed.group(0) and '<td class="old">' in removed.group(0)
    assert "文字コード" not in deleting  # no file was uploaded: nothing to say of its encoding
    assert admin_client.get("/api/faqs/7").status_code == 200  # not yet
    fields = dict(re.findall(r'name="(staged|base|source|deleted)" value="([^"]*)"', deleting))
    gone = admin_client.post("/admin/ui/publish", data={"csrf": csrf, **fields}).text
    assert admin_client.get("/api/faqs/7").status_code == 404
    # It ends where an edit ends: a page of its own, back to the entry list, and its undo.
    assert "FAQ 7 を削除しました" in gone and '<a href="/admin/entries">FAQの一覧に戻る</a>' in gone
    undo = re.search(r'<a href="(/admin/rollback/[^"]+)">この削除を取り消す', gone)
    assert undo
    undone = admin_client.get(html.unescape(undo.group(1))).text
    assert '<a href="/admin/entries">戻さずにFAQの一覧へ</a>' in undone
    assert admin_client.post("/admin/ui/entries/99/delete", data={"csrf": csrf}).status_code == 404


#: The merge form of a preview: its staged file and the version the file was made from.
MERGE_FORM = r'action="/admin/ui/merge">.*?name="staged" value="([0-9a-f]{64})".*?name="origin" value="(\w+)"'


def _edited_workbook(raw: bytes, entry_id: str, answer: str) -> bytes:
    """The workbook as an editor saves it after changing one entry's answer."""
    book = load_workbook(io.BytesIO(raw))
    sheet = book.active
    row = next(r for r in sheet.iter_rows(min_row=2) if str(r[0].value) == entry_id)
    row[3].value = answer
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_old_excel_download_uploaded_after_a_colleagues_publish_warns_refuses_and_merges(
    logged_in_client: TestClient,
) -> None:
    client = logged_in_client
    old = client.get("/admin/faq.xlsx").content
    assert upload(client, NEW_FAQ.encode()).json()["published"]  # meanwhile a colleague adds entry 7
    mine = _edited_workbook(old, "1", "毎月20日頃に発行します。")
    files = {"file": ("faq.xlsx", mine)}
    dry = client.post("/admin/faq?dry_run=1", files=files, headers=ADMIN_AUTH).json()
    assert [(e["entry_id"], e["live_change"]) for e in dry["drift"]["undone"]] == [("7", "added")]
    assert dry["drift"]["origin_built_at"] and dry["drift"]["conflicts"] == []
    refused = client.post("/admin/faq", files=files, headers=ADMIN_AUTH)
    body = refused.json()
    assert refused.status_code == 409 and body["reason"] == "stale_file" and body["undone"] == ["7"]
    assert "overwrite=1" in body["detail"] and "直近の公開に失敗しました" not in client.get("/admin").text
    assert client.post("/api/chat", json={"message": "退会できますか"}).json()["entry"]["id"] == "7"  # still live

    csrf = csrf_of(client.get("/admin").text)
    page = client.post("/admin/ui/upload", data={"csrf": csrf}, files=files).text
    assert "公開中とは別の版" in page and "その後に追加されたFAQです。このファイルにないため、削除されます。" in page
    assert "その後の変更を元に戻して、このファイルのまま公開する" in page  # not the usual primary button
    staged = re.search(MERGE_FORM, page, re.S)
    assert staged
    merge = client.post("/admin/ui/merge", data={"csrf": csrf, "staged": staged[1], "origin": staged[2],
                                                 "filename": "faq.xlsx"}).text  # fmt: skip
    assert "ファイルで変えたFAQだけを反映した内容です" in merge and "追加 0件・削除 0件・変更 1件" in merge
    merged = re.search(r'action="/admin/ui/publish".*?name="staged" value="([0-9a-f]{64})"', merge, re.S)
    assert merged and "公開しました" in client.post("/admin/ui/publish", data={"csrf": csrf, "staged": merged[1]}).text
    assert client.post("/api/chat", json={"message": "退会できますか"}).json()["entry"]["id"] == "7"  # kept
    tsv = client.get("/admin/faq.tsv", headers=ADMIN_AUTH).content.decode()
    assert "毎月20日頃に発行します。" in tsv  # and the editor's change is live


def test_an_old_excel_download_would_undo_a_reorder_published_since_and_is_refused_and_merged_in_the_live_order(
    logged_in_client: TestClient,
) -> None:
    client = logged_in_client
    old = client.get("/admin/faq.xlsx").content
    header, *rows = SMALL_FAQ.splitlines(keepends=True)
    assert upload(client, "".join([header, rows[5], *rows[:5]]).encode()).json()["published"]  # 6 to the top
    files = {"file": ("faq.xlsx", _edited_workbook(old, "1", "毎月20日頃に発行します。"))}
    refused = client.post("/admin/faq", files=files, headers=ADMIN_AUTH)
    body = refused.json()
    assert refused.status_code == 409 and body["order_undone"] and body["undone"] == [] and "並び順" in body["detail"]
    csrf = csrf_of(client.get("/admin").text)
    page = client.post("/admin/ui/upload", data={"csrf": csrf}, files=files).text
    assert "その後にFAQの並び順が変えられています" in page and "変更0件" not in page
    staged = re.search(MERGE_FORM, page, re.S)
    assert staged
    merge = client.post("/admin/ui/merge", data={"csrf": csrf, "staged": staged[1], "origin": staged[2],
                                                 "filename": "faq.xlsx"}).text  # fmt: skip
    assert "追加 0件・削除 0件・変更 1件。" in merge  # no 並び順: the live order stands
    assert "その後に公開された変更は、すべて残っています。" in merge and "ファイルの差分に戻る" in merge  # no choice


def test_a_conflict_is_settled_as_the_editor_chooses_and_a_clash_is_told_by_entry_not_by_line(
    logged_in_client: TestClient,
) -> None:
    client = logged_in_client
    old = client.get("/admin/faq.xlsx").content
    colleague = SMALL_FAQ.replace("毎月10日頃に発行します。", "毎月15日頃に発行します。") + (
        "7\t配送\t配送料はいくらですか\t一律500円です。\t\n"
    )
    assert upload(client, colleague.encode()).json()["published"]
    book = load_workbook(io.BytesIO(_edited_workbook(old, "1", "毎月20日頃に発行します。")))
    book.active.append(["7", "配送", "配送業者は選べますか", "選べません。", ""])  # the next number: taken since
    out = io.BytesIO()
    book.save(out)
    csrf = csrf_of(client.get("/admin").text)
    page = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.xlsx", out.getvalue())}).text
    assert "その後に変更されたFAQを、このファイルでも別の内容に変えています" in page
    assert 'name="keep:1" value="live" required' in page and 'name="keep:7" value="both"' in page
    form = re.search(
        r'action="/admin/ui/merge">.*?name="staged" value="(\w+)".*?name="origin" value="(\w+)"', page, re.S
    )
    assert form
    fields = {"csrf": csrf, "staged": form[1], "origin": form[2], "filename": "faq.xlsx"}
    merge = client.post("/admin/ui/merge", data={**fields, "keep:1": "file", "keep:7": "both"}).text
    assert "id 1: 選んだとおり、このファイルの内容にします。" in merge
    assert "このファイルの id 7 は、id 8 として追加します" in merge and "選び直す" in merge
    merged = re.search(r'action="/admin/ui/publish".*?name="staged" value="(\w+)"', merge, re.S)
    assert merged and "公開しました" in client.post("/admin/ui/publish", data={"csrf": csrf, "staged": merged[1]}).text
    tsv = client.get("/admin/faq.tsv", headers=ADMIN_AUTH).content.decode()
    assert (
        "毎月20日頃に発行します。" in tsv
        and "7\t配送\t配送料はいくらですか" in tsv
        and "8\t配送\t配送業者は選べますか" in tsv
    )
    # A merge whose result cannot be published (two entries asking the same) names the entries, not file lines.
    old = client.get("/admin/faq.xlsx").content
    assert upload(client, (tsv + "9\t会員\t退会できますか\t退会はお問い合わせください。\t\n").encode()).json()[
        "published"
    ]
    book = load_workbook(io.BytesIO(old))
    book.active.append(["10", "会員", "退会できますか", "マイページから退会できます。", ""])
    out = io.BytesIO()
    book.save(out)
    page = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.xlsx", out.getvalue())}).text
    form = re.search(
        r'action="/admin/ui/merge">.*?name="staged" value="(\w+)".*?name="origin" value="(\w+)"', page, re.S
    )
    assert form
    clash = client.post("/admin/ui/merge", data={**fields, "staged": form[1], "origin": form[2]}).text
    assert "の変更を公開中のFAQに反映した内容</strong> は公開できません。" in clash  # (no encoding of a file to name)
    assert "id 9 の質問「退会できますか」は id 10 の質問と同じです" in clash and "Excelブック" not in clash


def test_a_workbook_whose_version_is_no_longer_kept_merges_from_the_copy_it_carries(admin_settings: Settings) -> None:
    with app_client(admin_settings.model_copy(update={"keep_versions": 2}), https=True) as client:
        assert client.post("/admin/login", data={"token": ADMIN_TOKEN}, follow_redirects=False).status_code == 303
        old = client.get("/admin/faq.xlsx").content
        for n in (7, 8, 9):  # three publishes: the version the workbook was made from is pruned
            added = "".join(f"{i}\tc\t質問{i}ですか\t回答{i}です。\t\n" for i in range(7, n + 1))
            assert upload(client, (SMALL_FAQ + added).encode()).json()["published"]
        csrf = csrf_of(client.get("/admin").text)
        mine = _edited_workbook(old, "1", "毎月20日頃に発行します。")
        page = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.xlsx", mine)}).text
        assert "その後に追加されたFAQです。このファイルにないため、削除されます。" in page  # told, not "unknown"
        form = re.search(MERGE_FORM + r'.*?name="origin_file" value="(\w+)"', page, re.S)
        assert form
        fields = {"csrf": csrf, "staged": form[1], "origin": form[2], "origin_file": form[3], "filename": "faq.xlsx"}
        merge = client.post("/admin/ui/merge", data=fields).text
        assert "追加 0件・削除 0件・変更 1件" in merge


def test_a_conflict_that_came_up_after_the_preview_is_asked_again_not_settled_silently(
    logged_in_client: TestClient,
) -> None:
    client = logged_in_client
    old = client.get("/admin/faq.xlsx").content
    book = load_workbook(io.BytesIO(_edited_workbook(old, "1", "毎月20日頃に発行します。")))
    book.active["D3"] = "請求一覧からPDFで出力できます。"  # entry 2 too
    out = io.BytesIO()
    book.save(out)
    colleague = SMALL_FAQ + "7\t会員\t退会できますか\tはい。\t\n"
    assert upload(client, colleague.encode()).json()["published"]
    csrf = csrf_of(client.get("/admin").text)
    page = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.xlsx", out.getvalue())}).text
    form = re.search(MERGE_FORM, page, re.S)
    assert form and 'name="keep:' not in page  # no conflict yet
    later = colleague.replace("毎月10日頃に発行します。", "毎月15日頃に発行します。")  # meanwhile, entry 1 again
    assert upload(client, later.encode()).json()["published"]
    fields = {"csrf": csrf, "staged": form[1], "origin": form[2], "filename": "faq.xlsx"}
    asked = client.post("/admin/ui/merge", data=fields).text
    assert (
        "id 1 は、その公開とこのファイルの両方で変わっています" in asked
        and 'name="keep:1" value="live" required' in asked
    )
    merged = client.post("/admin/ui/merge", data={**fields, "keep:1": "file"}).text
    assert "id 1: 選んだとおり、このファイルの内容にします。" in merged
    back = client.post("/admin/ui/merge", data={**fields, "review": "1"}).text  # 選び直す
    assert 'name="keep:1" value="live" required' in back and "確認のあとで" not in back
    publish_form = r'action="/admin/ui/publish".*?name="staged" value="(\w+)".*?name="source" value="([^"]+)"'
    staged = re.search(publish_form, merged, re.S)
    assert staged
    done = client.post("/admin/ui/publish", data={"csrf": csrf, "staged": staged[1], "source": staged[2]}).text
    assert "公開しました" in done and "Excelで続けて編集するときは、公開中のFAQをダウンロードし直してください" in done
    versions = client.get("/admin/versions", headers=ADMIN_AUTH).json()
    assert versions[0]["source"] == "faq.xlsx（公開中のFAQに変更だけを反映）"  # the editor's file named


def test_the_admin_page_says_the_history_cannot_be_read_and_still_offers_publishing(
    admin_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faq_bot.errors import DatabaseError

    publisher = admin_client.app.state.publisher  # type: ignore[attr-defined]

    def down(limit: int = 20) -> list[object]:
        raise DatabaseError("database is locked")

    monkeypatch.setattr(publisher.history, "recent", down)
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    page = admin_client.get("/admin")
    assert page.status_code == 200 and "公開の履歴を今は読めません" in page.text
    assert "このバージョンに戻す" in page.text or "公開中" in page.text  # the versions are still there
