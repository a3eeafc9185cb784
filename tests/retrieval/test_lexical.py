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


def test_scores_and_coverage_equal_the_term_by_term_sums() -> None:
    rng = np.random.default_rng(7)
    terms = [f"t{i}" for i in range(40)]
    docs = [list(rng.choice(terms, size=int(rng.integers(0, 12)))) for _ in range(60)]
    bm = Bm25.build(docs)
    dense = bm.weights.toarray()
    for _ in range(20):
        query = [*rng.choice(terms, size=int(rng.integers(1, 15))), "未知"]  # repeats and an unknown term
        query = [t for t in query if t in bm.vocabulary] + ["未知"]  # (a term no document drew is unknown too)
        counts = {t: query.count(t) for t in set(query)}
        known = {t: n for t, n in counts.items() if t in bm.vocabulary}
        total = sum(n * bm.idf[bm.vocabulary[t]] for t, n in known.items()) + bm.unknown_idf
        expected = sum(n * bm.idf[bm.vocabulary[t]] * dense[:, bm.vocabulary[t]] for t, n in known.items()) / total
        np.testing.assert_allclose(bm.scores(query), expected, rtol=1e-5, atol=1e-7)
        held = sum(bm.idf[bm.vocabulary[t]] * (dense[:, bm.vocabulary[t]] > 0) for t in known)
        share, never = bm.coverage(query)
        distinct = sum(bm.idf[bm.vocabulary[t]] for t in known) + bm.unknown_idf
        np.testing.assert_allclose(share, held / distinct, rtol=1e-5, atol=1e-7)
        assert abs(never - bm.unknown_idf / distinct) < 1e-6


def test_a_term_is_together_with_the_telling_words_when_it_shares_a_document_with_half_of_them() -> None:
    docs = [["街路灯", "道路"], ["該当", "手当"], ["申請"], ["申請"], ["申請"], ["申請", "手当"], *[[]] * 6]
    bm = Bm25.build(docs)
    assert bm.together("該当", ["道路"]) is False  # no document has both: 街灯 切れた is not 該当
    assert bm.together("該当", ["手当", "道路"]) is True  # half of the telling words
    assert bm.together("該当", ["手当", "道路", "街路灯"]) is False  # ... but not a third
    assert bm.together("該当", ["申請"]) is True  # 申請 is in a third of the documents: it tells nothing
    assert bm.together("該当", ["申請", "道路"]) is False  # ... and does not outvote a word that tells
    assert bm.together("該当", []) is True and bm.together("該当", ["天気"]) is True  # nothing speaks against it
    assert bm.together("該当", ["該当"]) is True  # the term itself is no other word
    # Asked for evidence, a term needs a telling word it shares a document with: nothing against it is not enough.
    assert bm.together("該当", [], evidence=True) is False
    assert bm.together("該当", ["申請"], evidence=True) is False
    assert bm.together("該当", ["手当"], evidence=True) is True
    assert bm.together("該当", ["道路"], evidence=True) is False
    assert list(bm.documents_with("申請")) == [2, 3, 4, 5] and len(bm.documents_with("天気")) == 0
