from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path

import pytest

from faq_bot.config import Settings
from faq_bot.content.diff import diff
from faq_bot.content.faq import Faq, FaqEntry, read_bytes
from faq_bot.content.queries import LabelledQuery
from faq_bot.content.workbook import WorkbookOrigin
from faq_bot.errors import DatabaseError, FaqFormatError, LogUnavailableError, StaleFileError, VersionNotFoundError
from faq_bot.model.embedder import Embedder
from faq_bot.progress import Progress, Step
from faq_bot.publishing.publisher import WAITING, Publisher, Version
from faq_bot.publishing.watcher import Watcher
from faq_bot.quality.judging import outcome_label
from faq_bot.retrieval import index as faq_index
from faq_bot.retrieval import store
from faq_bot.retrieval.engine import Engine, Loaded
from faq_bot.retrieval.index import FaqIndex
from faq_bot.runtime import open_engine
from tests.conftest import SMALL_FAQ
from tests.fakes import FakeEmbedder
from tests.waiting import wait_until

NEW_FAQ = (
    SMALL_FAQ.replace("毎月10日頃に発行します。", "毎月15日頃に発行します。")
    + "7\t会員\t退会できますか\t退会はお問い合わせください。\t\n"
)


@pytest.fixture
def publisher(fake_engine: Engine, settings: Settings) -> Publisher:
    return Publisher(fake_engine, settings.regression_path)


def test_publish_swaps_the_engine_writes_the_file_and_keeps_versions(publisher: Publisher, settings: Settings) -> None:
    old_version = publisher.engine.current.faq_version
    outcome = publisher.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
    assert outcome.published and outcome.preview.counts() == {"added": 1, "removed": 0, "changed": 1, "moved": 0}
    assert publisher.engine.current.faq_version != old_version
    assert publisher.engine.entry("7") is not None
    assert settings.faq_path.read_text(encoding="utf-8") == NEW_FAQ
    versions = publisher.versions()
    assert (
        len(versions) == 2 and versions[0].current and versions[0].faq_version == publisher.engine.current.faq_version
    )


@pytest.mark.parametrize(
    "broken",
    [
        b"id\tquestion\tanswer\n1\tq\t\n",
        b"\xff\xfe\x00garbage",
        SMALL_FAQ.encode() + b"1\tdup\tdup id\t\t\n",
        b"",
        b'id\tquestion\tanswer\n1\t"unterminated\tx\n',
    ],
)
def test_a_broken_file_changes_nothing(publisher: Publisher, settings: Settings, broken: bytes) -> None:
    before = (publisher.engine.current, settings.faq_path.read_bytes(), publisher.versions())
    with pytest.raises(FaqFormatError):
        publisher.publish_bytes(broken, "broken.tsv")
    assert publisher.engine.current is before[0]
    assert settings.faq_path.read_bytes() == before[1]
    assert publisher.versions() == before[2]
    assert publisher.last_error is None  # refused by validation: nothing failed to publish


def test_dry_run_previews_the_diff_and_publishes_nothing(publisher: Publisher, settings: Settings) -> None:
    live = publisher.engine.current
    edited = NEW_FAQ.replace("6\t会員\tパスワードを変更できますか", "6\t会員\tパスワードを変えたい")
    outcome = publisher.publish_bytes(edited.encode(), "x", dry_run=True)
    kinds = {c.id: (c.kind, c.fields) for c in outcome.preview.changes}
    assert kinds["1"] == ("changed", ("answer",)) and kinds["7"] == ("added", ())
    assert kinds["6"] == ("changed", ("question",))
    assert not outcome.published and publisher.engine.current is live
    assert settings.faq_path.read_text(encoding="utf-8") == SMALL_FAQ


