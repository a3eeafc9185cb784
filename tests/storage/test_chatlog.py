from __future__ import annotations

import csv
import io
import threading
import time
from pathlib import Path

import pytest

from faq_bot.storage.chatlog import ChatLog, ChatRecord, Dismissal, EntryStats, Undismissal
from faq_bot.storage.database import Database
from faq_bot.storage.masking import mask_personal_data


def record(i: int, decision: str = "answer", entry: str | None = "1", message: str = "質問") -> ChatRecord:
    return ChatRecord(f"r{i}", message, decision, entry, 0.5, "v1")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("返信は taro.yamada+faq@example.co.jp へ", "返信は [メールアドレス] へ"),
        ("電話は03-1234-5678です", "電話は[電話番号]です"),
        ("携帯 090 1234 5678", "携帯 [電話番号]"),
        ("+81-90-1234-5678 まで", "[電話番号] まで"),
        ("(03)1234-5678", "[電話番号]"),
        ("注文番号12345、2024-10-15、1,234,567円", "注文番号12345、2024-10-15、1,234,567円"),
    ],
)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


def test_masking_applies_to_stored_questions_and_comments_unless_disabled(database: Database) -> None:
    log = ChatLog(database)
    log.record_chat(record(1, message="連絡は a@b.jp か 03-1234-5678 に"))
    log.record_feedback("r1", "down", "電話 090-1234-5678 に連絡がほしい")
    q = log.questions()[0]
    assert q.message == "連絡は [メールアドレス] か [電話番号] に" and q.comment == "電話 [電話番号] に連絡がほしい"
    raw = ChatLog(database, mask=False)
    raw.record_chat(record(2, message="a@b.jp"))
    assert raw.questions()[0].message == "a@b.jp"


def test_concurrent_writes_lose_no_rows(database: Database) -> None:
    log = ChatLog(database)

    def writer(k: int) -> None:
        for i in range(50):
            log.record_chat(record(k * 1000 + i))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.count() == 400 and len(log.questions()) == 400


def test_feedback_is_one_per_reply_and_needs_a_logged_reply(database: Database) -> None:
    log = ChatLog(database)
    log.record_chat(record(1))
    for _ in range(5):
        assert log.record_feedback("r1", "up", None)
    assert not log.record_feedback("unknown", "up", None)
    assert log.count("feedback") == 1 and log.entry_stats()["1"].up == 1


def test_a_new_rating_without_a_comment_keeps_the_comment_written_before(database: Database) -> None:
    log = ChatLog(database)
    log.record_chat(record(1))
    log.record_feedback("r1", "down", "振込先の支店名が知りたかった")
    log.record_feedback("r1", "up", None)  # changed their mind: 👍 after 👎 with a comment
    stats = log.entry_stats()["1"]
    asked = record(1).message
    assert (stats.up, stats.down, stats.comments) == (1, 0, ((asked, "振込先の支店名が知りたかった"),))
    log.record_feedback("r1", "down", "やはり分からない")  # a new comment replaces it
    assert log.entry_stats()["1"].comments == ((asked, "やはり分からない"),)  # with what the visitor asked


def test_unanswered_lists_escalations_and_unopened_suggestions(database: Database) -> None:
    log = ChatLog(database)
    log.record_chat(record(1, "escalate", "3", "天気"))
    log.record_chat(record(2, "suggest", "4", "候補を見た"))
    log.record_chat(record(3, "suggest", "4", "候補を見ていない"))
    log.record_chat(record(4, "answer", "1", "答えた"))
    log.record_click("r2", "4")
    assert sorted(q.message for q in log.unanswered()) == sorted(["天気", "候補を見ていない"])
    # Entry 1 answered once; entry 4 was suggested twice and opened once; entry 3 (escalated) has no stats.
    assert log.entry_stats() == {
        "1": EntryStats("1", answered=1, clicked=0, up=0, down=0, comments=()),
        "4": EntryStats("4", answered=0, clicked=1, up=0, down=0, comments=()),
    }


def test_what_a_publish_settled_is_read_back_with_when_and_the_entries_answered_with(database: Database) -> None:
    log = ChatLog(database)
    for i, decision, entry in ((1, "answer", "3"), (2, "escalate", "4"), (3, "suggest", "5")):
        log.record_chat(record(i, decision, entry))
    before = time.time()
    log.dismiss(["r1", "r2"], "alternate")
    log.dismiss(["r3"], "dismissed")  # staff's, not a publish's
    settled = log.settled_since(before - 1, 10)
    assert sorted(r for r, _ in settled) == ["r1", "r2"] and all(t >= before - 1 for _, t in settled)
    assert log.settled_since(time.time() + 60, 10) == [] and len(log.settled_since(0.0, 1)) == 1
    assert log.answered_with(["r1", "r2", "r3", "nope"]) == {"r1": "3"}  # only the replies that answered


