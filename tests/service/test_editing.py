"""Editors' changes they can see (issue 14, items 5, 6, 8, 9): readable diffs, Excel both ways, alternates, banners."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from faq_bot.content.workbook import read_workbook
from faq_bot.errors import ModelError
from tests.conftest import ADMIN_AUTH, SMALL_FAQ, csrf_of

WAVE_FAQ = SMALL_FAQ.replace("毎月10日頃に発行します。", "毎月10日〜15日に発行します。")


def upload(client: TestClient, data: bytes, name: str = "faq.tsv", dry_run: bool = True) -> dict:  # type: ignore[type-arg]
    res = client.post("/admin/faq", params={"dry_run": int(dry_run)}, files={"file": (name, data)}, headers=ADMIN_AUTH)
    assert res.status_code in (200, 422), res.text
    return res.json()  # type: ignore[no-any-return]


def test_the_dry_run_shows_each_changed_field_side_by_side_with_the_changed_characters(
    admin_client: TestClient,
) -> None:
    new = SMALL_FAQ.replace("毎月10日頃に発行します。", "毎月15日頃に発行します。").replace("6\t会員", "6\t会員情報")
    reply = upload(admin_client, new.encode())
    first, second = reply["changes"]
    assert (first["id"], first["kind"], first["fields"]) == ("1", "changed", ["answer"])  # the old fields stay
    (answer,) = first["diff"]
    assert (answer["field"], answer["before"], answer["after"]) == (
        "answer",
        "毎月10日頃に発行します。",
        "毎月15日頃に発行します。",
    )
    assert [s for s in answer["before_segments"] if s["changed"]] == [{"text": "10", "changed": True}]  # the number
    assert [s for s in answer["after_segments"] if s["changed"]] == [{"text": "15", "changed": True}]
    assert first["before"]["answer"] == "毎月10日頃に発行します。" and first["after"]["alternates"] == [
        "請求書の発行日"
    ]
    assert second["diff"][0]["field"] == "category" and second["diff"][0]["after"] == "会員情報"


def test_a_cp932_round_trip_of_look_alike_characters_is_not_a_change(admin_client: TestClient) -> None:
    upload(admin_client, WAVE_FAQ.encode(), dry_run=False)
    excel_saved = WAVE_FAQ.replace("〜", "～").encode("cp932")  # what Excel on Japanese Windows writes back
    reply = upload(admin_client, excel_saved)
    assert reply["encoding"] == "CP932 (Shift_JIS)"
    assert reply["changed"] == 0 and reply["changes"] == [] and reply["lookalike"] == ["1"]


def test_the_file_as_published_downloads_in_its_own_encoding_and_says_which(admin_client: TestClient) -> None:
    upload(admin_client, WAVE_FAQ.replace("〜", "～").encode("cp932"), dry_run=False)
    res = admin_client.get("/admin/faq.tsv", headers=ADMIN_AUTH)
    assert res.content == WAVE_FAQ.replace("〜", "～").encode("cp932")  # byte for byte, as published
    assert res.headers["content-type"] == "text/tab-separated-values; charset=ms932"
    assert "毎月10日～15日" in res.text  # a client that goes by the header reads it right, ～ included
    upload(admin_client, SMALL_FAQ.encode(), dry_run=False)
    res = admin_client.get("/admin/faq.tsv", headers=ADMIN_AUTH)
    assert res.headers["content-type"] == "text/tab-separated-values; charset=utf-8"


def test_the_excel_tsv_has_a_bom_and_keeps_formulas_from_running(admin_client: TestClient) -> None:
    formula = "7\t支払い\t計算式は使えますか\t=SUM(A1:A3) のような式は使えません。\t+1\n"
    upload(admin_client, (SMALL_FAQ + formula).encode(), dry_run=False)
    data = admin_client.get("/admin/faq.tsv", params={"excel": 1}, headers=ADMIN_AUTH).content
    assert data.startswith(b"\xef\xbb\xbfid\t") and "\t'=SUM(A1:A3)" in data.decode("utf-8-sig")
    assert "\t'+1" in data.decode("utf-8-sig")
    again = upload(admin_client, data)  # Excel keeps the ' as text; the upload takes it off again
    assert again["changed"] == 0 and again["added"] == 0 and again["removed"] == 0


def test_a_workbook_downloads_and_uploads_with_row_and_column_problems(admin_client: TestClient) -> None:
    from openpyxl import load_workbook

    upload(admin_client, (SMALL_FAQ + "7\t支払い\t計算式は使えますか\t=1+1 は文字です。\t\n").encode(), dry_run=False)
    xlsx = admin_client.get("/admin/faq.xlsx", headers=ADMIN_AUTH).content
    book = load_workbook(io.BytesIO(xlsx))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["id", "分類", "質問", "回答", "言い換え"]
    assert sheet["D8"].value == "=1+1 は文字です。" and sheet["D8"].data_type == "s"  # text, never a formula
    assert read_workbook(xlsx, "faq.xlsx").by_id()["7"].answer == "=1+1 は文字です。"
    assert upload(admin_client, xlsx, "faq.xlsx")["changed"] == 0
    sheet["C3"] = ""  # an empty question
    sheet["D4"] = "=A1&A2"  # a formula
    sheet["A5"] = 1  # the id of row 2 again, typed as a number
    out = io.BytesIO()
    book.save(out)
    problems = upload(admin_client, out.getvalue(), "faq.xlsx")["problems"]
    assert {(p["line"], p["column"]) for p in problems} == {(3, "C列（質問）"), (4, "D列（回答）"), (5, "A列（id）")}


def test_an_alternate_goes_through_a_preview_and_an_existing_one_is_refused(admin_client: TestClient) -> None:
    asked = admin_client.post("/api/chat", json={"message": "社員食堂はありますか"}).json()
    body = {"entry_id": "5", "text": "社員食堂はありますか", "request_ids": [asked["request_id"]]}
    preview = admin_client.post("/admin/log/alternate", json={**body, "dry_run": True}, headers=ADMIN_AUTH).json()
    assert not preview["published"] and preview["changes"][0]["diff"][0]["after"].endswith("社員食堂はありますか")
    groups = admin_client.get("/admin/log/unanswered", params={"days": 0}, headers=ADMIN_AUTH).json()
    assert groups[0]["request_ids"] == [asked["request_id"]]
    done = admin_client.post("/admin/log/alternate", json=body, headers=ADMIN_AUTH).json()
    assert done["published"]
    assert admin_client.get("/admin/log/unanswered", params={"days": 0}, headers=ADMIN_AUTH).json() == []
    again = admin_client.post(
        "/admin/log/alternate", json={**body, "text": "社員食堂はありますか？"}, headers=ADMIN_AUTH
    )
    assert again.status_code == 422 and "すでにあります" in again.json()["problems"][0]["message"]


def test_after_an_alternate_only_the_questions_the_faq_now_answers_leave_the_list(admin_client: TestClient) -> None:
    ids = [admin_client.post("/api/chat", json={"message": m}).json()["request_id"]
           for m in ("社員食堂はありますか", "宇宙旅行の予約はできますか")]  # fmt: skip
    body = {"entry_id": "5", "text": "社員食堂はありますか", "request_ids": ids}
    done = admin_client.post("/admin/log/alternate", json=body, headers=ADMIN_AUTH).json()
    assert done["published"] and done["settled"] == ids[:1] and done["still_open"] == ids[1:]
    groups = admin_client.get("/admin/log/unanswered", params={"days": 0}, headers=ADMIN_AUTH).json()
    assert [g["representative"] for g in groups] == ["宇宙旅行の予約はできますか"]


def test_a_log_that_fails_after_the_alternate_went_live_does_not_undo_or_hide_the_publish(
    admin_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faq_bot.errors import LogUnavailableError

    rid = admin_client.post("/api/chat", json={"message": "社員食堂はありますか"}).json()["request_id"]

    def locked(*_: object) -> None:
        raise LogUnavailableError("question log database is locked")

    monkeypatch.setattr(admin_client.app.state.chatlog, "asked_of", locked)  # type: ignore[attr-defined]
    body = {"entry_id": "5", "text": "社員食堂はありますか", "request_ids": [rid]}
    res = admin_client.post("/admin/log/alternate", json=body, headers=ADMIN_AUTH)
    assert res.status_code == 200 and res.json()["published"] and "質問ログを更新できなかった" in res.json()["log_note"]
    assert admin_client.get("/api/faqs/5").json()["answer"]  # live, and the FAQ has the alternate
    assert "社員食堂はありますか" in admin_client.get("/admin/faq.tsv", headers=ADMIN_AUTH).text


def test_staff_can_dismiss_a_group(admin_client: TestClient) -> None:
    ids = [admin_client.post("/api/chat", json={"message": m}).json()["request_id"] for m in ("あああ", "今日の天気")]
    res = admin_client.post("/admin/log/dismiss", json={"request_ids": ids[:1]}, headers=ADMIN_AUTH)
    assert res.json() == {"dismissed": 1}
    groups = admin_client.get("/admin/log/unanswered", params={"days": 0}, headers=ADMIN_AUTH).json()
    assert [g["representative"] for g in groups] == ["今日の天気"]


def test_validate_refuses_the_same_alternate_twice_in_one_entry(admin_client: TestClient) -> None:
    dup = SMALL_FAQ.replace("見積を作りたい|quotation", "見積を作りたい|quotation|見積を作りたい。")
    problems = upload(admin_client, dup.encode())["problems"]
    assert [(p["line"], p["column"]) for p in problems] == [(4, "言い換え")] and "同じFAQ" in problems[0]["message"]


def test_the_failed_publish_banner_needs_a_failed_publish_and_a_good_preview_clears_it(
    logged_in_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = logged_in_client
    csrf = csrf_of(client.get("/admin").text)
    banner = "直近の公開に失敗しました"
    bad = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("bad.tsv", b"id\tquestion\n1\tq\n")})
    assert "公開できません" in bad.text and banner not in bad.text  # a refused file is not a failed publish
    engine = client.app.state.publisher.engine  # type: ignore[attr-defined]

    def broken_build(*args: object, **kwargs: object) -> None:
        raise ModelError("model file vanished")

    monkeypatch.setattr(engine, "build", broken_build)
    with pytest.raises(ModelError):
        client.app.state.publisher.publish_bytes(SMALL_FAQ.replace("10日", "20日").encode(), "x")  # type: ignore[attr-defined]
    assert banner in client.get("/admin").text
    monkeypatch.undo()
    good = client.post(
        "/admin/ui/upload", data={"csrf": csrf}, files={"file": ("ok.tsv", SMALL_FAQ.replace("10日", "20日").encode())}
    )
    assert "差分プレビュー" in good.text and banner not in good.text


def test_a_file_with_many_changes_shows_thirty_in_full_and_folds_the_rest(logged_in_client: TestClient) -> None:
    client = logged_in_client
    csrf = csrf_of(client.get("/admin").text)
    added = "".join(f"{100 + n}\t請求\t追加の質問その{n}ですか\t追加の回答その{n}です。\t\n" for n in range(40))
    page = client.post(
        "/admin/ui/upload", data={"csrf": csrf}, files={"file": ("many.tsv", (SMALL_FAQ + added).encode())}
    ).text
    assert "追加 40件" in page
    head, folded = page.split('<details class="more-changes"><summary>ほか 10件の変更を表示</summary>')
    assert head.count('<article class="change added"') == 30
    assert folded.split("</details>")[0].count('<article class="change added"') == 10
    assert "この内容で公開する" in folded.split("</details>")[1]  # the publish button after the fold


def test_a_broken_workbook_reads_as_a_plain_problem_and_formula_rows_show_their_cells(admin_client: TestClient) -> None:
    from openpyxl import Workbook

    from tests.conftest import ADMIN_TOKEN

    book = Workbook()
    for line in SMALL_FAQ.strip().splitlines():
        book.active.append(line.split("\t"))
    book.active["D3"] = "=CONCAT(A1,B1)"
    out = io.BytesIO()
    book.save(out)
    xlsx = out.getvalue()
    cut = upload(admin_client, xlsx[: len(xlsx) // 2], "faq.xlsx")["problems"]
    assert "壊れているか" in cut[0]["message"] and "BadZipFile" not in cut[0]["message"]
    admin_client.post("/admin/login", data={"token": ADMIN_TOKEN})
    csrf = csrf_of(admin_client.get("/admin").text)
    page = admin_client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.xlsx", xlsx)}).text
    assert "形式: Excel (.xlsx)" in page and "文字コード: Excel" not in page
    assert "数式は使えません" in page and "=CONCAT(A1,B1)" in page  # the row as the editor sees it in Excel


def test_the_preview_marks_a_phrasing_the_edit_stops_answering_as_worse(logged_in_client: TestClient) -> None:
    """The live FAQ answers entry 3's alternate 「見積を作りたい」 with 3; after this edit it would not. The page says
    so as a regression (悪化, with the outcome now), not only as a phrasing that misses."""
    client = logged_in_client
    edited = SMALL_FAQ.replace("見積を作りたい|quotation", "見積を作りたい|quotation|見積の有効期限")
    edited += "7\t見積\t見積を作りたいです\t担当者が見積書を作成します。\t\n"
    reply = upload(client, edited.encode())
    worse = [m for m in reply["own_misses"] if m["worse"]]
    assert [(m["entry_id"], m["text"], m["before"]) for m in worse] == [("3", "見積を作りたい", "answer:3")]
    csrf = csrf_of(client.get("/admin").text)
    page = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", edited.encode())}).text
    assert "うち悪化 1件:" in page
    # the outcomes name their entries' questions (「回答 3」 alone says little)
    row = '<tr class="verdict-悪化"><td>3</td><td>見積を作りたい</td><td>回答 3<br><small class="meta">3「見積書を発行'
    assert row in page
    # said at the top too, and 公開 needs the editor to say they saw it
    top = page.partition('<h3 id="preview-h"')[2].partition("<table")[0]
    assert '<p class="warn" role="alert"><strong>悪化 1件:</strong>' in top
    # the link names the section the 悪化 row is in (no regression file question got worse)
    link = '<a href="#own-misses-h">下の「追加・変更したFAQの質問で確かめた結果」</a>を確かめてから公開してください'
    assert link in top
    assert '<input type="checkbox" name="accept_worse" value="1" required> 悪化 1件を確かめたうえで公開します' in page
    assert "回帰テストの質問で、回答が変わるものはありません" in page  # the regression file's questions: unchanged


def test_the_home_page_says_what_editors_need_and_folds_the_technical_facts(logged_in_client: TestClient) -> None:
    page = logged_in_client.get("/admin").text
    facts, _, folded = page.partition('<details class="tech">')
    assert "このバージョンの作成日時" in facts and "件数" in facts and "自動では公開しません" in facts
    model_id = logged_in_client.app.state.publisher.engine.current.index.manifest.model_id  # type: ignore[attr-defined]
    assert model_id not in facts and "ベクトル" not in facts
    assert model_id in folded and "技術情報" in folded


def test_the_preview_names_a_new_entrys_question_that_entry_would_not_answer(logged_in_client: TestClient) -> None:
    client = logged_in_client
    added = SMALL_FAQ + "7\t配送\t送料はいくらですか\t配送方法は注文画面で選べます。\t\n"
    reply = upload(client, added.encode())
    assert [(m["entry_id"], m["text"]) for m in reply["own_misses"]] == [("7", "送料はいくらですか")]
    csrf = csrf_of(client.get("/admin").text)
    page = client.post("/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", added.encode())}).text
    assert "追加・変更したFAQの質問で確かめた結果" in page and "<td>送料はいくらですか</td>" in page
    assert "accept_worse" not in page  # a new entry's miss is no regression: 公開 asks nothing more
    assert (
        "追加・変更したFAQの質問で確かめた結果"
        not in client.post(  # nothing to say: no section
            "/admin/ui/upload",
            data={"csrf": csrf},
            files={"file": ("faq.tsv", SMALL_FAQ.replace("10日", "20日").encode())},
        ).text
    )
