from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq_bot.config import Settings
from faq_bot.service.app import create_app
from tests.fakes import FakeEmbedder

TOKEN = "middleware-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BOUNDARY = "faqbotboundary"


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    s = settings.model_copy(
        update={"log_path": tmp_path / "log.db", "admin_token": SecretStr(TOKEN), "max_faq_bytes": 10_000}
    )
    with TestClient(create_app(s, FakeEmbedder()), base_url="https://testserver") as c:
        yield c


def chunks(data: bytes, size: int = 4096) -> Iterator[bytes]:
    """The body as a stream of chunks: no Content-Length, Transfer-Encoding: chunked."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


def multipart(content: bytes) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="faq.tsv"\r\n\r\n'.encode()
    return head + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def test_a_chunked_json_body_over_the_limit_gets_413_in_japanese(client: TestClient) -> None:
    body = json.dumps({"message": "請求書" * 10_000}).encode()  # ~90 KB, limit 16 KiB
    res = client.post("/api/chat", content=chunks(body), headers={"Content-Type": "application/json"})
    assert "content-length" not in res.request.headers
    assert res.status_code == 413 and res.json() == {"detail": "リクエストが大きすぎます。"}
    assert res.headers["x-content-type-options"] == "nosniff"


def test_a_chunked_multipart_upload_over_the_limit_gets_413(client: TestClient) -> None:
    body = multipart(b"x" * 200_000)  # over max_faq_bytes + 64 KiB of framing
    headers = {**AUTH, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    res = client.post("/admin/faq", content=chunks(body, 16_384), headers=headers)
    assert res.status_code == 413 and "大きすぎます" in res.json()["detail"]


def test_a_browser_posting_a_file_over_the_limit_gets_a_page_with_the_limit_and_the_way_back(
    client: TestClient,
) -> None:
    # The editor was left on a bare {"detail": …}: the form's own page never ran.
    headers = {**AUTH, "Accept": "text/html,*/*;q=0.8", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    for body in (chunks(multipart(b"x" * 200_000), 16_384), multipart(b"x" * 200_000)):  # streamed, then declared
        page = client.post("/admin/faq", content=body, headers=headers)
        assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
        assert "ファイルが大きすぎます" in page.text and "上限（約75 KB）" in page.text
        assert 'href="/admin"' in page.text and "何も変更していません" in page.text and "分けて" not in page.text
        assert 'aria-label="管理メニュー"' in page.text  # an admin page, with the menu
    assert "送られたデータ（約200 KB）が上限" in page.text  # declared: its size is said (streamed: not known)
    batch = client.post("/admin/ui/batch", content=multipart(b"x" * 200_000), headers=headers)
    assert batch.status_code == 413 and '<a href="/admin/batch">一括テストに戻る' in batch.text  # back to its form
    assert '<body data-address="/admin/batch">' in batch.text  # and a reload opens it, never sends the file again


def test_a_chunked_body_under_the_limit_is_served(client: TestClient) -> None:
    body = json.dumps({"message": "請求書はいつ発行されますか"}).encode()
    res = client.post("/api/chat", content=chunks(body, 8), headers={"Content-Type": "application/json"})
    assert res.status_code == 200 and res.json()["decision"]


def test_declared_bodies_over_the_limit_get_413_before_anything_is_read(client: TestClient) -> None:
    res = client.post("/api/chat", content=b"{}" + b" " * 20_000, headers={"Content-Type": "application/json"})
    assert res.status_code == 413
