"""Faults in the on-disk build store: a damaged CURRENT or build never crashes start-up and is said once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from faq_bot.config import Settings
from faq_bot.errors import IndexMismatchError
from faq_bot.retrieval import store
from faq_bot.runtime import open_engine
from tests.fakes import FakeEmbedder

RANDOM_BYTES = bytes(range(256))[::-7] + b"\x00\xff\xfe"


def warnings_about(caplog: pytest.LogCaptureFixture, word: str) -> list[str]:
    """Log lines at WARNING or above (what an operator sees by default) mentioning ``word``."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and word in r.getMessage()]


def test_random_bytes_in_current_are_a_clear_error_not_a_decode_traceback(settings: Settings) -> None:
    settings.index_dir.mkdir(parents=True)
    (settings.index_dir / store.CURRENT_FILE).write_bytes(RANDOM_BYTES)
    with pytest.raises(IndexMismatchError, match="CURRENT is damaged"):
        store.current_build(settings.index_dir)
    assert store.current_id(settings.index_dir) is None


@pytest.mark.parametrize("text", ["../../etc", ".tmp-abc", "", "a/b"])
def test_current_must_name_a_build_folder(settings: Settings, text: str) -> None:
    settings.index_dir.mkdir(parents=True)
    (settings.index_dir / store.CURRENT_FILE).write_text(text)
    with pytest.raises(IndexMismatchError):
        store.read_current(settings.index_dir)


def test_start_up_with_random_bytes_in_current_serves_the_build_of_the_file(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    first = open_engine(settings, FakeEmbedder()).current
    (settings.index_dir / store.CURRENT_FILE).write_bytes(RANDOM_BYTES)
    engine = open_engine(settings, FakeEmbedder())
    assert engine.current.faq_version == first.faq_version
    assert store.current_id(settings.index_dir) == first.index.path.name  # type: ignore[union-attr]
    assert warnings_about(caplog, "CURRENT is damaged")


def test_start_up_with_random_bytes_in_current_and_a_broken_file_serves_the_newest_whole_build(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    first = open_engine(settings, FakeEmbedder()).current
    (settings.index_dir / store.CURRENT_FILE).write_bytes(RANDOM_BYTES)
    settings.faq_path.write_bytes(b"id\tquestion\n1\tno answer column\n")
    assert open_engine(settings, FakeEmbedder()).current.faq_version == first.faq_version
    assert warnings_about(caplog, "newest whole build")


def test_a_damaged_only_build_is_rebuilt_with_a_warning(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    first = open_engine(settings, FakeEmbedder()).current
    assert first.index.path is not None
    (first.index.path / "vectors.faiss").write_bytes(b"damaged")
    engine = open_engine(settings, FakeEmbedder())
    assert engine.current.faq_version == first.faq_version and engine.current.index.path != first.index.path
    assert warnings_about(caplog, "damaged") and warnings_about(caplog, "rebuilt")


def test_a_damaged_build_is_not_served_in_place_of_the_file(settings: Settings, tmp_path: Path) -> None:
    first = open_engine(settings, FakeEmbedder()).current
    assert first.index.path is not None
    (first.index.path / "manifest.json").write_text("{not json")
    assert open_engine(settings, FakeEmbedder()).current.index.path != first.index.path