def test_doubtful_answers_are_answers_under_the_level_or_rated_down_and_not_yet_dealt_with(database: Database) -> None:
    log = ChatLog(database)
    now = time.time()
    rows = [("sure", "answer", 0.95), ("unsure", "answer", 0.5), ("less sure", "answer", 0.41),
            ("sure but rated down", "answer", 0.9), ("escalated", "escalate", 0.1), ("suggested", "suggest", 0.3),
            ("confirmed", "answer", 0.45), ("old", "answer", 0.3)]  # fmt: skip
    for i, (message, decision, p) in enumerate(rows):
        created = now - 40 * 86400 if message == "old" else now - i
        log.record_chat(ChatRecord(f"r{i}", message, decision, "1", p, "v1", created=created))
    log.record_feedback("r3", "down", "違う")
    log.dismiss(["r6"], "dismissed")

    def listed(since: float, below: float, **page: int) -> list[str]:
        return [row.message for row in log.doubtful_answers(since, below, **page)[0]]

    found, total_rows, total_questions = log.doubtful_answers(now - 30 * 86400, 0.8)
    # 👎 first, however probable, then the least probable
    assert [row.message for row in found] == ["sure but rated down", "less sure", "unsure"]
    assert (total_rows, total_questions) == (3, 3)
    assert found[0].down == 1 and found[0].comments == ("違う",) and found[1].down == 0 and not found[1].comments
    assert listed(0.0, 0.8)[1] == "old"  # every day
    # a 👎 is never paged behind less probable answers
    assert listed(0.0, 0.42, limit=2) == ["sure but rated down", "old"]
    assert listed(0.0, 0.42, offset=2) == ["less sure"]
    log.undismiss(["r6"])  # the undo of 「確認済みにする」: on the list again
    assert "confirmed" in listed(0.0, 0.8)
    log.dismiss(["r6"], "confirmed")  # 「回答は正しい」: off the list too
    assert "confirmed" not in listed(0.0, 0.8)


def test_confirmed_answers_are_each_wording_once_with_its_latest_entry_the_latest_first(database: Database) -> None:
    log = ChatLog(database)
    rows = [("r1", "カードは使えますか", "4"), ("r2", "カードは使えますか", "4"), ("r3", "振込できますか", "5"),
            ("r4", "社員食堂はありますか", None), ("r5", "請求書はいつ", "1"), ("r6", "振込できますか", "3"),
            ("r7", "[電話番号] に折り返しできますか", "2")]  # fmt: skip
    for request_id, message, entry_id in rows:
        decision = "answer" if entry_id else "escalate"
        log.record_chat(ChatRecord(request_id, message, decision, entry_id, 0.6, "v1"))
    # an escalation confirmed by hand is no answer to ask again; 対応不要 is no answer to keep; a wording the log
    # masked is not what the visitor asked
    log.write([Dismissal(("r1", "r2", "r4", "r7"), "confirmed", created=10.0), Dismissal(("r5",), "dismissed"),
               Dismissal(("r6",), "confirmed", created=20.0),
               Dismissal(("r3",), "confirmed", created=30.0)])  # fmt: skip
    confirmed = [(q.query, q.gold) for q in log.confirmed_answers()]
    assert confirmed == [("振込できますか", ("5",)), ("カードは使えますか", ("4",))]  # 5: confirmed last
    assert [q.query for q in log.confirmed_answers(limit=1)] == ["振込できますか"]
    log.undismiss(["r3", "r6"])
    assert [q.query for q in log.confirmed_answers()] == ["カードは使えますか"]


def test_the_same_words_confirmed_in_other_categories_are_another_question_asked_in_them(database: Database) -> None:
    log = ChatLog(database)
    for request_id, categories in [("r1", ()), ("r2", ("支払い",)), ("r3", ("支払い", "請求")), ("r4", ("支払い",))]:
        log.record_chat(ChatRecord(request_id, "振込できますか", "answer", "5", 0.6, "v1", categories=categories))
    log.write([Dismissal(("r1", "r2", "r3", "r4"), "confirmed", created=10.0)])
    rows = {row.categories: (row.count, row.request_ids) for row in log.confirmed_rows()}
    assert rows == {(): (1, ("r1",)), ("支払い",): (2, ("r2", "r4")), ("支払い", "請求"): (1, ("r3",))}
    asked = sorted(q.categories for q in log.confirmed_answers())
    assert asked == [(), ("支払い",), ("支払い", "請求")]


