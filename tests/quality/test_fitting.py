"""Fitting the decision model: the topic model's examples, cross-validation and its fallback."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from faq_bot.config import Settings
from faq_bot.content.faq import FaqEntry
from faq_bot.content.queries import LabelledQuery
from faq_bot.quality.fitting import Case, calibrate, cross_validated, fit_topic, topic_examples
from faq_bot.retrieval.confidence import ConfidenceModel, judge_hits, topic_signals
from faq_bot.retrieval.retriever import Hit, Search
from faq_bot.retrieval.signals import Signals
from faq_bot.runtime import open_engine
from faq_bot.text.analyzer import Analysis
from tests.fakes import FakeEmbedder


def case(n: int, gold: tuple[int, ...], domain: float, coverages: tuple[float, ...]) -> Case:
    """Question ``n``; its candidates are entries 10n, 10n+1, ...; ``gold`` names candidate positions."""
    hits = tuple(
        Hit(FaqEntry(str(10 * n + i), "c", "q", "a"), 0.5 - i / 100, 0.9, 0.5, "question", "q",
            Signals(dense=0.1, dense_question=0.1, dense_passage=0.1, coverage=c, unknown=0.0, margin=0.5 - i,
                    agreement=float(i == 0), asked_missing=0.0, length=3.0, domain=domain))
        for i, c in enumerate(coverages)
    )  # fmt: skip
    query = LabelledQuery(f"question {n}", tuple(str(10 * n + g) for g in gold), n, "")
    return Case(query, Search(f"question {n}", Analysis("q", ("q",), ""), hits))


def labelled(seed: int = 7) -> list[Case]:
    """In-scope questions near the FAQ's subject (gold first or third), chatter far from it."""
    rng = random.Random(seed)
    cases = []
    for n in range(120):
        if n % 3 == 2:  # chatter: far from the subject, weak candidates
            cases.append(case(n, (), rng.uniform(-6, -3), (rng.uniform(0, 0.4), 0.1, 0.1)))
        else:  # on the subject: the gold entry is first or third
            first = rng.random() < 0.7
            cov = (rng.uniform(0.5, 1.0), 0.3, 0.2) if first else (0.3, 0.2, rng.uniform(0.1, 0.2))
            cases.append(case(n, (0 if first else 2,), rng.uniform(-1, 1), cov))
    return cases


def test_a_topic_example_is_positive_when_a_gold_entry_is_among_the_first_three() -> None:
    cases = [case(0, (2,), 0.0, (0.5, 0.4, 0.3, 0.2)), case(1, (3,), 0.0, (0.5, 0.4, 0.3, 0.2)),
             case(2, (), -4.0, (0.5, 0.4))]  # fmt: skip
    answer = ConfidenceModel(("coverage",), (0.0,), (1.0,), (1.0,), 0.0)
    x, y = topic_examples(cases, [judge_hits(c.search, answer) for c in cases])
    assert y.tolist() == [1, 0, 0] and x.shape == (3, 3)
    assert x[2].tolist()[1] == -4.0  # domain


def test_cross_validated_searches_carry_a_topic_probability_that_separates_chatter() -> None:
    cases = labelled()
    judged = cross_validated(cases, cases, folds=5)
    assert all(s.on_topic is not None for s in judged)
    on = [s.on_topic for c, s in zip(cases, judged, strict=True) if c.query.gold]
    off = [s.on_topic for c, s in zip(cases, judged, strict=True) if not c.query.gold]
    assert min(on) > max(off)  # type: ignore[type-var]


def test_a_topic_model_needs_both_kinds_of_question_else_the_given_one_is_kept() -> None:
    only_in_scope = [c for c in labelled() if c.query.gold]
    answer = ConfidenceModel(("coverage",), (0.0,), (1.0,), (1.0,), 0.0)
    with pytest.raises(ValueError, match="answered and ones that are not"):
        fit_topic(only_in_scope, [judge_hits(c.search, answer) for c in only_in_scope])
    kept = ConfidenceModel(("best",), (0.0,), (1.0,), (2.0,), -1.0, "kept")
    judged = cross_validated(only_in_scope, only_in_scope, folds=3, topic=kept)
    for s in judged:
        signals = topic_signals(s)
        assert signals is not None and s.on_topic == pytest.approx(max(kept.probability(signals), signals.best))


def test_calibrate_records_the_vectors_both_models_were_fitted_on(settings: Settings, tmp_path: Path) -> None:
    current = tmp_path / "model.json"
    replace(open_engine(settings, FakeEmbedder()).current.model, encoder="earlier-vectors").save(current)
    engine = open_engine(settings.model_copy(update={"decision_model_path": current}), FakeEmbedder())
    texts = [
        "請求書の発行日はいつ",
        "請求書のPDFがほしい",
        "見積書を作りたい",
        "カードで払えますか",
        "振込で払いたい",
        "パスワードを変えたい",
    ]
    asked = [LabelledQuery(text, (str(i + 1),), i + 2, "") for i, text in enumerate(texts)]
    chatter = [LabelledQuery(text, (), i + 20, "") for i, text in enumerate(["明日の天気は", "おいしいカレーの作り方"])]
    both = calibrate(engine, [*asked, *chatter], folds=2, use_faq=False)
    assert both.topic_refitted and both.model.encoder == engine.embedder.model_id
    # All answerable: no topic model can be fitted, the current one stays, and so does the record of the vectors
    # it was fitted on (the file's encoder would otherwise hide that half of it was fitted on others).
    kept = calibrate(engine, asked, folds=2, use_faq=False)
    assert not kept.topic_refitted and kept.model.encoder == "earlier-vectors"
