from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from faq_bot.config import Settings
from faq_bot.errors import ModelError
from faq_bot.model.batching import MicroBatcher
from faq_bot.model.embedder import Vectors
from faq_bot.service.app import create_app
from faq_bot.storage.chatlog import ChatLog
from faq_bot.storage.database import Database
from tests.conftest import app_client, written_log
from tests.fakes import FakeEmbedder


@pytest.fixture
def api_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"log_path": tmp_path / "log.sqlite3", "cors_origins": ["https://shop.example"]})


@pytest.fixture
def client(api_settings: Settings) -> Iterator[TestClient]:
    with app_client(api_settings) as c:
        yield c


def chat(client: TestClient, message: str, **extra: object) -> dict:  # type: ignore[type-arg]
    res = client.post("/api/chat", json={"message": message, **extra})
    assert res.status_code == 200, res.text
    return res.json()  # type: ignore[no-any-return]


def test_answer_reply_has_the_documented_shape(client: TestClient) -> None:
    reply = chat(client, "請求書をダウンロードできますか")
    assert reply["decision"] == "answer"
    assert reply["entry"] == {"id": "2", "category": "請求", "question": "請求書をダウンロードできますか"}
    assert reply["answer"].startswith("マイページ")
    assert 0 <= reply["confidence"] <= 1 and reply["suggestions"] == [] and reply["escalation"] is None
    assert len(reply["request_id"]) == 32 and reply["faq_version"]


def test_an_unanswerable_message_escalates_with_its_text_and_link(client: TestClient, api_settings: Settings) -> None:
    reply = chat(client, "？？？ 宇宙")
    assert reply["decision"] == "escalate" and reply["entry"] is None
    assert reply["escalation"] == {"text": api_settings.escalation_text, "contact_url": api_settings.contact_url}


@pytest.mark.parametrize("message", ["？？？", "すみません", "はい", "123"])
def test_a_message_asking_nothing_is_asked_for_its_question_with_the_way_on(client: TestClient, message: str) -> None:
    reply = chat(client, message)
    assert reply["decision"] == "smalltalk" and reply["entry"] is None and reply["suggestions"] == []
    assert "具体的に入力してください" in reply["answer"]  # not 「FAQではお答えできませんでした」
    assert reply["refers_to_contact"] is True and reply["contact_url"]  # never a dead end


def test_an_escalation_can_carry_related_questions_but_no_answer(api_settings: Settings) -> None:
    s = api_settings.model_copy(update={"related_threshold": 0.05})  # the fake embedder's scores are low
    with app_client(s) as client:
        reply = chat(client, "見積書の料金はいくらですか")  # entry 3 (見積書を発行できますか) names no price
        assert reply["decision"] == "escalate" and reply["entry"] is None and reply["suggestions"] == []
        assert reply["related"][0] == {"id": "3", "category": "見積", "question": "見積書を発行できますか"}
        assert chat(client, "？？？")["related"] == []


def offered(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries a reply puts in front of the visitor: its answer's entry, else its suggestions."""
    return [reply["entry"]] if reply["entry"] else list(reply["suggestions"])


@pytest.mark.parametrize(
    ("message", "category", "expected", "unfiltered_category"),
    [
        ("パスワードとクレジットカードを変更できますか", "支払い", "4", "会員"),
        ("見積書をダウンロードできますか", "請求", "2", "見積"),
    ],
)
def test_categories_filter_the_answer(
    client: TestClient, message: str, category: str, expected: str, unfiltered_category: str
) -> None:
    """A question closest to another category is answered (or suggested) from the chosen one."""
    unfiltered = chat(client, message)
    assert unfiltered["decision"] in {"answer", "suggest"}
    assert offered(unfiltered)[0]["category"] == unfiltered_category != category
    filtered = chat(client, message, categories=[category])
    assert filtered["decision"] in {"answer", "suggest"}
    shown = offered(filtered)
    assert shown and shown[0]["id"] == expected
    assert {e["category"] for e in shown} == {category}


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"message": ""}, 422, "メッセージを入力してください。"),
        ({"message": "   "}, 422, "メッセージを入力してください。"),
        ({}, 422, "メッセージを入力してください。"),
        ({"message": "あ" * 1001}, 422, "1000文字以内"),
        ({"message": "請求", "categories": ["存在しない分類"]}, 422, "不明な分類です: 存在しない分類"),
        ({"message": 3}, 422, "入力が正しくありません"),
        ({"message": "x", "extra": 1}, 422, "入力が正しくありません"),
    ],
)
def test_bad_chat_requests_get_japanese_4xx(client: TestClient, body: dict, status: int, detail: str) -> None:  # type: ignore[type-arg]
    res = client.post("/api/chat", json=body)
    assert res.status_code == status
    assert detail in res.json()["detail"]


@pytest.mark.parametrize("chars", [1001, 2001])  # over this server's limit / over the documented bound
def test_a_message_too_long_gets_the_servers_limit_with_the_error(client: TestClient, chars: int) -> None:
    res = client.post("/api/chat", json={"message": "あ" * chars})
    assert res.status_code == 422
    assert res.json() == {"detail": "メッセージは1000文字以内で入力してください。", "max_chars": 1000}


def test_invalid_json_is_a_400(client: TestClient) -> None:
    res = client.post("/api/chat", content=b'{"message": ', headers={"Content-Type": "application/json"})
    assert res.status_code == 400 and res.json() == {"detail": "JSONの形式が正しくありません。"}


def test_oversized_body_is_refused_with_413(client: TestClient) -> None:
    res = client.post("/api/chat", json={"message": "あ" * 20_000})
    assert res.status_code == 413 and "大きすぎます" in res.json()["detail"]