def test_a_confirmation_takes_the_place_of_a_dismissal_and_an_undo_takes_back_only_its_own_reason(
    database: Database,
) -> None:
    log = ChatLog(database)
    for request_id in ("r1", "r2", "r3"):
        log.record_chat(ChatRecord(request_id, "カードは使えますか", "answer", "4", 0.6, "v1"))
    assert log.dismiss(["r1"], "dismissed") == ("r1",)
    assert log.dismiss(["r1"], "dismissed") == ()  # dealt with already: nothing marked
    assert log.dismiss(["r1", "r2"], "confirmed") == ("r1", "r2")  # 対応不要 before, right now
    assert log.dismiss(["r3"], "alternate") == ("r3",)
    assert log.dismiss(["r3"], "confirmed") == ()  # an alternate published stays what it was
    assert log.undismiss(["r1", "r2", "r3"], ("dismissed",)) == 0  # nobody's 対応不要 any more
    assert log.undismiss(["r1", "r2", "r3"]) == 2  # 確認済み taken back, the alternate kept
    assert [q.query for q in log.confirmed_answers()] == []


def test_dismissed_questions_are_listed_the_latest_first_the_same_words_and_reply_once(database: Database) -> None:
    log = ChatLog(database)
    log.write([ChatRecord("a", "駐車場はありますか", "escalate", None, 0.1, "v1"),
               ChatRecord("b", "駐車場はありますか", "escalate", None, 0.1, "v1"),
               ChatRecord("c", "駐車場はありますか", "suggest", None, 0.3, "v1"),  # another reply: a row of its own
               ChatRecord("d", "カードは使える？", "answer", "4", 0.5, "v1", categories=("支払い",)),
               ChatRecord("e", "食堂は？", "escalate", None, 0.1, "v1")])  # fmt: skip
    log.write([Dismissal(("a", "b"), "dismissed", created=10.0), Dismissal(("c",), "dismissed", created=5.0),
               Dismissal(("d",), "dismissed", created=20.0), Dismissal(("e",), "confirmed", created=30.0)])  # fmt: skip
    rows = [(r.message, r.decision, r.entry_id, r.categories, r.count, r.dismissed, r.request_ids)
            for r in log.dismissed_rows()]  # fmt: skip
    assert rows == [
        ("カードは使える？", "answer", "4", ("支払い",), 1, 20.0, ("d",)),
        ("駐車場はありますか", "escalate", None, (), 2, 10.0, ("a", "b")),
        ("駐車場はありますか", "suggest", None, (), 1, 5.0, ("c",)),
    ]  # not e: confirmed, not dismissed
    assert len(log.dismissed_rows(limit=1)) == 1
    assert log.undismiss(["a", "b"], ("dismissed",)) == 2
    assert [r.request_ids for r in log.dismissed_rows()] == [("d",), ("c",)]


def test_doubtful_answers_count_the_same_words_answered_with_the_same_entry_in_the_same_categories_once(
    database: Database,
) -> None:
    log = ChatLog(database)
    asked = [("a", "4", "", 0.7, 10.0), ("b", "4", "", 0.5, 20.0), ("c", "5", "", 0.6, 30.0),
             ("d", "4", "", 0.65, 5.0), ("e", "4", "支払い", 0.75, 40.0)]  # fmt: skip
    log.write([ChatRecord(rid, "カードは使える？", "answer", entry, p, "v1", created=created,
                          categories=tuple(c for c in (categories,) if c))
               for rid, entry, categories, p, created in asked])  # fmt: skip
    log.record_feedback("b", "down", "JCBは？")
    log.record_feedback("d", "down", None)
    log.record_feedback("a", "up", None)  # visitors disagree: staff see both
    rows, total_rows, total_questions = log.doubtful_answers(0.0, 0.8)
    assert [(r.entry_id, r.categories, r.count, r.confidence, r.down, r.up, r.last_seen) for r in rows] == [
        ("4", (), 3, 0.5, 2, 1, 20.0),  # 👎 first
        ("5", (), 1, 0.6, 0, 0, 30.0),
        ("4", ("支払い",), 1, 0.75, 0, 0, 40.0),
    ]
    assert rows[0].comments == ("JCBは？",) and rows[0].request_ids == ("a", "b", "d")
    assert (total_rows, total_questions) == (3, 5)


