"""A file made from an older version: what it would undo of what was published since, and the merge that keeps both."""

from __future__ import annotations

from faq_bot.content.faq import FaqEntry
from faq_bot.content.merge import drift, merged, unknown_drift

A = FaqEntry("1", "会員", "退会できますか", "お問い合わせください。")
B = FaqEntry("2", "請求", "請求書はいつ届きますか", "毎月10日頃に発行します。")
C = FaqEntry("3", "注文", "注文を取り消せますか", "発送前なら取り消せます。")
ORIGIN = [A, B, C]


def edited(entry: FaqEntry, answer: str) -> FaqEntry:
    return FaqEntry(entry.id, entry.category, entry.question, answer, entry.alternates, line=99)


def ids(entries: list[FaqEntry]) -> list[str]:
    return [e.id for e in entries]


def test_a_file_left_as_downloaded_undoes_every_change_published_since() -> None:
    added = FaqEntry("4", "会員", "パスワードを忘れました", "ログイン画面から再設定できます。")
    live = [A, edited(B, "毎月15日頃に発行します。"), added]  # 3 deleted, 2 edited, 4 added since
    d = drift("abc123", ORIGIN, live, ORIGIN)
    assert {(e.id, e.live_change) for e in d.undone} == {("2", "changed"), ("4", "added"), ("3", "removed")}
    assert d.conflicts == () and d.since == 3 and d.harmful
    assert next(e for e in d.undone if e.id == "3").question == C.question  # deleted since: the origin's question


def test_changes_the_file_already_has_are_not_undone_and_its_own_changes_are_not_drift() -> None:
    live = [A, edited(B, "毎月15日頃に発行します。"), C]
    file = [edited(A, "マイページから退会できます。"), edited(B, "毎月15日頃に発行します。"), C]
    d = drift("abc123", ORIGIN, live, file)
    assert d.undone == () and d.conflicts == () and d.since == 1 and not d.harmful


def test_an_entry_both_changed_differently_is_a_conflict() -> None:
    live = [A, edited(B, "毎月15日頃に発行します。"), C]
    file = [A, edited(B, "毎月20日頃に発行します。"), C]
    d = drift("abc123", ORIGIN, live, file)
    assert [(e.id, e.live_change) for e in d.conflicts] == [("2", "changed")] and d.undone == ()


def test_look_alike_characters_from_excel_are_not_a_change() -> None:
    wavy = FaqEntry("1", "会員", "退会できますか", "お問い合わせください〜")
    tilde = FaqEntry("1", "会員", "退会できますか", "お問い合わせください～")
    assert not drift("abc123", [wavy, B], [wavy, edited(B, "x")], [tilde, B]).conflicts


def test_an_origin_no_longer_kept_cannot_be_told_and_is_harmful() -> None:
    d = unknown_drift("abc123")
    assert not d.known and d.harmful and d.undone == ()


def test_the_merge_keeps_what_was_published_since_and_applies_only_the_files_own_changes() -> None:
    added_since = FaqEntry("4", "会員", "パスワードを忘れました", "ログイン画面から再設定できます。")
    live = [A, edited(B, "毎月15日頃に発行します。"), C, added_since]
    mine = FaqEntry("5", "注文", "注文を変更できますか", "発送前なら変更できます。")
    file = [edited(A, "マイページから退会できます。"), B, mine]  # edits 1, deletes 3, adds 5 after 2
    out = merged(ORIGIN, live, file)
    assert ids(out) == ["1", "2", "5", "4"]
    assert out[0].answer == "マイページから退会できます。"  # the file's edit
    assert out[1].answer == "毎月15日頃に発行します。"  # the change published since, kept
    assert not drift("x", ORIGIN, live, out).harmful  # published as the file, it undoes nothing


def test_the_merge_takes_the_files_text_in_a_conflict_and_does_not_bring_back_what_was_deleted_since() -> None:
    live = [edited(B, "毎月15日頃に発行します。")]  # 1 and 3 deleted since
    file = [A, edited(B, "毎月20日頃に発行します。"), edited(C, "いつでも取り消せます。")]  # 1 left, 3 edited
    out = merged(ORIGIN, live, file)
    assert ids(out) == ["2", "3"]  # 1, left as it was, stays deleted; 3, edited in the file, comes back
    assert out[0].answer == "毎月20日頃に発行します。" and out[1].answer == "いつでも取り消せます。"


def test_a_new_entry_at_the_top_of_the_file_goes_first() -> None:
    first = FaqEntry("0", "案内", "このサイトは何ですか", "法人向けの通販サイトです。")
    assert ids(merged(ORIGIN, ORIGIN, [first, *ORIGIN])) == ["0", "1", "2", "3"]
