from __future__ import annotations

from pathlib import Path

import pytest

from faq_bot.service.pages.logged import (
    TO_CHECK,
    UNANSWERED,
    ListPlace,
    LoggedQuestion,
    from_log,
    log_draft,
    log_list,
    read_logged,
    stage_logged,
)
from faq_bot.storage.staging import FolderStaging


@pytest.mark.parametrize(
    ("address", "found"),
    [("/admin/log?days=7&page=2", UNANSWERED), ("/admin/answers?days=0&below=80&page=1", TO_CHECK),
     ("/admin/log", UNANSWERED), ("/admin/login?next=/admin", None), ("/admin/logout", None),
     ("https://example.com/admin/log", None), ("//example.com/admin/log", None), ("/admin/entries", None)],
)  # fmt: skip
def test_only_the_logs_two_lists_are_a_way_back(address: str, found: object) -> None:
    assert log_list(address) is found


def test_a_place_in_the_lists_is_the_address_of_that_page() -> None:
    assert ListPlace("log", 7, 2, 80).address() == "/admin/log?days=7&page=2"
    assert ListPlace("answers", 0, 3, 70).address() == "/admin/answers?days=0&below=70&page=3"


def test_a_logged_question_is_kept_for_its_form_and_carried_to_its_publish(tmp_path: Path) -> None:
    staging = FolderStaging(tmp_path)
    logged = LoggedQuestion("社員食堂はありますか", "r1,r2", "/admin/answers?days=7&below=80&page=2")
    key = stage_logged(staging, logged)
    assert read_logged(staging, key) == logged
    carried = from_log(key, logged)
    assert carried["dismiss"] == "r1,r2" and carried["back"] == logged.back
    assert carried["draft_key"] == log_draft(key) != "new" and carried["log_key"] == key
    assert (carried["log_list"], carried["back_label"]) == ("確認したい回答", "確認したい回答に戻る")


def test_a_question_no_longer_kept_still_has_its_draft_and_nothing_else_is_a_logged_question(tmp_path: Path) -> None:
    staging = FolderStaging(tmp_path)
    gone = "0" * 32
    assert read_logged(staging, gone) is None
    assert from_log(gone, None) == {"log_key": gone, "draft_key": log_draft(gone)}  # what was typed comes back
    assert from_log("../x", None) == {} and from_log("", None) == {}
    foreign = stage_logged(staging, LoggedQuestion("社員食堂はありますか", "r1", "https://example.com/admin/log"))
    assert read_logged(staging, foreign) is None  # only a list of this site's log
    key = stage_logged(staging, LoggedQuestion("q", "r1", "/admin/log"))
    (tmp_path / f"from-log-{key}.json").write_text("[1, 2]", encoding="utf-8")  # kept, but not what was kept
    assert read_logged(staging, key) is None
