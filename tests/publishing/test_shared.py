"""Replicas sharing published versions through the database: each test's replicas are Publishers in this process."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks.services import Postgres
from faq_bot.config import Settings
from faq_bot.errors import PublishConflictError
from faq_bot.publishing.publisher import Publisher, PublishResult
from faq_bot.publishing.shared import Follower, SharedVersions
from faq_bot.runtime import open_engine, open_publisher
from faq_bot.storage.database import Database
from faq_bot.storage.versions import VersionStore
from tests.conftest import SMALL_FAQ, new_postgres_database
from tests.fakes import FakeEmbedder
from tests.publishing.test_publisher import NEW_FAQ
from tests.waiting import wait_until

OTHER_FAQ = SMALL_FAQ + "8\t会員\t住所を変更できますか\tマイページから変更できます。\t\n"
Replica = Callable[..., Publisher]


@pytest.fixture
def replica(settings: Settings, tmp_path: Path, database: Database) -> Iterator[Replica]:
    """Starts replicas on their own machines (index folder and FAQ file each), sharing ``database``."""
    started: list[Publisher] = []

    def start(name: str, embedder: FakeEmbedder | None = None) -> Publisher:
        home = tmp_path / name
        home.mkdir()
        faq = shutil.copy(settings.faq_path, home / "faq.tsv")
        mine = settings.model_copy(update={"index_dir": home / "index", "faq_path": Path(faq)})
        publisher = open_publisher(mine, embedder or FakeEmbedder(), shared_db=database)
        started.append(publisher)
        return publisher

    yield start
    for p in started:
        p.engine.close()


def test_a_publish_on_one_replica_is_served_by_another_without_encoding(replica: Replica) -> None:
    a, b = replica("a"), replica("b")
    assert b.engine.current.index.path.name == a.engine.current.index.path.name  # b took a's first version
    a.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
    embedder = b.engine.embedder
    assert isinstance(embedder, FakeEmbedder)
    encoded = len(embedder.encoded)
    assert b.sync()
    assert b.engine.current.faq_version == a.engine.current.faq_version and b.engine.entry("7") is not None
    assert len(embedder.encoded) == encoded  # loaded as built, nothing encoded
    assert b.paths.faq_path.read_text(encoding="utf-8") == NEW_FAQ  # the file on each machine is the published one
    assert not b.sync()  # already there


def test_a_follower_keeps_its_own_unpublished_edits_aside_when_another_replica_publishes(replica: Replica) -> None:
    a, b = replica("a"), replica("b")
    draft = SMALL_FAQ + "9\t会員\t下書きの質問ですか\t下書きの回答です。\t\n"
    b.paths.faq_path.write_text(draft, encoding="utf-8")  # an editor's work on b's machine, not published
    a.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
    assert b.sync()
    assert b.paths.faq_path.read_text(encoding="utf-8") == NEW_FAQ
    (kept,) = b.paths.faq_path.parent.glob("faq.unpublished-*.tsv")
    assert kept.read_text(encoding="utf-8") == draft
    a.publish_bytes(OTHER_FAQ.encode(), "upload.tsv")  # b's file is the served one now: nothing more to keep
    assert b.sync() and len(list(b.paths.faq_path.parent.glob("faq.unpublished-*"))) == 1


def test_of_two_replicas_started_on_an_empty_database_the_first_to_publish_wins(
    replica: Replica, settings: Settings, tmp_path: Path, database: Database
) -> None:
    # b built its own first version before a published one: its seed loses, and it follows a.
    b_settings = settings.model_copy(update={"index_dir": tmp_path / "b-index", "faq_path": tmp_path / "b.tsv"})
    (tmp_path / "b.tsv").write_text(OTHER_FAQ, encoding="utf-8")
    b_engine = open_engine(b_settings, FakeEmbedder())
    b = Publisher(b_engine, None, SharedVersions(VersionStore(database), b_settings.index_dir, 10))
    a = replica("a")
    assert b.engine.entry("8") is not None
    assert b.sync()
    assert b.engine.current.faq_version == a.engine.current.faq_version and b.engine.entry("8") is None
    assert (tmp_path / "b.tsv").read_text(encoding="utf-8") == SMALL_FAQ
    b_engine.close()


def test_a_following_replica_keeps_only_as_many_builds_as_versions_are_kept(
    replica: Replica, settings: Settings
) -> None:
    a, b = replica("a"), replica("b")
    for i in range(settings.keep_versions + 2):
        a.publish_bytes((SMALL_FAQ + f"9\t会員\t質問{i}ですか\t回答{i}です。\t\n").encode(), "upload.tsv")
        assert b.sync()
    kept = sorted(p.name for p in (b.paths.index_dir / "builds").iterdir())
    assert len(kept) == settings.keep_versions and kept[-1] == b.engine.current.index.path.name


def test_a_replica_that_starts_later_serves_the_current_version_without_building(replica: Replica) -> None:
    a = replica("a")
    a.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
    late = FakeEmbedder()
    c = replica("c", late)
    assert c.engine.current.faq_version == a.engine.current.faq_version
    assert late.encoded == []


def test_of_two_publishes_from_the_same_version_one_wins_the_other_gets_a_conflict(replica: Replica) -> None:
    a, b = replica("a"), replica("b")
    first = b.engine.current
    a.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
    with pytest.raises(PublishConflictError, match="別の公開またはロールバックが先に完了"):
        b.publish_bytes(OTHER_FAQ.encode(), "upload.tsv")  # b had not heard of a's publish yet
    assert b.engine.current is first and b.last_error is not None
    assert [v.faq_version for v in b.versions()].count(a.engine.current.faq_version) == 1
    assert len(list((b.paths.index_dir / "builds").iterdir())) == 1  # the refused build was not kept
    assert b.sync() and b.engine.entry("7") is not None and b.engine.entry("8") is None


def test_truly_concurrent_publishes_have_exactly_one_winner(replica: Replica) -> None:
    a, b = replica("a"), replica("b")
    start = threading.Barrier(2)
    outcomes: dict[str, PublishResult | Exception] = {}

    def publish(name: str, p: Publisher, text: str) -> None:
        start.wait()
        try:
            outcomes[name] = p.publish_bytes(text.encode(), "upload.tsv")
        except PublishConflictError as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=publish, args=args) for args in (("a", a, NEW_FAQ), ("b", b, OTHER_FAQ))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kinds = sorted(type(o).__name__ for o in outcomes.values())
    assert kinds == ["PublishConflictError", "PublishResult"]
    winner = a if isinstance(outcomes["a"], PublishResult) else b
    assert VersionStore(a.shared.versions.db).current() == winner.engine.current.index.path.name  # type: ignore[union-attr]


def test_a_rollback_on_one_replica_is_followed_by_the_others(replica: Replica) -> None:
    a, b = replica("a"), replica("b")
    first = a.engine.current.index.path.name
    a.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
    assert b.sync() and b.engine.entry("7") is not None
    assert [v.build_id for v in b.versions()][-1] == first
    b.rollback(first)
    assert a.sync() and a.engine.entry("7") is None and a.engine.current.index.path.name == first
    assert a.paths.faq_path.read_bytes() == SMALL_FAQ.encode()


def test_a_version_built_with_another_model_is_not_served(replica: Replica) -> None:
    a = replica("a")
    odd = replica("odd", FakeEmbedder(dim=32))  # another model: its vectors would not match a's
    assert odd.follow_error is not None and "model" in odd.follow_error[1]
    assert odd.engine.current.index.manifest.model_id == "fake-bigram-32"
    a.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
    assert not odd.sync() and odd.engine.entry("7") is None


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    """A PostgreSQL server of this test's own, to stop and start again."""
    server = Postgres().start()
    yield server
    server.stop()


