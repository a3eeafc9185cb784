"""The shared versions table and its current pointer, on both backends; NOTIFY on PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from faq_bot.errors import PublishConflictError
from faq_bot.storage.database import Database
from faq_bot.storage.versions import CHANNEL, VersionStore


def publish(versions: VersionStore, build_id: str, expected: str | None, keep: int = 10) -> None:
    versions.publish(build_id, {"id": build_id}, f"tsv {build_id}".encode(), b"tar", expected=expected, keep=keep)


def test_the_first_version_becomes_current_then_each_publish_moves_it(database: Database) -> None:
    versions = VersionStore(database)
    assert versions.current() is None and versions.versions() == []
    publish(versions, "b1", expected=None)
    publish(versions, "b2", expected="b1")
    assert versions.current() == "b2"
    assert [v.build_id for v in versions.versions()] == ["b2", "b1"]
    assert versions.files("b1") == (b"tsv b1", b"tar") and versions.files("nope") is None
    assert versions.tsv("b1") == b"tsv b1" and versions.tsv("nope") is None  # the TSV alone, for a comparison


def test_of_two_publishes_from_the_same_version_one_wins_and_the_other_stores_nothing(database: Database) -> None:
    versions = VersionStore(database)
    publish(versions, "b1", expected=None)
    publish(versions, "b2", expected="b1")
    with pytest.raises(PublishConflictError) as err:
        publish(versions, "b3", expected="b1")
    assert (err.value.expected, err.value.current) == ("b1", "b2")
    assert "別の公開" in str(err.value)
    assert versions.current() == "b2" and versions.files("b3") is None
    with pytest.raises(PublishConflictError):
        publish(versions, "b0", expected=None)  # a second "first version" loses too


def test_a_rollback_moves_the_pointer_by_compare_and_set(database: Database) -> None:
    versions = VersionStore(database)
    publish(versions, "b1", expected=None)
    publish(versions, "b2", expected="b1")
    versions.make_current("b1", expected="b2")
    assert versions.current() == "b1"
    with pytest.raises(PublishConflictError):
        versions.make_current("b2", expected="b2")


def test_old_versions_are_pruned_but_never_the_current_one(database: Database) -> None:
    versions = VersionStore(database)
    publish(versions, "b1", expected=None, keep=2)
    publish(versions, "b2", expected="b1", keep=2)
    versions.make_current("b1", expected="b2")
    publish(versions, "b3", expected="b1", keep=2)
    publish(versions, "b4", expected="b3", keep=2)
    assert [v.build_id for v in versions.versions()] == ["b4", "b3"]
    versions.make_current("b3", expected="b4")
    publish(versions, "b5", expected="b3", keep=1)
    assert [v.build_id for v in versions.versions()] == ["b5"]


def test_postgres_notifies_listeners_at_commit(postgres: object) -> None:
    from tests.conftest import new_postgres_database

    db = new_postgres_database(postgres)  # type: ignore[arg-type]
    versions = VersionStore(db)
    versions.current()  # migrated
    with psycopg.connect(db.libpq_url(), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        publish(versions, "b1", expected=None)
        with pytest.raises(PublishConflictError):
            publish(versions, "b9", expected="nope")  # rolled back: no notification
        publish(versions, "b2", expected="b1")
        got = [n.payload for n in listener.notifies(timeout=10, stop_after=2)]
    assert got == ["b1", "b2"]
    db.dispose()
