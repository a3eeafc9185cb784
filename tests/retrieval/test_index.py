from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faq_bot.config import Settings
from faq_bot.content import faq as faq_table
from faq_bot.errors import IndexMismatchError
from faq_bot.retrieval import index as faq_index
from faq_bot.retrieval import store
from faq_bot.retrieval.engine import ensure_index
from faq_bot.text.analyzer import TextAnalyzer
from faq_bot.text.synonyms import SynonymTable
from tests.fakes import FakeEmbedder


def built(settings: Settings) -> faq_index.FaqIndex:
    faq = faq_table.load(settings.faq_path)
    return faq_index.build(
        faq, FakeEmbedder(), TextAnalyzer(SynonymTable.load(settings.synonyms_path)), settings.retrieval_params().index
    )


def test_build_makes_question_alternate_and_answer_vectors(settings: Settings) -> None:
    idx = built(settings)
    kinds = [idx.phrasing(i)[0] for i in range(idx.vectors.ntotal)]
    assert kinds.count("question") == 6 and kinds.count("answer") == 6 and kinds.count("alternate") == 3
    assert idx.manifest.counts == {"entries": 6, "vectors": 15, "categories": 4}


def test_save_then_load_gives_the_same_index(settings: Settings) -> None:
    idx = built(settings)
    folder = store.save(idx, settings.index_dir)
    assert store.current_build(settings.index_dir) == folder
    again = store.load(folder)
    assert again.entries == idx.entries and again.manifest == idx.manifest
    assert again.vectors.ntotal == idx.vectors.ntotal


def test_an_faq_with_few_questions_has_no_scale_for_domain(settings: Settings) -> None:
    idx = built(settings)  # 6 questions + 3 alternates: too few to say what is near its subject
    assert idx.own_background == (0.0, 0.0)
    assert idx.domain(idx.vectors.reconstruct(0)) == 0.0 and idx.domain(-idx.centroid) == 0.0


def test_an_faq_with_few_entries_has_no_scale_for_how_alike_two_are(settings: Settings) -> None:
    idx = built(settings)  # 6 entries
    assert idx.pair_background == (0.0, 0.0)
    assert not idx.alike(np.arange(6)).any()


def test_manifest_mismatch_names_what_differs(settings: Settings) -> None:
    manifest = built(settings).manifest
    with pytest.raises(IndexMismatchError, match=r"FAQ file.*model"):
        store.check(manifest, tsv_sha256="0" * 64, model_id="other", settings=manifest.settings)
    with pytest.raises(IndexMismatchError, match="settings index_type"):
        store.check(
            manifest,
            tsv_sha256=manifest.tsv_sha256,
            model_id=manifest.model_id,
            settings={**manifest.settings, "index_type": "hnsw"},
        )


def test_changed_tsv_makes_the_saved_index_stale_and_it_is_rebuilt(settings: Settings) -> None:
    analyzer = TextAnalyzer(SynonymTable.load(settings.synonyms_path))
    first = ensure_index(settings.retrieval_params(), FakeEmbedder(), analyzer)
    settings.faq_path.write_text(settings.faq_path.read_text() + "7\tx\t新しい質問\t新しい回答\t\n", encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="FAQ file"):
        ensure_index(settings.retrieval_params(), FakeEmbedder(), analyzer, rebuild=False)
    second = ensure_index(settings.retrieval_params(), FakeEmbedder(), analyzer)
    assert len(second.entries) == len(first.entries) + 1


def test_crash_during_save_keeps_the_previous_build_current(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    idx = built(settings)
    good = store.save(idx, settings.index_dir)

    def explode(*_args: object, **_kw: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store.Bm25, "save", explode)
    with pytest.raises(OSError):
        store.save(idx, settings.index_dir)
    assert store.current_build(settings.index_dir) == good
    assert not list((settings.index_dir / "builds").glob(".tmp-*"))
    store.load(good)


def test_damaged_index_is_reported_not_crashed(settings: Settings) -> None:
    folder = store.save(built(settings), settings.index_dir)
    (folder / "vectors.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexMismatchError, match="damaged"):
        store.load(folder)


def test_old_builds_are_pruned(settings: Settings) -> None:
    idx = built(settings)
    for _ in range(5):
        store.save(idx, settings.index_dir, keep=2)
    assert len([p for p in (settings.index_dir / "builds").iterdir() if not p.name.startswith(".")]) == 2


def test_missing_index_folder_has_no_current_build(tmp_path: Path) -> None:
    assert store.current_build(tmp_path / "nothing") is None
