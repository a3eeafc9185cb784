"""The way to a person through the API (issue 14, items 1 and 2): prefilled contact links, small talk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from faq_bot.config import Settings
from tests.conftest import ADMIN_AUTH, SMALL_FAQ, app_client, write

CONTACT = "https://forms.example/new?q={question}&rid={request_id}"


@pytest.fixture
def client(admin_settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    faq = write(tmp_path / "contact.tsv", SMALL_FAQ + "7\t支払い\t分割払いはできますか\t"
                "詳細は弊社担当者、またはお問い合わせフォームにお問い合わせください。\t\n")  # fmt: skip
    s = admin_settings.model_copy(
        update={"faq_path": faq, "contact_url": CONTACT, "smalltalk_greeting": "ようこそ。何でも聞いてください。"}
    )
    with app_client(s, https=True) as c:
        yield c


def test_an_escalation_links_to_the_form_with_the_question_and_request_id(client: TestClient) -> None:
    reply = client.post("/api/chat", json={"message": "？？？ 宇宙"}).json()
    assert reply["decision"] == "escalate" and reply["refers_to_contact"] is True
    query = parse_qs(urlsplit(reply["escalation"]["contact_url"]).query)
    assert query == {"q": ["？？？ 宇宙"], "rid": [reply["request_id"]]}
    assert reply["contact_url"] == reply["escalation"]["contact_url"]


def test_an_answer_naming_the_contact_form_offers_the_link_and_others_do_not(client: TestClient) -> None:
    referral = client.post("/api/chat", json={"message": "分割払いはできますか"}).json()
    assert referral["decision"] == "answer" and referral["entry"]["id"] == "7"
    assert referral["refers_to_contact"] is True and "q=%E5%88%86%E5%89%B2" in referral["contact_url"]
    plain = client.post("/api/chat", json={"message": "請求書をダウンロードできますか"}).json()
    assert plain["decision"] == "answer" and plain["refers_to_contact"] is False
    assert plain["contact_url"].startswith("https://forms.example/new?q=")  # still there, for after 👎


def test_an_opened_suggestion_carries_the_asked_question_in_its_link(client: TestClient) -> None:
    asked = client.post("/api/chat", json={"message": "分割で払いたい"}).json()
    entry = client.get("/api/faqs/7", params={"request_id": asked["request_id"]}).json()
    assert entry["refers_to_contact"] is True
    assert parse_qs(urlsplit(entry["contact_url"]).query) == {"q": ["分割で払いたい"], "rid": [asked["request_id"]]}


def test_small_talk_gets_the_configured_reply_and_is_not_an_unanswered_question(client: TestClient) -> None:
    hello = client.post("/api/chat", json={"message": "こんにちは"}).json()  # item 2
    assert hello["decision"] == "smalltalk" and hello["answer"] == "ようこそ。何でも聞いてください。"
    assert hello["refers_to_contact"] is False and hello["escalation"] is None
    thanks = client.post("/api/chat", json={"message": "ありがとうございました"}).json()
    bye = client.post("/api/chat", json={"message": "さようなら"}).json()
    assert (thanks["decision"], bye["decision"]) == ("smalltalk", "smalltalk")
    assert thanks["refers_to_contact"] is False
    client.post("/api/chat", json={"message": "？？？ 宇宙"})
    csv = client.get("/admin/log.csv", headers=ADMIN_AUTH).text
    assert csv.count(",あいさつ,") == 3
    unanswered = client.get("/admin/log/unanswered", params={"days": 0}, headers=ADMIN_AUTH).json()
    assert [g["representative"] for g in unanswered] == ["？？？ 宇宙"]


def test_who_are_you_names_the_form_and_links_to_it_without_the_small_talk_as_its_question(client: TestClient) -> None:
    who = client.post("/api/chat", json={"message": "あなたは誰ですか"}).json()
    assert who["decision"] == "smalltalk" and "お問い合わせフォーム" in who["answer"]
    assert who["refers_to_contact"] is True and who["escalation"] is None
    assert parse_qs(urlsplit(who["contact_url"]).query) == {"rid": [who["request_id"]]}  # q= left empty