@pytest.mark.slow
def test_the_follower_swaps_as_soon_as_another_replica_publishes(
    settings: Settings, tmp_path: Path, postgres: Postgres
) -> None:
    db = new_postgres_database(postgres)
    a = open_publisher(settings.model_copy(update={"index_dir": tmp_path / "a"}), FakeEmbedder(), shared_db=db)
    b = open_publisher(settings.model_copy(update={"index_dir": tmp_path / "b"}), FakeEmbedder(), shared_db=db)
    follower = Follower(db.libpq_url(), b.sync)
    follower.start()
    try:
        wait_until(lambda: follower.connected, what="listening")
        a.publish_bytes(NEW_FAQ.encode(), "upload.tsv")
        wait_until(lambda: b.engine.entry("7") is not None, what="b serving a's publish")
        assert b.engine.current.faq_version == a.engine.current.faq_version
    finally:
        follower.stop()
    assert not follower.connected


@pytest.mark.slow
def test_the_follower_reconnects_after_a_database_outage_and_catches_up(own_postgres: Postgres) -> None:
    calls: list[int] = []
    follower = Follower(own_postgres.url(), lambda: calls.append(1))
    follower.start()
    try:
        wait_until(lambda: follower.connected and len(calls) == 1, what="connected, caught up once")
        own_postgres.stop_server()
        wait_until(lambda: not follower.connected, what="the outage noticed")
        assert follower.error
        own_postgres.start_server()
        wait_until(lambda: follower.connected and len(calls) == 2, timeout=30, what="reconnected and caught up")
    finally:
        follower.stop()