def test_a_new_or_edited_entry_whose_own_question_it_would_not_answer_is_named_in_the_preview(
    publisher: Publisher,
) -> None:
    """An editor adds 「送料はいくらですか」 with an answer that names no price: the bot would send that very
    question to a person. The preview says so before it is published; entries left as they are are not asked."""
    added = (
        "7\t配送\t送料はいくらですか\t配送方法は注文画面で選べます。\t送料を知りたい\n"
        "8\t配送\t配送業者は選べますか\t注文画面で選べます。\t\n"
    )
    outcome = publisher.publish_bytes((SMALL_FAQ + added).encode(), "x", dry_run=True)
    misses = {(m.entry_id, m.text): m for m in outcome.preview.own_misses}
    assert ("7", "送料はいくらですか") in misses and not any(entry == "8" for entry, _ in misses)
    label = misses["7", "送料はいくらですか"].outcome_label  # in the staff pages' words
    assert label == "担当者へ案内" or label.startswith("もしかして")
    assert all(entry in ("7", "8") for entry, _ in misses)  # the six live entries were not asked again


def test_an_existing_phrasing_the_edit_stops_answering_is_a_regression_a_new_one_is_not(publisher: Publisher) -> None:
    """Entry 3 gets a new alternate, and a new entry 7 asks nearly what entry 3's alternate 「見積を作りたい」 asks:
    the live FAQ answers that alternate with 3, the edited one would not. That is this change breaking an answer
    (悪化), not an old miss; a new phrasing that misses has nothing to compare with."""
    live = publisher.engine.current
    assert outcome_label(live.ask("見積を作りたい")) == "answer:3"
    edited = SMALL_FAQ.replace("見積を作りたい|quotation", "見積を作りたい|quotation|送料はいくらですか")
    edited += "7\t見積\t見積を作りたいです\t担当者が見積書を作成します。\t\n"
    misses = {m.text: m for m in publisher.publish_bytes(edited.encode(), "x", dry_run=True).preview.own_misses}
    broken = misses["見積を作りたい"]
    assert broken.entry_id == "3" and broken.before == "answer:3" and broken.worse
    assert broken.before_label == "回答 3" and broken.outcome != "answer:3"
    fresh = misses["送料はいくらですか"]  # entry 3 never had it: no live outcome, no regression
    assert fresh.before is None and not fresh.worse and fresh.before_label == ""


def test_a_file_made_from_an_older_version_says_what_it_undoes_is_refused_unless_overwriting_and_merges(
    publisher: Publisher,
) -> None:
    """An editor downloads the FAQ, a colleague publishes (entry 1 edited, 7 added), then the editor uploads the
    download with one question reworded: published as it is, the colleague's work would silently go."""
    origin = WorkbookOrigin(publisher.engine.current.faq_version, None)
    publisher.publish_bytes(NEW_FAQ.encode(), "colleague.tsv")
    mine = SMALL_FAQ.replace("6\t会員\tパスワードを変更できますか", "6\t会員\tパスワードを変えたい").encode()
    drift = publisher.publish_bytes(mine, "mine.xlsx", dry_run=True, origin=origin).preview.drift
    assert drift is not None and drift.harmful and drift.conflicts == () and drift.origin_built_at
    assert {(e.id, e.live_change) for e in drift.undone} == {("1", "changed"), ("7", "added")}
    live = publisher.engine.current
    with pytest.raises(StaleFileError) as refused:
        publisher.publish_bytes(mine, "mine.xlsx", origin=origin, overwrite=False)
    assert refused.value.undone == ["1", "7"] and "1、7" in str(refused.value) and publisher.engine.current is live
    assert publisher.last_error is None  # refused as it is, like a file that does not validate: no failure banner
    merged = publisher.publish_entries(publisher.merged_with_live(origin, read_bytes(mine, "mine").entries), "m")
    assert merged.published and [c.id for c in merged.preview.changes] == ["6"]  # only the editor's own change
    kept = publisher.engine.entry("1")
    assert publisher.engine.entry("7") is not None and kept is not None and "15日" in kept.answer