def test_faq_entry_and_unknown_id(client: TestClient) -> None:
    res = client.get("/api/faqs/4")
    assert res.status_code == 200 and res.json()["answer"] == "VISAとJCBに対応しています。"
    missing = client.get("/api/faqs/999")
    assert missing.status_code == 404 and "見つかりません" in missing.json()["detail"]


def test_categories_endpoint_lists_categories_in_faq_order(client: TestClient) -> None:
    assert client.get("/api/categories").json()["categories"] == ["請求", "見積", "支払い", "会員"]


def test_feedback_and_suggestion_clicks_are_logged_once_per_reply(client: TestClient, api_settings: Settings) -> None:
    rid = chat(client, "見積書を発行できますか")["request_id"]
    assert client.post("/api/feedback", json={"request_id": rid, "rating": "up"}).json() == {"ok": True}
    assert (
        client.post("/api/feedback", json={"request_id": rid, "rating": "down", "comment": "違う"}).status_code == 200
    )
    assert client.get(f"/api/faqs/3?request_id={rid}").status_code == 200
    unknown = client.post("/api/feedback", json={"request_id": "nope", "rating": "up"})
    assert unknown.status_code == 404
    bad = client.post("/api/feedback", json={"request_id": rid, "rating": "meh"})
    assert bad.status_code == 422
    log = written_log(client)
    assert (log.count("chats"), log.count("feedback"), log.count("clicks")) == (1, 1, 1)


def test_personal_data_typed_in_full_width_never_reaches_the_log_or_its_csv(
    client: TestClient, api_settings: Settings
) -> None:
    message = "電話は０９０－１２３４－５６７８、カードは4111 1111 1111 1111です"
    rid = chat(client, message)["request_id"]
    comment = "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ か 090ー1234ー5678、〒100-0001 へ"
    rated = client.post("/api/feedback", json={"request_id": rid, "rating": "down", "comment": comment})
    assert rated.status_code == 200
    stored = written_log(client).questions()[0]
    assert stored.message == "電話は[電話番号]、カードは[カード番号]です"
    assert stored.comment == "[メールアドレス] か [電話番号]、[郵便番号] へ"
    exported = "".join(ChatLog(Database.sqlite(api_settings.log_path)).export_csv())
    for raw in ("１２３４", "1111", "ｅｘａｍｐｌｅ", "1234", "0001"):
        assert raw not in exported


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "faq_version": None, "entries": None}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ok" and ready["entries"] == 6


def test_not_ready_before_the_lifespan_ran(api_settings: Settings) -> None:
    client = TestClient(create_app(api_settings, FakeEmbedder()))  # no `with`: lifespan not started
    assert client.get("/readyz").status_code == 503


def test_cors_allows_only_configured_origins(client: TestClient) -> None:
    ok = client.options(
        "/api/chat", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    )
    assert ok.headers.get("access-control-allow-origin") == "https://shop.example"
    other = client.post("/api/chat", json={"message": "請求"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_openapi_documents_every_endpoint_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/chat", "/api/faqs/{entry_id}", "/api/categories", "/api/feedback", "/healthz", "/readyz"} <= set(
        spec["paths"]
    )
    schemas = spec["components"]["schemas"]
    assert schemas["ChatRequest"]["examples"] and schemas["ChatReply"]["examples"]
    assert "422" in spec["paths"]["/api/chat"]["post"]["responses"]


def test_concurrent_requests_are_all_answered_correctly(client: TestClient) -> None:
    questions = {
        "請求書をダウンロードできますか": "2",
        "クレジットカードは使えますか": "4",
        "銀行振込はできますか": "5",
    }
    results: list[tuple[str, str | None]] = []
    lock = threading.Lock()

    def worker(q: str) -> None:
        for _ in range(5):
            reply = client.post("/api/chat", json={"message": q}).json()
            with lock:
                results.append((q, reply["entry"]["id"] if reply["entry"] else None))

    threads = [threading.Thread(target=worker, args=(q,)) for q in questions for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 45
    assert all(questions[q] == got for q, got in results)


def test_demo_page_and_widget_script_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'src="/widget.js"' in page.text and "<script>" not in page.text
    js = client.get("/widget.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in js.text
    assert client.get("/static/widget.css").status_code == 200


@pytest.mark.integration
def test_real_engine_over_http_answers_and_escalates(real_settings: Settings, tmp_path: Path) -> None:
    settings = real_settings.model_copy(update={"log_path": tmp_path / "log.sqlite3"})
    with TestClient(create_app(settings)) as client:
        answered = chat(client, "請求書はPDFでダウンロードできますか")
        assert answered["decision"] == "answer" and answered["entry"]["id"] == "31"
        assert chat(client, "明日の天気を教えてください")["decision"] == "escalate"
        assert client.get("/readyz").json()["entries"] == 47


def test_a_micro_batched_server_answers_and_a_failing_encoder_is_a_503_not_a_hang(api_settings: Settings) -> None:
    class Flaky(FakeEmbedder):
        failing = False

        def encode_queries(self, texts: Sequence[str]) -> Vectors:
            if self.failing:
                raise ModelError("encoder down")
            return super().encode_queries(texts)

    flaky = Flaky()
    # As `faq-bot serve` runs: the request awaits the micro-batcher on the event loop.
    with TestClient(create_app(api_settings, MicroBatcher(flaky))) as c:
        ok = c.post("/api/chat", json={"message": "請求書はダウンロードできますか"})
        assert ok.status_code == 200 and ok.json()["decision"] in {"answer", "suggest", "escalate"}
        flaky.failing = True
        down = c.post("/api/chat", json={"message": "見積書を発行したい"})
        assert down.status_code == 503 and "準備ができていません" in down.json()["detail"]
        flaky.failing = False
        assert c.post("/api/chat", json={"message": "見積書を発行したい"}).status_code == 200
