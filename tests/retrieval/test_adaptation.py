"""The decision fitted to the FAQ it serves: its own near misses against the fitted FAQ's."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from faq_bot.config import Settings
from faq_bot.retrieval.adaptation import (
    CAUTION,
    DEAD_ZONE,
    LIMIT,
    SHRINK,
    STEP,
    _sampled,
    adapted,
    crossed_log_odds,
    offset_for,
    own_log_odds,
    own_near_misses,
)
from faq_bot.retrieval.confidence import DecisionModel
from faq_bot.retrieval.crossings import crossed_questions
from faq_bot.retrieval.engine import Engine
from faq_bot.runtime import open_engine
from tests.fakes import FAKE_DECISION_MODEL, FakeEmbedder


def test_a_faq_whose_near_misses_score_higher_is_answered_more_cautiously() -> None:
    values = [0.5, 1.0, 1.5] * 20  # median 1.0, 60 near misses: (1.0 - DEAD_ZONE) x CAUTION x 60 / 80, in steps
    expected = round((1.0 - DEAD_ZONE) * CAUTION * 60 / (60 + SHRINK) / STEP) * STEP
    assert offset_for(values, reference=0.0) == pytest.approx(-expected)


def test_never_bolder_never_for_a_rounding_and_never_beyond_the_limit() -> None:
    assert offset_for([-3.0] * 100, reference=0.0) == 0.0  # lower near misses: as fitted
    assert offset_for([DEAD_ZONE * 0.9] * 100, reference=0.0) == 0.0  # another encoder's rounding: as fitted
    assert offset_for([9.0] * 100, reference=0.0) == -LIMIT


def test_a_small_faq_moves_less_and_no_reference_or_no_near_misses_not_at_all() -> None:
    assert offset_for([1.1] * 10, reference=0.0) == pytest.approx(-round(CAUTION / 3 / STEP) * STEP)
    assert offset_for([1.0] * 10, reference=None) == 0.0
    assert offset_for([], reference=0.0) == 0.0


def test_the_sample_is_chosen_by_id_so_an_edit_keeps_the_others() -> None:
    ids = [str(i) for i in range(1000)]
    before = {ids[i] for i in _sampled(ids, 200)}
    edited = [*ids[:500], "new", *ids[500:]]
    after = {edited[i] for i in _sampled(edited, 200)}
    assert len(before) == 200 and len(before - after) <= 1
    assert _sampled(ids[:50], 200) == list(range(50))


def test_the_offset_moves_the_answer_log_odds_and_the_file_keeps_the_model_as_fitted() -> None:
    model = replace(FAKE_DECISION_MODEL, own_near_miss=-0.5, crossed_near_miss=-0.25)
    moved = model.adapted_to(-0.8)
    assert moved.answer.intercept == pytest.approx(model.answer.intercept - 0.8) and moved.faq_offset == -0.8
    assert moved.adapted_to(-0.3).answer.intercept == pytest.approx(model.answer.intercept - 0.3)
    assert moved.topic == model.topic  # the topic model as fitted: it sees the best probability as fitted too
    again = DecisionModel.from_json(moved.to_json())
    assert again == model  # as fitted, with its reference
    assert moved.adapted_to(0.0).answer == model.answer  # exactly (kept, not computed back)


def test_each_entrys_own_question_is_searched_without_that_entry(fake_engine: Engine) -> None:
    retriever = fake_engine.current.retriever
    searched = []
    search = retriever.search

    def spy(query: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        found = search(query, *args, **kwargs)  # type: ignore[arg-type]
        searched.append((kwargs["left_out"], [h.entry for h in found.hits]))
        return found

    retriever.search = spy  # type: ignore[method-assign]
    found = own_near_misses(retriever)
    entries = retriever.index.entries
    assert len(found) == len(entries) == len(searched)
    for position, hits in searched:
        assert hits and entries[position] not in hits
    values = own_log_odds(retriever, FAKE_DECISION_MODEL.answer)
    assert values == [FAKE_DECISION_MODEL.answer.log_odds(s.hits[0].signals) for s in found]  # type: ignore[arg-type]


def test_a_model_without_a_reference_is_served_as_fitted(fake_engine: Engine) -> None:
    model = adapted(FAKE_DECISION_MODEL, fake_engine.current.retriever, fake_engine.encode_prepared)
    assert model is FAKE_DECISION_MODEL


def test_the_engine_adapts_the_model_to_each_faq_it_loads_once_per_version(settings: Settings, tmp_path: Path) -> None:
    cautious = tmp_path / "cautious.json"
    replace(FAKE_DECISION_MODEL, own_near_miss=-10.0).save(cautious)  # fitted where near misses scored very low
    embedder = FakeEmbedder()
    engine = open_engine(settings.model_copy(update={"decision_model_path": cautious}), embedder)
    loaded = engine.current
    assert loaded.model.faq_offset < 0
    fitted = FAKE_DECISION_MODEL.answer.intercept
    assert loaded.model.answer.intercept == pytest.approx(fitted + loaded.model.faq_offset)
    assert engine.loaded_for(loaded.index).model is loaded.model  # a dry run's build, published: not measured again


def test_the_crossed_questions_are_searched_as_a_visitors_with_the_vectors_encode_gives(settings: Settings) -> None:
    embedder = FakeEmbedder()
    engine = open_engine(settings, embedder)
    retriever = engine.current.retriever
    crossings = crossed_questions(retriever.index.entries)
    calls = embedder.calls
    values = crossed_log_odds(retriever, FAKE_DECISION_MODEL.answer, embedder.encode_queries, crossings.questions)
    assert embedder.calls == calls + 1 and len(values) == len(crossings.questions) >= 20  # one batch
    assert "見積書はいつ発行されますか" in crossings.questions  # 見積書 with 請求書はいつ発行されますか's predicate
    assert not set(crossings.questions) & {e.question for e in retriever.index.entries}
    alone = retriever.search("見積書はいつ発行されますか")
    assert FAKE_DECISION_MODEL.answer.log_odds(alone.hits[0].signals) in values  # type: ignore[arg-type]


def test_crossings_shrink_by_the_questions_they_are_made_of() -> None:
    values = [1.1] * 120  # 120 crossings of a FAQ of 10 questions weigh what 10 near misses do
    assert offset_for(values, reference=0.0, sources=10) == offset_for([1.1] * 10, reference=0.0)
    assert offset_for(values, reference=0.0, sources=500) == offset_for(values, reference=0.0)


def test_the_more_cautious_of_the_two_kinds_of_near_misses_sets_the_offset(fake_engine: Engine) -> None:
    retriever = fake_engine.current.retriever
    encode = fake_engine.encode_prepared
    # Own near misses as low as the fitted FAQ's were (no offset from them), crossed ones far higher.
    bold_own = replace(FAKE_DECISION_MODEL, own_near_miss=10.0, crossed_near_miss=-10.0)
    assert adapted(bold_own, retriever, encode).faq_offset < 0
    assert adapted(replace(bold_own, own_near_miss=None), retriever, encode).faq_offset < 0  # crossed alone
    assert adapted(replace(bold_own, crossed_near_miss=None), retriever, encode).faq_offset == 0.0
    both = replace(FAKE_DECISION_MODEL, own_near_miss=-10.0, crossed_near_miss=-10.0)
    own_only = adapted(replace(both, crossed_near_miss=None), retriever, encode).faq_offset
    assert adapted(both, retriever, encode).faq_offset <= own_only < 0


def test_a_model_file_without_the_crossed_level_is_adapted_by_its_own_questions_alone() -> None:
    data = json.loads(replace(FAKE_DECISION_MODEL, own_near_miss=-0.5).to_json())
    del data["crossed_near_miss"]  # written before crossed questions were measured
    model = DecisionModel.from_json(json.dumps(data))
    assert model.own_near_miss == -0.5 and model.crossed_near_miss is None


def test_the_engine_adapts_to_the_crossed_questions_through_the_build_cache(settings: Settings, tmp_path: Path) -> None:
    crossed = tmp_path / "crossed.json"
    replace(FAKE_DECISION_MODEL, own_near_miss=10.0, crossed_near_miss=-10.0).save(crossed)
    embedder = FakeEmbedder()
    first = open_engine(settings.model_copy(update={"decision_model_path": crossed}), embedder)
    assert first.current.model.faq_offset < 0
    made = set(crossed_questions(first.current.index.entries).questions)
    assert made & set(embedder.encoded)  # encoded once (prepared as questions are: the same texts here)
    first.close()
    again = FakeEmbedder()
    second = open_engine(settings.model_copy(update={"decision_model_path": crossed}), again)
    assert second.current.model.faq_offset == first.current.model.faq_offset
    assert not made & set(again.encoded)  # a second start: from the build cache