def test_a_version_no_longer_kept_is_read_from_the_copy_the_file_carries_and_unknown_without_one(
    publisher: Publisher, settings: Settings
) -> None:
    live = WorkbookOrigin(publisher.engine.current.faq_version, None)
    assert publisher.publish_bytes(NEW_FAQ.encode(), "x", dry_run=True, origin=live).preview.drift is None
    carried = WorkbookOrigin(publisher.engine.current.faq_version, settings.faq_path.read_bytes())
    for n in range(publisher.paths.keep_versions + 1):  # the original version is pruned
        publisher.publish_bytes(f"{SMALL_FAQ}9\t会員\t質問{n}ですか\t回答{n}です。\t\n".encode(), f"{n}.tsv")
    assert carried.version not in {v.faq_version for v in publisher.versions()}
    drift = publisher.publish_bytes(NEW_FAQ.encode(), "x", dry_run=True, origin=carried).preview.drift
    assert drift is not None and drift.known and [e.id for e in drift.undone] == ["9"]
    gone = WorkbookOrigin(carried.version, None)
    unknown = publisher.publish_bytes(NEW_FAQ.encode(), "x", dry_run=True, origin=gone).preview.drift
    assert unknown is not None and not unknown.known and unknown.harmful
    with pytest.raises(StaleFileError):
        publisher.publish_bytes(NEW_FAQ.encode(), "x", origin=gone, overwrite=False)
    with pytest.raises(VersionNotFoundError, match="ダウンロードし直して"):
        publisher.merged_with_live(gone, [])


def test_removed_entries_are_listed() -> None:
    a = FaqEntry("1", "c", "q1", "a1")
    b = FaqEntry("2", "c", "q2", "a2")
    assert [(c.id, c.kind) for c in diff([a, b], [b])] == [("1", "removed")]


def test_regression_set_reports_questions_whose_answer_changes(
    publisher: Publisher, settings: Settings, tmp_path: Path
) -> None:
    reg = tmp_path / "reg.tsv"
    reg.write_text("query\tgold\nクレジットカードは使えますか\t4\n銀行振込はできますか\t5\n", encoding="utf-8")
    publisher.regression_path = reg
    without_4 = "\n".join(line for line in SMALL_FAQ.splitlines() if not line.startswith("4\t")) + "\n"
    outcome = publisher.publish_bytes(without_4.encode(), "x", dry_run=True)
    changed = {r.query: r for r in outcome.preview.regressions}
    assert list(changed) == ["クレジットカードは使えますか"]
    assert changed["クレジットカードは使えますか"].verdict == "悪化" and outcome.preview.regression_total == 2


def test_answers_confirmed_in_the_log_are_asked_again_beside_the_regression_set_and_a_log_down_skips_them(
    fake_engine: Engine, tmp_path: Path
) -> None:
    reg = tmp_path / "reg.tsv"
    reg.write_text("query\tgold\n銀行振込はできますか\t5\n", encoding="utf-8")
    confirmed = [LabelledQuery("クレジットカードは使えますか", ("4",), 1, source="確認済みの回答"),
                 LabelledQuery("銀行振込はできますか", ("5",), 2, source="確認済みの回答")]  # fmt: skip
    publisher = Publisher(fake_engine, reg, confirmed=lambda: confirmed)
    without_4 = "\n".join(line for line in SMALL_FAQ.splitlines() if not line.startswith("4\t")) + "\n"
    preview = publisher.publish_bytes(without_4.encode(), "x", dry_run=True).preview
    # the file's question once, the confirmed one beside it
    assert (preview.regression_total, preview.regression_confirmed) == (2, 1)
    changed = [(r.query, r.verdict, r.confirmed) for r in preview.regressions]
    assert changed == [("クレジットカードは使えますか", "悪化", True)]

    def log_down() -> list[LabelledQuery]:
        raise LogUnavailableError("database is locked")

    publisher.confirmed = log_down
    other_edit = without_4.replace("毎月10日頃に発行します。", "毎月20日頃に発行します。")
    preview = publisher.publish_bytes(other_edit.encode(), "y", dry_run=True).preview
    assert (preview.regression_total, preview.regression_confirmed, preview.regressions) == (1, 0, ())
    assert preview.confirmed_unread  # and the preview says so
    # Once entry 4 is gone from the live FAQ, an answer confirmed with it cannot be right again: not asked.
    publisher.confirmed = lambda: confirmed
    publisher.publish_bytes(without_4.encode(), "z")
    preview = publisher.publish_bytes(other_edit.encode(), "w", dry_run=True).preview
    assert (preview.regression_total, preview.regression_confirmed, preview.confirmed_unread) == (1, 0, False)


