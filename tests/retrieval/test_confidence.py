"""The decision model: the answer and topic models, their file, and judging a search."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from faq_bot.content.faq import FaqEntry
from faq_bot.errors import ConfigError
from faq_bot.retrieval.confidence import ConfidenceModel, DecisionModel, judge, topic_signals
from faq_bot.retrieval.decision import topic_score
from faq_bot.retrieval.retriever import Hit, Search
from faq_bot.retrieval.signals import Signals
from faq_bot.text.analyzer import Analysis

ANSWER = ConfidenceModel(("coverage",), (0.0,), (1.0,), (4.0,), -2.0, "test")
TOPIC = ConfidenceModel(("best", "domain"), (0.0, 0.0), (1.0, 1.0), (3.0, 1.0), -1.0, "test")


def signals(coverage: float, domain: float = 0.0, unknown: float = 0.0) -> Signals:
    return Signals(
        dense=0.1, dense_question=0.1, dense_passage=0.1, coverage=coverage, unknown=unknown, margin=0.0,
        agreement=0.0, asked_missing=0.0, length=3.0, domain=domain,
    )  # fmt: skip


def search_of(*coverages: float, domain: float = 0.0) -> Search:
    hits = tuple(
        Hit(FaqEntry(str(i), "c", f"q{i}", f"a{i}"), 0.5 - i / 100, 0.9, 0.5, "question", f"q{i}", signals(c, domain))
        for i, c in enumerate(coverages)
    )
    return Search("q", Analysis("q", ("q",), ""), hits)


def test_judging_orders_hits_by_probability_and_sets_the_topic_probability() -> None:
    judged = judge(search_of(0.1, 0.9), DecisionModel(ANSWER, TOPIC))
    assert [h.entry.id for h in judged.hits] == ["1", "0"]
    best = judged.hits[0].confidence
    assert best == pytest.approx(1 / (1 + 2.718281828 ** -(4 * 0.9 - 2)), rel=1e-6)
    topic = topic_signals(judged)
    assert topic is not None and judged.on_topic == pytest.approx(max(TOPIC.probability(topic), best))


def test_a_question_far_from_the_faqs_subject_gets_a_lower_topic_probability() -> None:
    model = DecisionModel(ANSWER, TOPIC)
    near = judge(search_of(0.5, domain=1.0), model)
    far = judge(search_of(0.5, domain=-4.0), model)
    assert near.on_topic is not None and far.on_topic is not None and far.on_topic < near.on_topic - 0.1


def test_the_topic_probability_is_never_below_the_first_candidates_own() -> None:
    sure = judge(search_of(1.0, domain=-6.0), DecisionModel(ANSWER, TOPIC))  # far off the subject, yet p1 = 0.88
    assert sure.on_topic == sure.hits[0].confidence > TOPIC.probability(topic_signals(sure))  # type: ignore[arg-type]


def test_a_faqs_adjustment_lowers_what_an_answer_needs_and_leaves_the_candidates_as_fitted() -> None:
    from faq_bot.retrieval.decision import decide
    from faq_bot.retrieval.params import DecisionParams

    model = DecisionModel(ANSWER, TOPIC)
    fitted = judge(search_of(0.7, 0.1, domain=1.0), model)
    lowered = judge(search_of(0.7, 0.1, domain=1.0), model.adapted_to(-2.0))
    first, same = lowered.hits[0], fitted.hits[0]
    assert first.confidence < same.confidence - 0.3 and first.fitted_probability == pytest.approx(same.confidence)
    assert lowered.on_topic == pytest.approx(fitted.on_topic) and fitted.hits[0].fitted_probability is None
    params = DecisionParams(answer_threshold=0.6, suggest_threshold=0.3, candidate_threshold=0.2)
    assert decide(fitted, params).decision.value == "answer"  # p = 0.69 as fitted
    lowered_reply = decide(lowered, params)  # p = 0.23 adjusted: no answer, the same candidate offered instead
    assert lowered_reply.decision.value == "suggest" and [h.entry.id for h in lowered_reply.suggestions] == ["0"]


def test_a_search_without_hits_has_no_topic_probability() -> None:
    assert judge(search_of(), DecisionModel(ANSWER, TOPIC)).on_topic is None


def test_both_models_round_trip_through_their_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    DecisionModel(ANSWER, TOPIC).save(path)
    assert DecisionModel.load(path) == DecisionModel(ANSWER, TOPIC)
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == 2
    fitted = DecisionModel(ANSWER, TOPIC, -0.6, -0.3, "e5@abc+int8-2")
    fitted.save(path)
    assert DecisionModel.load(path) == fitted and DecisionModel.load(path).encoder == "e5@abc+int8-2"


def test_a_model_file_written_before_the_encoder_was_recorded_still_loads_and_warns_of_nothing() -> None:
    data = json.loads(DecisionModel(ANSWER, TOPIC, -0.6, -0.3, "e5@abc").to_json())
    del data["encoder"]  # e.g. var/decision_model.json from an earlier calibrate
    model = DecisionModel.from_json(json.dumps(data))
    assert model == DecisionModel(ANSWER, TOPIC, -0.6, -0.3) and not model.fitted_on_other_vectors("e5@abc+int8-2")


def test_a_model_knows_whether_it_was_fitted_on_other_vectors() -> None:
    assert DecisionModel(ANSWER, TOPIC, encoder="e5@abc").fitted_on_other_vectors("e5@abc+int8-2")
    assert not DecisionModel(ANSWER, TOPIC, encoder="e5@abc").fitted_on_other_vectors("e5@abc")
    assert not DecisionModel(ANSWER, TOPIC).fitted_on_other_vectors("e5@abc")  # not recorded: nothing to say
    shipped = DecisionModel.load()
    assert shipped.encoder is not None and "+int8" not in shipped.encoder  # fitted on the default fp32 vectors


def test_an_answer_model_alone_still_decides_as_before_and_asks_for_a_new_calibration(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "confidence_model.json"  # (even under the shipped model's file name)
    path.write_text(json.dumps(asdict(ANSWER)), encoding="utf-8")
    loaded = DecisionModel.load(path)
    assert loaded.answer == ANSWER and loaded.topic is None
    assert "calibrate" in caplog.text
    judged = judge(search_of(0.1, 0.9), loaded)
    assert judged.on_topic is None  # もしかして: the candidates' probabilities summed, as that file meant
    assert topic_score(judged, 3) == pytest.approx(sum(h.confidence for h in judged.hits[:3]))


@pytest.mark.parametrize(
    "content",
    ["{", '{"format": 9}', '{"format": 2, "answer": {}}', "[]"],
)
def test_an_unreadable_model_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="decision model"):
        DecisionModel.load(path)


def test_a_model_weighing_signals_its_side_cannot_have_is_refused() -> None:
    with pytest.raises(ConfigError, match="topic model"):
        DecisionModel(ANSWER, ANSWER)  # coverage is a signal of an entry, not of a question's topic
    with pytest.raises(ConfigError, match="answer model"):
        DecisionModel(TOPIC, TOPIC)


def test_the_shipped_topic_model_weighs_the_faqs_subject_in() -> None:
    topic = DecisionModel.load().topic
    weights = dict(zip(topic.features, topic.weights, strict=True))
    assert weights["best"] > 0 and weights["domain"] > 0 and weights["unknown"] < 0


def test_contributions_measured_from_an_origin_still_add_up_to_the_log_odds() -> None:
    model = ConfidenceModel(("unknown", "length"), (0.3, 3.0), (0.2, 0.5), (0.8, -0.4), -1.0, "test")
    s = signals(0.5, unknown=0.0)
    from_mean = dict(model.contributions(s))
    assert from_mean["unknown"] == pytest.approx(0.8 * (0.0 - 0.3) / 0.2)  # no unknown word, yet a share
    from_zero = dict(model.contributions(s, {"unknown": 0.0}))
    assert from_zero["unknown"] == 0 and from_zero["length"] == from_mean["length"]  # length: from its mean
    for origin in (None, {"unknown": 0.0}, {"unknown": 0.0, "length": 0.0}):
        total = model.base(origin) + sum(c for _, c in model.contributions(s, origin))
        assert total == pytest.approx(model.log_odds(s))
    assert model.base() == model.intercept
