"""A file made from an older version: what it would undo of what was published since, and the merge that keeps both."""

from __future__ import annotations

from faq_bot.content.faq import FaqEntry
from faq_bot.content.merge import Keep, drift, merged, renumbered, unknown_drift

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


def test_an_entry_both_changed_differently_is_a_conflict_and_says_what_each_side_did() -> None:
    added_live = FaqEntry("4", "会員", "パスワードを忘れました", "ログイン画面から再設定できます。")
    added_file = FaqEntry("4", "注文", "注文を変更できますか", "発送前なら変更できます。")
    live = [A, edited(B, "毎月15日頃に発行します。"), edited(C, "いつでも取り消せます。"), added_live]
    file = [A, edited(B, "毎月20日頃に発行します。"), added_file]  # 3 deleted here, edited there
    d = drift("abc123", ORIGIN, live, file)
    assert [(e.id, e.live_change, e.file_change) for e in d.conflicts] == [
        ("2", "changed", "changed"), ("3", "changed", "removed"), ("4", "added", "added"),
    ]  # fmt: skip
    assert [e.both_added for e in d.conflicts] == [False, False, True] and d.undone == ()


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


def test_each_conflict_is_settled_as_the_editor_chose_and_the_live_entry_is_kept_unless_told() -> None:
    added_live = FaqEntry("4", "会員", "パスワードを忘れました", "ログイン画面から再設定できます。")
    added_file = FaqEntry("4", "注文", "注文を変更できますか", "発送前なら変更できます。")
    live = [edited(B, "毎月15日頃に発行します。"), edited(C, "いつでも取り消せます。"), added_live]  # 1 deleted since
    file = [edited(A, "マイページから。"), edited(B, "毎月20日頃に発行します。"), added_file]  # 1 edited, 3 deleted
    unsettled = merged(ORIGIN, live, file)
    assert unsettled == live  # nothing chosen: nothing of anyone's published work goes
    chosen = merged(ORIGIN, live, file, {"1": Keep.FILE, "2": Keep.FILE, "3": Keep.FILE, "4": Keep.BOTH})
    assert [(e.id, e.answer) for e in chosen] == [
        ("1", "マイページから。"),
        ("2", "毎月20日頃に発行します。"),
        ("4", added_live.answer),
        ("5", added_file.answer),
    ]  # fmt: skip  (1 back where the file has it: first)
    assert ids(merged(ORIGIN, live, file, {"4": Keep.FILE})) == ["2", "3", "4"]
    assert renumbered(file, chosen) == {"4": "5"}  # what the preview tells the editor


def test_the_files_own_text_is_taken_as_written_even_when_it_differs_only_in_width() -> None:
    """An editor who cleans ｸﾚｼﾞｯﾄｶｰﾄﾞ up into クレジットカード made a change; the merge must not drop it."""
    narrow = FaqEntry("1", "支払い", "ｸﾚｼﾞｯﾄｶｰﾄﾞは使えますか", "使えます。")
    wide = FaqEntry("1", "支払い", "クレジットカードは使えますか", "使えます。")
    assert merged([narrow, B], [narrow, edited(B, "x")], [wide, B])[0].question == "クレジットカードは使えますか"


def test_a_new_entry_at_the_top_of_the_file_goes_first() -> None:
    first = FaqEntry("0", "案内", "このサイトは何ですか", "法人向けの通販サイトです。")
    assert ids(merged(ORIGIN, ORIGIN, [first, *ORIGIN])) == ["0", "1", "2", "3"]


def test_a_file_uploaded_again_after_its_new_entry_was_published_under_another_number_is_not_in_conflict() -> None:
    """The editor merged with 「両方残す」 (their entry 4 went live as 5) and uploads the same workbook again."""
    colleague = FaqEntry("4", "会員", "パスワードを忘れました", "ログイン画面から再設定できます。")
    mine = FaqEntry("4", "注文", "注文を変更できますか", "発送前なら変更できます。")
    live = [*ORIGIN, colleague, FaqEntry("5", mine.category, mine.question, mine.answer)]
    d = drift("abc123", ORIGIN, live, [*ORIGIN, mine])
    assert d.undone == () and d.conflicts == () and not d.harmful and d.since == 2
    assert merged(ORIGIN, live, [*ORIGIN, mine], {"4": Keep.BOTH}) == live  # nothing added twice
    assert merged(ORIGIN, [*ORIGIN, live[-1]], [*ORIGIN, mine]) == [*ORIGIN, live[-1]]


def test_a_reorder_made_in_the_file_is_kept_by_the_merge_unless_the_live_faq_was_reordered_since() -> None:
    added = FaqEntry("4", "会員", "パスワードを忘れました", "ログイン画面から再設定できます。")
    live = [A, edited(B, "毎月15日頃に発行します。"), added, C]  # edited and added since, the order kept
    mine = [C, A, B]  # the file moved 3 to the top
    assert ids(merged(ORIGIN, live, mine)) == ["3", "1", "2", "4"]  # the entry added since stays behind its own
    assert merged(ORIGIN, live, mine)[2].answer == "毎月15日頃に発行します。"  # what was published since, kept
    reordered_live = [B, A, C]  # someone reordered since: the live order stands
    assert ids(merged(ORIGIN, reordered_live, mine)) == ["2", "1", "3"]
    assert ids(merged(ORIGIN, live, ORIGIN)) == ["1", "2", "4", "3"]  # the file did not reorder: the live order


def test_under_a_reorder_two_new_entries_of_one_id_stand_where_each_side_put_them() -> None:
    d = FaqEntry("4", "注文", "注文履歴を見られますか", "マイページから見られます。")
    origin = [A, B, C, d]
    colleague = FaqEntry("5", "会員", "パスワードを忘れました", "ログイン画面から再設定できます。")
    mine = FaqEntry("5", "注文", "注文を変更できますか", "発送前なら変更できます。")
    live = [A, colleague, B, C, d]  # the colleague added 5 after 1
    file = [mine, d, C, B, A]  # the editor put their own 5 first and turned the rest around
    both = merged(origin, live, file, {"5": Keep.BOTH})
    assert [(e.id, e.question) for e in both] == [
        ("6", mine.question),  # the file's, renumbered, where the file put it
        ("4", d.question),
        ("3", C.question),
        ("2", B.question),
        ("1", A.question),
        ("5", colleague.question),  # the colleague's stays behind the entry it followed
    ]
    kept_live = merged(origin, live, file, {"5": Keep.LIVE})
    assert ids(kept_live) == ["4", "3", "2", "1", "5"]  # the colleague's 5 is not the file's 5: not moved to the top


def test_a_file_that_would_undo_a_reorder_published_since_is_harmful_and_says_so() -> None:
    reordered = [C, A, B]  # a colleague moved 3 to the top
    d = drift("abc123", ORIGIN, reordered, [edited(A, "マイページから退会できます。"), B, C])
    assert d.order_undone and d.harmful and d.undone == () and d.conflicts == ()
    assert ids(merged(ORIGIN, reordered, [edited(A, "マイページから退会できます。"), B, C])) == ["3", "1", "2"]
    assert not drift("abc123", ORIGIN, reordered, [C, A, B]).order_undone  # the file has the new order already
    assert not drift("abc123", ORIGIN, ORIGIN, [C, A, B]).order_undone  # the file's own reorder
    from faq_bot.errors import StaleFileError

    assert "その後に公開された並び順の変更が元に戻ります。" in str(StaleFileError([], [], order=True))