def test_a_confirmed_answer_is_asked_again_in_the_categories_the_visitor_narrowed_it_to(
    fake_engine: Engine, tmp_path: Path
) -> None:
    confirmed = [LabelledQuery("銀行振込はできますか", ("5",), 1, source="確認済みの回答", categories=("支払い",))]
    publisher = Publisher(fake_engine, tmp_path / "none.tsv", confirmed=lambda: confirmed)
    # Entry 5 moved to 会員: asked in the whole FAQ it is still the answer, asked in 支払い it cannot be.
    moved = SMALL_FAQ.replace("5\t支払い\t", "5\t会員\t")
    preview = publisher.publish_bytes(moved.encode(), "x", dry_run=True).preview
    changed = [(r.query, r.categories, r.before, r.verdict, r.confirmed) for r in preview.regressions]
    assert changed == [("銀行振込はできますか", ("支払い",), "answer:5", "悪化", True)]
    # 支払い renamed: no visitor can narrow to it any more, so the question is asked in the whole FAQ (and is
    # answered as before), not refused as an unknown category.
    renamed = SMALL_FAQ.replace("\t支払い\t", "\tお支払い\t")
    preview = publisher.publish_bytes(renamed.encode(), "y", dry_run=True).preview
    assert (preview.regression_total, preview.regression_confirmed, preview.regressions) == (1, 1, ())
    # The same words confirmed in the whole FAQ are another question, asked beside it.
    confirmed.append(LabelledQuery("銀行振込はできますか", ("5",), 2, source="確認済みの回答"))
    preview = publisher.publish_bytes(moved.encode(), "z", dry_run=True).preview
    assert preview.regression_total == 2
    assert [(r.categories, r.verdict) for r in preview.regressions] == [(("支払い",), "悪化")]


