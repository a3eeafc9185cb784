from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from faq_bot.errors import NotFoundError
from faq_bot.service.uploads import GONE, KEEP_SECONDS, Staging


def test_a_staged_file_is_kept_by_its_content_until_dropped(tmp_path: Path) -> None:
    staging = Staging(tmp_path)
    key = staging.put(b"id\tquestion\n")
    assert staging.put(b"id\tquestion\n") == key and staging.get(key) == b"id\tquestion\n"
    staging.drop(key)
    with pytest.raises(NotFoundError, match=GONE):
        staging.get(key)


@pytest.mark.parametrize("key", ["../faq", "CURRENT", "", "0" * 15, "g" * 16, "0" * 65])
def test_a_key_that_is_not_a_content_hash_names_nothing(tmp_path: Path, key: str) -> None:
    (tmp_path / "faq.tsv").write_bytes(b"secret")
    with pytest.raises(NotFoundError):
        Staging(tmp_path / "index").get(key)


def test_files_kept_longer_than_the_limit_are_deleted_when_something_new_is_staged(tmp_path: Path) -> None:
    """Previews never published and results never downloaded do not pile up (nor outlive the log's retention)."""
    staging = Staging(tmp_path)
    old = staging.put(b"an abandoned preview")
    recent = staging.put(b"a preview from this morning", prefix="result-", suffix=".csv", length=32)
    long_ago = time.time() - KEEP_SECONDS - 60
    os.utime(staging.folder / f"{old}.tsv", (long_ago, long_ago))
    os.utime(staging.folder / f"result-{recent}.csv", (time.time() - 3600,) * 2)
    new = staging.put(b"a new upload")
    assert sorted(p.name for p in staging.folder.iterdir()) == sorted([f"{new}.tsv", f"result-{recent}.csv"])
    with pytest.raises(NotFoundError, match=GONE):
        staging.get(old)
    # Staging the same content again keeps it from then on.
    os.utime(staging.folder / f"{new}.tsv", (long_ago, long_ago))
    staging.put(b"a new upload")
    assert staging.prune() == 0 and staging.get(new) == b"a new upload"


def test_pruning_a_folder_that_does_not_exist_yet_deletes_nothing(tmp_path: Path) -> None:
    assert Staging(tmp_path / "nowhere").prune() == 0
