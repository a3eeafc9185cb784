"""The answers to check (``faq_bot.quality.doubtful``): pages of what the log groups (``ChatLog.doubtful_answers``)."""

from __future__ import annotations

import time
from pathlib import Path

from faq_bot.quality.doubtful import review
from faq_bot.storage.chatlog import ChatLog, ChatRecord
from faq_bot.storage.database import Database


def test_a_page_past_the_last_is_the_last_and_counts_rows_and_questions(tmp_path: Path) -> None:
    log = ChatLog(Database.sqlite(tmp_path / "log.sqlite3"))
    now = time.time()
    log.write([ChatRecord(f"r{n}", f"質問{n}", "answer", "1", (n + 1) / 100, "v1", created=now) for n in range(25)])
    log.write([ChatRecord("again", "質問3", "answer", "1", 0.5, "v1", created=now)])  # the same words: one row
    log.write([ChatRecord("old", "昔の質問", "answer", "1", 0.1, "v1", created=now - 40 * 86400)])
    shown = review(log, days=30, below=0.8, page=9, per_page=10)
    assert (shown.page, shown.pages, shown.total_rows, shown.total_questions) == (3, 3, 25, 26)
    assert [r.message for r in shown.rows] == [f"質問{n}" for n in range(20, 25)]
    assert review(log, days=0, below=0.8).total_rows == 26  # every day: the old one too
    assert review(log, days=30, below=0.8, page=379045953308579584, per_page=298).page == 1  # no offset overflow
    assert review(log, days=30, below=0.01, page=2).pages == 1 and not review(log, days=30, below=0.01).rows
