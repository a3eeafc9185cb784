"""The decision fitted to the FAQ it serves, on load: how high its own near misses score.

The answer model is fitted on one FAQ (``faq-bot calibrate``). On another, its signals can run
higher for every question, near misses included: on a municipal FAQ written for measurement
(``data/other_faqs/municipal/``: 150 entries, answers of 300 characters and more, no alternates) the shipped
model answered 32 of 50 questions on its nouns that it does not answer. That FAQ says so
itself: each entry's question, searched with that entry left out of the candidates, is a near
miss the FAQ provides (what ``faq_bot.quality.fitting`` learns near misses from, there with the
entry taken out of the index), and the answer model's median log-odds over them is higher there
than on the FAQ the model was fitted on (measured there by calibrate, ``own_level``).

So on every load of a FAQ (start-up, dry run, publish) the answer model's log-odds are lowered by
that difference (``DecisionModel.adapted_to``): less a dead zone (an encoder's rounding, such as
int8 against fp32, moves the median by ~0.09), shrunk on a small FAQ whose median says little, in
steps of ``STEP`` (a one-entry edit rarely moves it, so a dry run's regression check shows the
edit, not the adjustment). Never raised: a FAQ whose near misses score lower than the fitted one's
gives no evidence that a confident answer is safer there (a wrong answer is the worst outcome).
The sample is chosen by a hash of the entry ids, so an edit does not reshuffle it. It costs one
search per sampled entry (~1.2 ms: no encoding, the index holds each question's vector).
"""

from __future__ import annotations

import hashlib
import statistics
import time

import numpy as np

from faq_bot.priority import is_staff_thread
from faq_bot.retrieval.confidence import ConfidenceModel, DecisionModel
from faq_bot.retrieval.index import KIND_QUESTION
from faq_bot.retrieval.retriever import Retriever, Search

#: Entries whose questions are searched: the median is steady long before.
SAMPLE = 200
#: A median over n near misses weighs n / (n + SHRINK): a FAQ of 10 entries moves a third as far.
SHRINK = 20
#: A difference in median log-odds below this is not acted on (encoders' rounding, sampling).
DEAD_ZONE = 0.1
#: The adjustment moves in steps of this much, and at most ``LIMIT`` (a factor of ~7 on the odds).
STEP = 0.05
LIMIT = 2.0


def _sampled(ids: list[str], sample: int) -> list[int]:
    """Positions of up to ``sample`` entries, chosen by a hash of their ids (an edit keeps the others)."""
    order = sorted(range(len(ids)), key=lambda i: hashlib.blake2b(ids[i].encode(), digest_size=8).digest())
    return sorted(order[:sample])


def own_near_misses(retriever: Retriever, sample: int = SAMPLE) -> list[Search]:
    """The search of each sampled entry's own question with that entry left out of the candidates (its
    vector taken from the index, its words read as a question's); entries whose question finds nothing
    are skipped."""
    index = retriever.index
    n = len(index.entries)
    if n < 2:
        return []
    question_vector = np.full(n, -1, dtype=np.int64)
    is_question = index.vector_kind == KIND_QUESTION
    question_vector[index.vector_entry[is_question]] = np.flatnonzero(is_question)
    out = []
    for position in _sampled([e.id for e in index.entries], sample):
        question = index.entries[position].question
        if question_vector[position] < 0 or not retriever.searchable(question):
            continue
        stored = index.vectors.reconstruct(int(question_vector[position]))
        vector = np.asarray(stored, dtype=np.float32).reshape(1, -1)
        search = retriever.search(question, query_vectors=vector, parsed=retriever.parse(question), left_out=position)
        if search.hits and search.hits[0].signals is not None:
            out.append(search)
        if is_staff_thread():
            time.sleep(0)  # a publish: let a visitor's request take the interpreter between two searches
    return out


def own_log_odds(retriever: Retriever, answer: ConfidenceModel) -> list[float]:
    """The answer model's log-odds of the best candidate of each of ``own_near_misses``."""
    return [answer.log_odds(s.hits[0].signals) for s in own_near_misses(retriever) if s.hits[0].signals is not None]


def own_level(retriever: Retriever, answer: ConfidenceModel) -> float | None:
    """The median of ``own_log_odds`` (None for a FAQ without near misses): what calibrate stores with a model
    (``DecisionModel.own_near_miss``) for the FAQ it was fitted on."""
    values = own_log_odds(retriever, answer)
    return statistics.median(values) if values else None


def offset_for(values: list[float], reference: float | None) -> float:
    """How far to move the answer model's log-odds for a FAQ whose own near misses scored ``values``."""
    if reference is None or not values:
        return 0.0
    higher = statistics.median(values) - reference - DEAD_ZONE
    lowered = max(0.0, higher) * len(values) / (len(values) + SHRINK)
    return -min(LIMIT, round(lowered / STEP) * STEP)


def adapted(model: DecisionModel, retriever: Retriever) -> DecisionModel:
    """The decision model for the FAQ the retriever searches (as fitted when it has no reference)."""
    if model.own_near_miss is None:
        return model
    values = own_log_odds(retriever, model.adapted_to(0.0).answer)
    return model.adapted_to(offset_for(values, model.own_near_miss))