def test_a_preview_asks_the_live_faq_only_the_regression_questions_it_has_not_answered_since_it_went_live(
    publisher: Publisher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = tmp_path / "reg.tsv"
    reg.write_text("query\tgold\nクレジットカードは使えますか\t4\n銀行振込はできますか\t5\n", encoding="utf-8")
    publisher.regression_path = reg
    live = publisher.engine.current
    asked: list[str] = []
    parse = live.retriever.parse
    monkeypatch.setattr(live.retriever, "parse", lambda text: asked.append(text) or parse(text))
    without_4 = "\n".join(line for line in SMALL_FAQ.splitlines() if not line.startswith("4\t")) + "\n"
    first = publisher.publish_bytes(without_4.encode(), "x", dry_run=True).preview
    assert sorted(asked) == ["クレジットカードは使えますか", "銀行振込はできますか"]
    other = SMALL_FAQ.replace("はい、銀行振込に対応しています。", "いいえ、対応していません。")
    second = publisher.publish_bytes(other.encode(), "y", dry_run=True).preview
    assert len(asked) == 2  # known from the first preview: the live FAQ is the same
    assert [r.query for r in first.regressions] == ["クレジットカードは使えますか"] and second.regression_total == 2


def test_rollback_restores_the_old_answers_and_file(publisher: Publisher, settings: Settings) -> None:
    first = publisher.engine.current.faq_version
    old_build = publisher.versions()[0].build_id
    publisher.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
    version = publisher.rollback(old_build)
    assert version.current and publisher.engine.current.faq_version == first
    assert publisher.engine.entry("7") is None
    assert settings.faq_path.read_text(encoding="utf-8") == SMALL_FAQ
    assert store.current_id(settings.index_dir) == old_build
    with pytest.raises(VersionNotFoundError):
        publisher.rollback("../../etc")


def test_edits_on_disk_never_published_are_kept_aside_when_a_rollback_or_an_upload_replaces_the_file(
    publisher: Publisher, settings: Settings
) -> None:
    old_build = publisher.versions()[0].build_id
    publisher.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
    assert not list(settings.faq_path.parent.glob("*.unpublished-*"))  # the file was the live one: nothing to keep
    draft = NEW_FAQ + "8\t会員\t下書きの質問ですか\t下書きの回答です。\t\n"
    settings.faq_path.write_text(draft, encoding="utf-8")  # edited on disk, not published
    said: list[str] = []
    publisher.rollback(old_build, progress=lambda step: said.append(step.stage))
    assert settings.faq_path.read_text(encoding="utf-8") == SMALL_FAQ  # the version rolled back to
    (kept,) = settings.faq_path.parent.glob(f"{settings.faq_path.stem}.unpublished-*{settings.faq_path.suffix}")
    assert kept.read_text(encoding="utf-8") == draft
    assert f"ディスク上のFAQに公開していない編集があったため、{kept.name} として残しました" in said
    publisher.publish_bytes(NEW_FAQ.encode(), "upload.tsv")  # the disk file was the live one again: no copy
    assert len(list(settings.faq_path.parent.glob("*.unpublished-*"))) == 1
    settings.faq_path.write_text(draft + "9\t会員\t二つ目の下書きですか\t二つ目です。\t\n", encoding="utf-8")
    publisher.rollback(old_build)  # within the same second, perhaps: a copy of its own, the first one kept
    copies = sorted(settings.faq_path.parent.glob("*.unpublished-*"))
    assert len(copies) == 2 and sum("二つ目の下書き" in c.read_text(encoding="utf-8") for c in copies) == 1


def test_reload_publishes_the_file_on_disk_once(publisher: Publisher, settings: Settings) -> None:
    settings.faq_path.write_text(NEW_FAQ, encoding="utf-8")
    assert publisher.reload().published
    again = publisher.reload()
    assert not again.published and again.preview.unchanged


def test_cp932_upload_round_trips_through_download(publisher: Publisher, settings: Settings) -> None:
    raw = NEW_FAQ.encode("cp932")
    outcome = publisher.publish_bytes(raw, "excel.tsv")
    assert outcome.preview.faq.encoding == "CP932 (Shift_JIS)"
    assert publisher.current_tsv() == raw and settings.faq_path.read_bytes() == raw


def test_crash_while_saving_keeps_everything_as_it_was(
    publisher: Publisher, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = publisher.engine.current

    def disk_full(*_a: object, **_k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(faq_index.Bm25, "save", disk_full)
    with pytest.raises(OSError):
        publisher.publish_bytes(NEW_FAQ.encode(), "x")
    assert publisher.engine.current is live and settings.faq_path.read_text(encoding="utf-8") == SMALL_FAQ


def test_another_worker_follows_current(publisher: Publisher, settings: Settings) -> None:
    other = Publisher(open_engine(settings, FakeEmbedder()), settings.regression_path)
    publisher.publish_bytes(NEW_FAQ.encode(), "x")
    assert other.engine.entry("7") is None
    assert other.sync() and other.engine.entry("7") is not None
    assert not other.sync()


def test_watcher_reloads_a_changed_file_and_survives_a_broken_one(publisher: Publisher, settings: Settings) -> None:
    watcher = Watcher(publisher, watch_file=True, interval=0.05)
    watcher.start()
    try:
        settings.faq_path.write_bytes(b"id\tquestion\n1\tonly\n")  # broken: keeps serving
        wait_until(lambda: publisher.last_error is not None)
        assert publisher.engine.entry("7") is None
        settings.faq_path.write_text(NEW_FAQ, encoding="utf-8")
        wait_until(lambda: publisher.engine.entry("7") is not None)
    finally:
        watcher.stop()


def damaged_build_made_current(publisher: Publisher, settings: Settings) -> str:
    """Another process published a build that then got damaged on disk: CURRENT names it."""
    from faq_bot.content import faq as faq_table

    built = publisher.engine.build(faq_table.parse(NEW_FAQ, "new.tsv"))
    folder = store.save(built, settings.index_dir, make_current=False)
    (folder / "vectors.faiss").write_bytes(b"damaged")
    store.set_current(settings.index_dir, folder.name)
    return folder.name


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_current_pointing_at_a_damaged_build_keeps_the_old_one_served_and_says_so_once(
    publisher: Publisher, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    served = publisher.engine.current
    damaged = damaged_build_made_current(publisher, settings)
    for _ in range(5):  # the watcher polls every second
        assert not publisher.sync()
    assert publisher.engine.current is served
    assert len(errors_logged(caplog)) == 1 and damaged in errors_logged(caplog)[0]
    versions = {v.build_id: v for v in publisher.versions()}
    assert served.index.path is not None and versions[served.index.path.name].current
    assert not versions[damaged].current and versions[damaged].problem and "壊れている" in versions[damaged].problem


def test_random_bytes_in_current_while_running_are_logged_once_and_change_nothing(
    publisher: Publisher, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    served = publisher.engine.current
    (settings.index_dir / store.CURRENT_FILE).write_bytes(b"\xff\xfe\x00\x89PNG")
    for _ in range(5):
        assert not publisher.sync()
    assert publisher.engine.current is served
    assert len(errors_logged(caplog)) == 1 and "CURRENT is damaged" in errors_logged(caplog)[0]
    assert [v.current for v in publisher.versions()] == [True]
    publisher.publish_bytes(NEW_FAQ.encode(), "x")  # a publish writes CURRENT again
    assert not publisher.sync() and publisher.follow_error is None


def count_builds(publisher: Publisher, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sha256 of every FAQ the engine builds an index for, from now on."""
    builds: list[str] = []
    real_build = publisher.engine.build

    def counted(faq: Faq, progress: Progress | None = None) -> FaqIndex:
        builds.append(faq.sha256)
        return real_build(faq, progress)

    monkeypatch.setattr(publisher.engine, "build", counted)
    return builds


def test_a_publish_right_after_its_dry_run_reuses_the_build_and_reports_progress(
    publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = count_builds(publisher, monkeypatch)
    steps: list[Step] = []
    dry = publisher.publish_bytes(NEW_FAQ.encode(), "x", dry_run=True, progress=steps.append)
    done = publisher.publish_bytes(NEW_FAQ.encode(), "x", progress=steps.append)
    assert len(builds) == 1 and done.published and done.preview.changes == dry.preview.changes
    stages = [s.stage for s in steps]
    assert "ファイルを検証しています" in stages and "確認済みの内容を使います" in stages
    assert stages[-1] == "保存して切り替えています"
    assert any(s.fraction == 1.0 for s in steps if s.stage == "文章を検索用の数値に変換しています")


def test_a_publish_says_it_waits_only_while_another_holds_the_index_folder(
    publisher: Publisher, settings: Settings
) -> None:
    old_build = publisher.versions()[0].build_id
    alone: list[Step] = []
    publisher.publish_bytes(NEW_FAQ.encode(), "x", progress=alone.append)
    assert alone[0].stage == "ファイルを検証しています" and WAITING not in [s.stage for s in alone]

    waited: list[Step] = []
    lock = (settings.index_dir / ".publish.lock").open("a")
    fcntl.flock(lock, fcntl.LOCK_EX)  # another process (a replica, the CLI) publishing into the same folder
    worker = threading.Thread(target=publisher.rollback, args=(old_build, waited.append))
    worker.start()
    try:
        wait_until(lambda: bool(waited), what="the rollback's first step")
        assert [s.stage for s in waited] == [WAITING]  # and no further: it has not started
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        worker.join(10)
    assert not worker.is_alive() and waited[1].stage == "保存されたバージョンを読み込んでいます"
    # Another thread of this process (a publish from another admin page) holds it the same way.
    again: list[Step] = []
    with publisher._lock:
        preview = {"dry_run": True, "progress": again.append}
        worker = threading.Thread(target=publisher.publish_bytes, args=(NEW_FAQ.encode(), "x"), kwargs=preview)
        worker.start()
        wait_until(lambda: bool(again), what="the preview's first step")
        assert [s.stage for s in again] == [WAITING]
    worker.join(10)
    assert not worker.is_alive() and again[1].stage == "ファイルを検証しています"
    assert store.current_id(settings.index_dir) == old_build


def test_the_version_published_is_the_one_its_preview_made_ready_not_made_ready_again(
    publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    made_ready: list[Loaded] = []
    real = publisher.engine.loaded_for

    def counted(index: FaqIndex, encoder: Embedder | None = None) -> Loaded:
        made_ready.append(real(index, encoder))
        return made_ready[-1]

    monkeypatch.setattr(publisher.engine, "loaded_for", counted)
    publisher.publish_bytes(NEW_FAQ.encode(), "direct")
    assert len(made_ready) == 1 and publisher.engine.current is made_ready[0]
    edited = NEW_FAQ.replace("退会はお問い合わせください。", "退会はマイページから手続きできます。").encode()
    publisher.publish_bytes(edited, "x", dry_run=True)
    publisher.publish_bytes(edited, "x")
    assert len(made_ready) == 2 and publisher.engine.current is made_ready[1]
    assert "マイページから" in publisher.engine.ask("退会できますか").search.hits[0].entry.answer


def test_a_dry_run_is_not_reused_once_the_live_faq_changed(
    publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = count_builds(publisher, monkeypatch)
    publisher.publish_bytes(NEW_FAQ.encode(), "x", dry_run=True)
    publisher.publish_bytes(SMALL_FAQ.replace("毎月10日頃", "毎月15日頃").encode(), "other editor")
    publisher.publish_bytes(NEW_FAQ.encode(), "x")  # previewed against a FAQ no longer live: built again
    assert len(builds) == 3


def test_a_file_that_only_reorders_the_entries_is_a_change_to_preview_publish_and_record(
    fake_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    from faq_bot.storage.database import Database
    from faq_bot.storage.history import PublishHistory

    history = PublishHistory(Database.sqlite(tmp_path / "log.sqlite3"))
    publisher = Publisher(fake_engine, settings.regression_path, history=history)
    header, *rows = SMALL_FAQ.splitlines(keepends=True)
    reordered = "".join([header, rows[5], *rows[:5]])  # 会員 first: its category button comes first
    preview = publisher.publish_bytes(reordered.encode(), "x", dry_run=True).preview
    assert not preview.changes and not preview.unchanged
    assert preview.order is not None and preview.order.moved == ("6",) and preview.order.categories_moved
    assert preview.counts()["moved"] == 1
    assert publisher.publish_bytes(reordered.encode(), "x").published
    assert publisher.engine.current.index.categories == ["会員", "請求", "見積", "支払い"]
    events = publisher.recent()
    assert events is not None and (events[0].added, events[0].changed, events[0].removed, events[0].moved) == (
        0,
        0,
        0,
        1,
    )


def test_publishes_and_rollbacks_are_recorded_in_order_and_a_history_down_publishes_anyway(
    fake_engine: Engine, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from faq_bot.storage.database import Database
    from faq_bot.storage.history import PublishHistory

    history = PublishHistory(Database.sqlite(tmp_path / "log.sqlite3"))
    publisher = Publisher(fake_engine, settings.regression_path, history=history)
    old_build = publisher.versions()[0].build_id
    publisher.publish_bytes(NEW_FAQ.encode(), "upload.tsv", dry_run=True)  # a dry run is no step of the live FAQ
    new = publisher.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
    assert new.version is not None
    publisher.rollback(old_build)
    events = publisher.recent()
    assert events is not None
    assert [(e.action, e.build_id, e.added, e.changed, e.removed, e.entries) for e in events] == [
        ("rollback", old_build, 0, 1, 1, 6),
        ("publish", new.version.build_id, 1, 1, 0, 7),
    ]
    assert events[1].source == "upload.tsv" and events[1].faq_version == new.version.faq_version
    assert publisher.rollback(old_build).current  # the version served already: nothing done, nothing recorded
    assert publisher.recent() == events

    (tmp_path / "down.sqlite3").mkdir()  # a database that cannot take the row
    unusable = PublishHistory(Database.sqlite(tmp_path / "down.sqlite3"))
    down = Publisher(fake_engine, settings.regression_path, history=unusable)
    with caplog.at_level(logging.WARNING, logger="faq_bot.publishing"):
        assert down.publish_bytes(NEW_FAQ.encode(), "again.tsv").published
    assert down.engine.entry("7") is not None and "publish history" in caplog.text
    with pytest.raises(DatabaseError):  # said as such: the admin page tells it from a history not kept
        down.recent()


def test_a_version_built_after_the_live_one_is_newer_as_the_versions_are_listed() -> None:
    kept = Version("20261203T010000000002-ab12cd34", "v2", "2026-12-03T01:00:00+00:00", 3, "faq.tsv", current=False)
    assert kept.newer_than("20261203T010000000001-ffffffff")  # the same second: its microseconds tell
    assert not kept.newer_than("20261203T010000000003-00000000") and not kept.newer_than(None)
