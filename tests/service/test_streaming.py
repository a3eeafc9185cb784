"""Long admin actions stream their progress: numbered stages, the time gone by, a line again in a long stage."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import pytest
from fastapi import Request

from faq_bot.config import Settings
from faq_bot.errors import DatabaseError
from faq_bot.progress import Progress, Step
from faq_bot.service import streaming
from faq_bot.service.streaming import View, with_progress
from tests.conftest import app_client


def test_a_long_stage_shows_its_line_again_without_reading_it_out_again(
    admin_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming, "HEARTBEAT", 0.01)
    seen_again = threading.Event()  # the work's long stage lasts until the page has shown its line again

    def work(progress: Progress) -> View:
        progress(Step("文章を検索用の数値に変換しています", 1, 10))
        assert seen_again.wait(30)
        progress(Step("語を解析しています", 1, 2))
        return View("notice.html", {"heading": "済み", "message": "終わりました"})

    with app_client(admin_settings) as client:

        async def slow(request: Request) -> object:
            return await with_progress(request, request.app.state.admin_auth, "publish", "確認しています", work)

        client.app.add_api_route("/slow", slow)  # type: ignore[attr-defined]
        lines = []
        with client.stream("GET", "/slow") as res:
            for line in res.iter_lines():
                lines.append(line)
                if 'aria-hidden="true"' in line:
                    seen_again.set()
    body = "\n".join(lines)
    first = [line for line in lines if "手順1: 文章を検索用の数値に変換しています" in line]
    assert len(first) >= 2 and all("経過 " in line for line in first)  # shown again while the stage lasts
    assert "10%<small>（1 / 10）</small>" in first[0]  # how far, and of how many
    assert 'aria-hidden="true"' not in first[0] and all('aria-hidden="true"' in line for line in first[1:])
    assert any("手順2: 語を解析しています" in line for line in lines) and "終わりました" in body


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "サーバーのディスクに空きがないため"),
        (DatabaseError("staged files: could not connect"), "データベースに接続できません"),
        (RuntimeError("a bug"), "処理中にエラーが発生しました"),
    ],
)
def test_a_long_action_that_fails_for_the_servers_storage_says_so(
    admin_settings: Settings, failure: Exception, said: str
) -> None:
    def work(progress: Progress) -> View:
        progress(Step("保存して切り替えています"))
        raise failure

    with app_client(admin_settings) as client:

        async def failing(request: Request) -> object:
            return await with_progress(request, request.app.state.admin_auth, "publish", "公開しています", work)

        client.app.add_api_route("/failing", failing)  # type: ignore[attr-defined]
        page = client.get("/failing").text
    assert f'<p class="error" role="alert">{said}' in page
    assert "公開中のFAQは変わっていません" in page or isinstance(failure, DatabaseError)


def test_an_api_call_on_a_full_disk_is_a_507_in_japanese(admin_settings: Settings) -> None:
    def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with app_client(admin_settings) as client:
        client.app.add_api_route("/full", full)  # type: ignore[attr-defined]
        client.app.add_api_route("/broken", lambda: Path("/nonexistent/x").read_bytes())  # type: ignore[attr-defined]
        reply = client.get("/full")
        assert reply.status_code == 507 and "ディスクに空きがない" in reply.json()["detail"]
        other = client.get("/broken")
        assert other.status_code == 500 and "サーバーでエラーが発生しました" in other.json()["detail"]
