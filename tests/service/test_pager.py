"""The question log's pager (web/templates/_pager.html): a handful of links however many pages there are."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from faq_bot import assets


def _render(page: int, pages: int, days: int = 30, label: str = "ページ送り") -> str:
    macro = assets.environment().get_template("_pager.html").module.pager  # type: ignore[attr-defined]
    return str(macro(SimpleNamespace(page=page, pages=pages), days, 30, label))


def _pager(page: int, pages: int) -> list[str]:
    """What the pager shows, in order: 前, the page numbers ([n]: the current one), 「…」, 次."""
    shown = []
    for attributes, text, gap in re.findall(r"<a ([^>]*)>([^<]*)</a>|(…)", _render(page, pages)):
        if gap:
            shown.append("…")
        elif 'rel="prev"' in attributes or 'rel="next"' in attributes:
            shown.append(text[2] if text.startswith("←") else text[0])  # 前 / 次
        else:
            shown.append(f"[{text}]" if 'aria-current="page"' in attributes else text)
    return shown


@pytest.mark.parametrize(
    "page, pages, shown",
    [
        (1, 2, ["[1]", "2", "次"]),
        (2, 2, ["前", "1", "[2]"]),
        (1, 14, ["[1]", "2", "3", "…", "14", "次"]),
        (7, 14, ["前", "1", "…", "5", "6", "[7]", "8", "9", "…", "14", "次"]),
        (5, 14, ["前", "1", "2", "3", "4", "[5]", "6", "7", "…", "14", "次"]),  # 2, not a 「…」 as wide as it
        (14, 14, ["前", "1", "…", "12", "13", "[14]"]),
        (60, 120, ["前", "1", "…", "58", "59", "[60]", "61", "62", "…", "120", "次"]),
    ],
)
def test_the_pager_shows_the_first_and_last_pages_and_two_either_side_of_the_current_one(
    page: int, pages: int, shown: list[str]
) -> None:
    assert _pager(page, pages) == shown


def test_the_pager_is_a_labelled_navigation_with_the_current_page_marked() -> None:
    html = _render(3, 9, days=7, label="ページ送り（一覧の上）")
    assert '<nav class="pager" aria-label="ページ送り（一覧の上）">' in html
    assert '<a href="/admin/log?days=7&amp;page=3" aria-label="3ページ目" aria-current="page">3</a>' in html
    assert html.count("aria-current") == 1 and "← 前の30グループ" in html and "次の30グループ →" in html


def test_the_pager_leads_to_the_list_it_is_drawn_for() -> None:
    macro = assets.environment().get_template("_pager.html").module.pager  # type: ignore[attr-defined]
    html = str(macro(SimpleNamespace(page=2, pages=3), 7, 30, "ページ送り", "/admin/answers?below=80&", "件"))
    assert 'href="/admin/answers?below=80&amp;days=7&amp;page=1" rel="prev">← 前の30件' in html
    assert 'href="/admin/answers?below=80&amp;days=7&amp;page=3" rel="next">次の30件 →' in html
    assert "/admin/log" not in html