def test_retention_purges_old_rows(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    log = ChatLog(database, retention_days=30)
    real = time.time()
    monkeypatch.setattr(time, "time", lambda: real - 40 * 86400)
    log.record_chat(record(1))
    log.record_feedback("r1", "up", None)
    monkeypatch.setattr(time, "time", lambda: real)
    log.record_chat(record(2))
    assert log.purge() == 1 and log.count() == 1 and log.count("feedback") == 0


def test_schema_migrations_are_applied_once(tmp_path: Path) -> None:
    ChatLog(Database.sqlite(tmp_path / "g.db")).record_chat(record(1))
    again = ChatLog(Database.sqlite(tmp_path / "g.db"))
    assert again.count() == 1


def test_csv_export_has_a_bom_header_and_one_line_per_question(database: Database) -> None:
    log = ChatLog(database)
    log.record_chat(record(1, message='引用符"と,カンマ'))
    lines = list(log.export_csv())
    assert lines[0] == "\ufeff" and lines[1].startswith("日時(Asia/Tokyo),質問,分類")
    assert '"引用符""と,カンマ"' in lines[2]


def test_csv_export_neutralises_formulas_in_questions_and_comments(database: Database) -> None:
    log = ChatLog(database)
    log.record_chat(record(1, message='=HYPERLINK("http://evil.example","x")'))
    log.record_feedback("r1", "down", "@SUM(1+1)*cmd|' /C calc'!A0")
    rows = list(csv.reader(io.StringIO("".join(log.export_csv()).lstrip("\ufeff"))))
    comment = rows[0].index("コメント")
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","x")' and rows[1][comment].startswith("'@SUM")


def test_unsettled_questions_come_with_their_stored_embedding_of_the_asked_model(database: Database) -> None:
    import numpy as np

    from faq_bot.storage.chatlog import pack_vector, unpack_vectors

    log = ChatLog(database)
    v = np.array([3.0, 4.0, 0.0], dtype=np.float32)
    log.write([
        ChatRecord("a", "社員食堂", "escalate", None, 0.1, "v1", created=10.0, vector=pack_vector(v), model="m1"),
        ChatRecord("b", "駐車場", "suggest", "2", 0.2, "v1", created=20.0),
        ChatRecord("c", "請求書", "answer", "1", 0.9, "v1", created=30.0),
    ])  # fmt: skip
    rows = log.unsettled(0.0, "m1")
    assert [(q.request_id, blob is not None) for q, blob in rows] == [("a", True), ("b", False)]
    assert np.allclose(unpack_vectors([rows[0][1]]), [[0.6, 0.8, 0.0]], atol=1e-3)  # unit length, float16
    assert [blob for _, blob in log.unsettled(0.0, "another model")] == [None, None]
    assert [q.request_id for q, _ in log.unsettled(15.0, "m1")] == ["b"]
    log.store_vectors("m1", {"b": pack_vector(v), "deleted-meanwhile": pack_vector(v)})
    assert log.count("question_vectors") == 2
    assert log.settled() == (set(), set())
    log.record_click("b", "2")
    log.dismiss(["a"], "dismissed")
    assert log.settled() == ({"b"}, {"a"})
    assert log.rated_down() == {}
    log.record_feedback("b", "down", None)  # もしかして: 「どれにも当てはまらない」
    log.record_feedback("a", "down", "電話で聞きたい")  # a 👎 on an escalation, with what the visitor wrote
    log.record_feedback("c", "up", None)
    assert log.rated_down() == {"b": None, "a": "電話で聞きたい"}


def test_an_undo_puts_back_what_staff_dismissed_but_not_what_an_alternate_answered(database: Database) -> None:
    log = ChatLog(database)
    log.write([ChatRecord(r, "質問", "escalate", None, 0.1, "v1") for r in ("a", "b", "c")])
    log.dismiss(["a", "b"], "dismissed")
    log.dismiss(["c"], "alternate")
    assert log.undismiss(["a", "c", "unknown"]) == 1
    assert log.settled()[1] == {"b", "c"}


def test_a_rollback_records_what_it_put_back_until_it_is_dealt_with_again(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = ChatLog(database, retention_days=30)
    log.write([ChatRecord(r, "質問", "escalate", None, 0.1, "v1") for r in ("a", "b", "c", "d")])
    log.dismiss(["a", "b", "c"], "alternate")
    log.dismiss(["d"], "dismissed")
    assert log.undismiss(["a", "d"]) == 1  # staff's undo: only 対応不要 and 確認済み, nothing recorded
    assert log.put_back_questions(10) == []
    log.write([Undismissal(("a", "b", "d"), ("alternate",), created=100.0)])  # a rollback's: the alternates' only
    assert log.count("dismissals") == 1 and sorted(log.put_back_questions(10)) == ["a", "b"]
    log.write([Undismissal(("c",), ("alternate",), created=200.0), Undismissal(("a",), ("alternate",), created=300.0)])
    assert log.put_back_questions(10) == ["c", "a", "b"]  # the latest first (a, put back already, as it was)
    log.dismiss(["c", "a"], "alternate")  # answered again (rolled forward): no longer put back
    log.dismiss(["b"], "dismissed")  # 対応不要: off the list while it stands …
    assert log.put_back_questions(10) == [] and log.count("put_back") == 1
    undo = log.undismiss(["b"])
    assert undo == 1 and log.put_back_questions(10) == ["b"]  # … and put back still once it is undone
    later = time.time() + 40 * 86400
    monkeypatch.setattr(time, "time", lambda: later)  # past the retention period
    log.purge()
    assert log.count("put_back") == 0 and log.count() == 0
