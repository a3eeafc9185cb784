"""Long admin actions stream their progress: numbered stages, the time gone by, a line again in a long stage."""

from __future__ import annotations

import time

import pytest
from fastapi import Request

from faq_bot.config import Settings
from faq_bot.progress import Progress, Step
from faq_bot.service import streaming
from faq_bot.service.streaming import View, with_progress
from tests.conftest import app_client


def test_a_long_stage_shows_its_line_again_with_the_time_gone_by_without_reading_it_out_again(
    admin_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming, "HEARTBEAT", 0.05)

    def work(progress: Progress) -> View:
        progress(Step("ベクトルを作成しています", 1, 10))
        time.sleep(1.3)  # a long stage: no new step for over a second
        progress(Step("語を解析しています", 1, 2))
        return View("notice.html", {"heading": "済み", "message": "終わりました"})

    with app_client(admin_settings) as client:

        async def slow(request: Request) -> object:
            return await with_progress(request, request.app.state.admin_auth, "publish", "確認しています", work)

        client.app.add_api_route("/slow", slow)  # type: ignore[attr-defined]
        body = client.get("/slow").text
    lines = [line for line in body.splitlines() if 'class="step"' in line]
    first = [line for line in lines if "手順1: ベクトルを作成しています" in line]
    assert len(first) >= 2 and "経過 0秒" in first[0] and "経過 1秒" in first[-1]  # shown again as time goes by
    assert 'aria-hidden="true"' not in first[0] and all('aria-hidden="true"' in line for line in first[1:])
    assert any("手順2: 語を解析しています" in line for line in lines) and "終わりました" in body
