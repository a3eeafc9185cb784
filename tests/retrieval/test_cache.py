from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from faq_bot.config import Settings
from faq_bot.content import faq as faq_table
from faq_bot.publishing.publisher import Publisher
from faq_bot.retrieval.cache import BuildCache, analysis_key, vector_key
from faq_bot.retrieval.engine import build_and_save
from faq_bot.runtime import open_engine
from faq_bot.text.analyzer import Analysis, TextAnalyzer
from faq_bot.text.synonyms import SynonymTable
from tests.conftest import SMALL_FAQ
from tests.fakes import FakeEmbedder


def test_vectors_and_analyses_come_back_by_key(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache.sqlite3")
    key = vector_key("model@1", "passage", "請求書の発行")
    other = vector_key("model@2", "passage", "請求書の発行")  # another model: another key
    cache.put_vectors({key: np.arange(4, dtype=np.float32)})
    assert set(cache.vectors([key, other])) == {key}
    assert cache.vectors([key])[key].tolist() == [0.0, 1.0, 2.0, 3.0]
    akey = analysis_key("synonyms-v1", "請求書")
    cache.put_analyses({akey: Analysis("請求書", ("請求", "請求書"), "セイキュウショ")})
    assert cache.analyses([akey, analysis_key("synonyms-v2", "請求書")]) == {
        akey: Analysis("請求書", ("請求", "請求書"), "セイキュウショ")
    }
    again = BuildCache(tmp_path / "cache.sqlite3")  # another process, the same file
    assert set(again.vectors([key])) == {key}


def test_an_unusable_cache_is_a_warning_and_builds_go_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "cache.sqlite3").mkdir()  # something that is not a database where the file should be
    with caplog.at_level(logging.WARNING):
        assert BuildCache.beside(tmp_path) is None
    assert "build cache" in caplog.text


def counted_engine(settings: Settings) -> tuple[FakeEmbedder, Publisher]:
    embedder = FakeEmbedder()
    engine = open_engine(settings, embedder)
    embedder.encoded.clear()
    return embedder, Publisher(engine, None)


EDITED = SMALL_FAQ.replace("VISAとJCBに対応しています。", "VISA、JCB、AMEXに対応しています。")


def test_publishing_a_one_entry_edit_encodes_only_that_entry(settings: Settings) -> None:
    embedder, publisher = counted_engine(settings)
    publisher.publish_bytes(EDITED.encode(), "upload")
    passages = [t for t in embedder.encoded if "amex" in t.lower()]
    assert passages and len(embedder.encoded) == 1  # question+answer of entry 4: the only new text
    embedder.encoded.clear()
    publisher.publish_bytes(SMALL_FAQ.encode(), "rollback by upload")  # every text seen before
    assert embedder.encoded == []


def test_every_publishing_path_reuses_what_was_encoded(settings: Settings) -> None:
    embedder, publisher = counted_engine(settings)
    publisher.publish_bytes(EDITED.encode(), "x", dry_run=True)  # a dry run encodes the new text once …
    first = list(embedder.encoded)
    publisher.publish_bytes(EDITED.encode(), "x")  # … and the publish after it encodes nothing
    assert len(first) == 1 and embedder.encoded == first
    embedder.encoded.clear()
    settings.faq_path.write_text(SMALL_FAQ, encoding="utf-8")
    publisher.reload()  # the file on disk, as before: nothing new
    entries = publisher.with_alternate("5", "振り込みで払いたい")
    publisher.publish_bytes(faq_table.dump(entries).encode(), "alternate")  # one new phrasing
    assert embedder.encoded == [publisher.engine.analyzer.prepare("振り込みで払いたい")]


def test_build_index_over_a_folder_with_builds_encodes_only_new_texts(settings: Settings) -> None:
    params = settings.retrieval_params()
    analyzer = TextAnalyzer(SynonymTable.load(settings.synonyms_path))
    embedder = FakeEmbedder()
    build_and_save(faq_table.parse(SMALL_FAQ, "a.tsv"), params, embedder, analyzer)
    embedder.encoded.clear()
    build_and_save(faq_table.parse(EDITED, "b.tsv"), params, embedder, analyzer)
    assert len(embedder.encoded) == 1 and "amex" in embedder.encoded[0].lower()
