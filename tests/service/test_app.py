from __future__ import annotations

import asyncio

import pytest

from faq_bot.errors import DatabaseError
from faq_bot.service.app import _prune_staged
from tests.together import on_a_loop_of_its_own


class Staged:
    """A staging whose prune fails once (the shared database is away), then works."""

    def __init__(self) -> None:
        self.calls = 0

    def prune(self, now: float | None = None) -> int:
        self.calls += 1
        if self.calls == 1:
            raise DatabaseError("staged files postgresql://db: connection refused")
        return 0


def test_expired_staged_files_are_deleted_now_and_then_even_after_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    staging = Staged()

    async def run() -> None:
        task = asyncio.create_task(_prune_staged(staging, every=0.01))  # type: ignore[arg-type]
        while staging.calls < 3:
            await asyncio.sleep(0.01)
        task.cancel()

    on_a_loop_of_its_own(asyncio.wait_for(run(), timeout=10))
    assert staging.calls >= 3 and "connection refused" in caplog.text
