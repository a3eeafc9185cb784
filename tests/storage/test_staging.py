from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks.services import Postgres
from faq_bot.errors import NotFoundError
from faq_bot.storage.database import Database
from faq_bot.storage.schema import staged_files
from faq_bot.storage.staging import GONE, KEEP_SECONDS, DatabaseStaging, FolderStaging, Staging, staging_for
from tests.conftest import new_postgres_database
from tests.together import errors_together

#: Makes what is kept under a name (prefix + key + suffix) look this many seconds old.
Age = Callable[[str, float], None]


@pytest.fixture(params=["folder", "sqlite", "postgresql"])
def kept(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Staging, Age]]:
    """Both places files are staged: a folder of this machine, a database (PostgreSQL, shared by replicas;
    SQLite works the same)."""
    if request.param == "folder":
        folder = FolderStaging.beside(tmp_path / "index")

        def age_file(name: str, seconds: float) -> None:
            then = time.time() - seconds
            os.utime(folder.folder / name, (then, then))

        yield folder, age_file
        return
    db = (
        Database.sqlite(tmp_path / "state.sqlite3")
        if request.param == "sqlite"
        else new_postgres_database(request.getfixturevalue("postgres"))
    )

    def age_row(name: str, seconds: float) -> None:
        aged = sa.update(staged_files).where(staged_files.c.name == name).values(created=time.time() - seconds)
        with db.begin() as conn:
            conn.execute(aged)

    yield DatabaseStaging(db), age_row
    db.dispose()


def test_a_staged_file_is_kept_by_its_content_until_dropped(kept: tuple[Staging, Age]) -> None:
    staging, _ = kept
    key = staging.put(b"id\tquestion\n")
    assert staging.put(b"id\tquestion\n") == key and staging.get(key) == b"id\tquestion\n"
    assert staging.put(b"a,b", prefix="result-", suffix=".csv", length=32) != key
    staging.drop(key)
    with pytest.raises(NotFoundError, match=GONE):
        staging.get(key)


@pytest.mark.parametrize("key", ["../faq", "CURRENT", "", "0" * 15, "g" * 16, "0" * 65])
def test_a_key_that_is_not_a_content_hash_names_nothing(kept: tuple[Staging, Age], key: str) -> None:
    staging, _ = kept
    with pytest.raises(NotFoundError):
        staging.get(key)
    staging.drop(key)  # nothing to drop, no error


def test_what_was_kept_longer_than_the_limit_is_gone_and_deleted_when_something_new_is_staged(
    kept: tuple[Staging, Age],
) -> None:
    """Previews never published and results never downloaded do not pile up (nor outlive the log's retention)."""
    staging, age = kept
    old = staging.put(b"an abandoned preview")
    recent = staging.put(b"a result from this morning", prefix="result-", suffix=".csv", length=32)
    age(f"{old}.tsv", KEEP_SECONDS + 60)
    age(f"result-{recent}.csv", 3600)
    with pytest.raises(NotFoundError, match=GONE):  # expired, whether or not deleted yet
        staging.get(old)
    new = staging.put(b"a new upload")
    assert staging.prune() == 0  # the put deleted it already
    assert staging.get(recent, prefix="result-", suffix=".csv") == b"a result from this morning"
    # Staging the same content again keeps it from then on.
    age(f"{new}.tsv", KEEP_SECONDS + 60)
    staging.put(b"a new upload")
    assert staging.get(new) == b"a new upload"
    age(f"{new}.tsv", KEEP_SECONDS + 60)
    assert staging.prune() == 1


def test_the_folder_holds_exactly_what_is_kept(tmp_path: Path) -> None:
    staging = FolderStaging.beside(tmp_path)
    key = staging.put(b"x")
    assert [p.name for p in staging.folder.iterdir()] == [f"{key}.tsv"]
    assert FolderStaging(tmp_path / "nowhere").prune() == 0  # no folder yet: nothing to delete


def test_replicas_that_share_a_database_stage_there_one_machine_in_its_index_folder(tmp_path: Path) -> None:
    db = Database.sqlite(tmp_path / "shared.sqlite3")
    assert isinstance(staging_for(tmp_path / "index", db), DatabaseStaging)
    alone = staging_for(tmp_path / "index", None)
    assert isinstance(alone, FolderStaging) and alone.folder == tmp_path / "index" / "staging"


def test_replicas_staging_and_pruning_at_once_all_succeed(postgres: Postgres) -> None:
    """A form sent twice reaches two replicas: both stage the same file, and both prune, at the same moment."""
    db = new_postgres_database(postgres)
    staging = DatabaseStaging(db)
    expired = [staging.put(f"old {n}".encode()) for n in range(20)]
    with db.begin() as conn:
        conn.execute(sa.update(staged_files).values(created=time.time() - KEEP_SECONDS - 60))

    def twice() -> None:
        staging.put(b"the same preview")
        staging.prune()

    assert errors_together(twice, 8) == []
    assert staging.get(staging.put(b"the same preview")) == b"the same preview"
    for key in expired:
        with pytest.raises(NotFoundError):
            staging.get(key)
    with db.begin() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(staged_files)) == 1
    db.dispose()
