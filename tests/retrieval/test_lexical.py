from __future__ import annotations

from pathlib import Path

import numpy as np

from faq_bot.retrieval.lexical import Bm25

DOCS = [["請求", "書", "発行"], ["見積", "書", "発行"], ["支払い", "方法"], []]


def test_scores_are_the_share_of_query_weight_found() -> None:
    bm = Bm25.build(DOCS)
    s = bm.scores(["請求", "書", "発行"])
    assert 0.85 < s[0] <= 1.0  # all terms present; a longer-than-average document is damped a little
    assert 0 < s[1] < s[0]
    assert s[2] == 0 and s[3] == 0
    assert np.all((s >= 0) & (s <= 1))


def test_unknown_query_terms_lower_the_score() -> None:
    bm = Bm25.build(DOCS)
    assert bm.scores(["請求", "天気"])[0] < bm.scores(["請求"])[0]


def test_empty_query_scores_zero() -> None:
    assert not Bm25.build(DOCS).scores([]).any()


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    bm = Bm25.build(DOCS)
    bm.save(tmp_path / "b.npz")
    again = Bm25.load(tmp_path / "b.npz")
    for q in (["請求"], ["書", "発行"], ["x"]):
        np.testing.assert_allclose(bm.scores(q), again.scores(q))


def test_coverage_is_the_share_of_the_querys_weight_each_document_holds() -> None:
    bm = Bm25.build(DOCS)
    coverage, never = bm.coverage(["請求", "発行", "天気"])
    assert coverage[0] > coverage[1] > 0 and coverage[2] == 0 and 0 < never < 1
    assert bm.coverage(["請求", "発行"])[1] == 0.0  # every word known
    # A word counted as unknown (one the visitor did not type as such) is not covered, whatever the documents hold.
    as_unknown, never_typed = bm.coverage(["請求", "発行"], unknown={"請求"})
    assert as_unknown[0] < bm.coverage(["請求", "発行"])[0][0] and never_typed > 0
