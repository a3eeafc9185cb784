"""The pages' template filters."""

from __future__ import annotations

from fastapi.testclient import TestClient

from faq_bot.service.templating import blanks_shown, source_shown
from tests.conftest import SMALL_FAQ, csrf_of


def test_a_changed_run_of_blanks_alone_is_marked_and_any_other_escaped() -> None:
    shown = str(blanks_shown(" \n　\t"))
    assert shown.startswith('<span class="blank" title="半角スペース" aria-label="半角スペース">␣</span>')
    assert '<span class="blank" title="改行" aria-label="改行">↵</span>\n' in shown  # still a line break after it
    assert "全角スペース" in shown and "タブ" in shown
    # a run with text is seen as it is: escaped, its spaces unmarked
    assert str(blanks_shown("How long <b>\nなど")) == "How long &lt;b&gt;\nなど"


def test_a_line_break_added_in_a_cell_shows_in_the_preview(logged_in_client: TestClient) -> None:
    """Alt+Enter in an Excel cell changes the answer: the diff must show where, not an empty highlight."""
    edited = SMALL_FAQ.replace("毎月10日頃に発行します。", "毎月10日頃に\n発行します。").replace(
        "\t毎月10日頃に\n発行します。", '\t"毎月10日頃に\n発行します。"'
    )
    csrf = csrf_of(logged_in_client.get("/admin").text)
    page = logged_in_client.post(
        "/admin/ui/upload", data={"csrf": csrf}, files={"file": ("faq.tsv", edited.encode())}
    ).text
    assert "変更 1件" in page
    assert '毎月10日頃に<ins><span class="blank" title="改行" aria-label="改行">↵</span>\n</ins>発行します。' in page


def test_a_version_from_a_file_on_the_server_is_named_by_the_file_not_its_folders() -> None:
    assert source_shown("/srv/faq/data/faq.tsv") == "faq.tsv（サーバー上のファイル）"
    assert source_shown("C:\\faq\\faq.tsv") == "faq.tsv（サーバー上のファイル）"
    assert source_shown("faq_2026-12.xlsx") == "faq_2026-12.xlsx" and source_shown(
        "FAQ 3 の編集（管理画面）"
    ).startswith("FAQ 3")
    assert source_shown(None) == source_shown("") == "-"


def test_the_preview_names_phrasings_answered_only_as_written_apart_from_those_not_answered() -> None:
    from types import SimpleNamespace

    from faq_bot.publishing.regression import OwnPhrasingMiss
    from faq_bot.service.templating import templates

    def preview(*misses: OwnPhrasingMiss) -> SimpleNamespace:
        return SimpleNamespace(
            regressions=[], regression_total=0, regression_confirmed=0, worse_regressions=[], confirmed_unread=False,
            removed_ids=[], own_misses=list(misses), worse_own=[m for m in misses if m.worse],
            question=lambda i, before: "見積書を発行できますか",
        )  # fmt: skip

    written = OwnPhrasingMiss("3", "見積を作りたい", "answer:3", "answer:3", as_written=True)
    missed = OwnPhrasingMiss("3", "quotation", "suggest:3,1")
    page = templates().env.get_template("_regressions.html").render(preview=preview(written, missed))
    assert "のうち「この文のままなら回答」でないものは、公開後にそのFAQで回答されません" in page
    assert "「この文のままなら回答」の1件は、FAQに書かれた文そのものなので回答しますが" in page
    row = page.partition("<td>見積を作りたい</td>")[2].partition("</tr>")[0]
    assert row.endswith("<td>この文のままなら回答</td>") and 'class="verdict-悪化"' not in page
    alone = templates().env.get_template("_regressions.html").render(preview=preview(written))
    assert "回答されません" not in alone and "この文のままなら回答" in alone
