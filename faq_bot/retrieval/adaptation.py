"""The decision fitted to the FAQ it serves, on publish: how high its own near misses score.

The answer model is fitted on one FAQ (``faq-bot calibrate``). On another, its signals can run
higher for every question, near misses included: on a municipal FAQ written for measurement
(``data/municipal/``: 150 entries, answers of 300 characters and more, no alternates) the shipped
model answered 32 of 50 questions on its nouns that it does not answer. That FAQ says so
itself: each entry's question, searched as if the entry were not there, is a near miss the FAQ
provides (what ``faq_bot.quality.fitting`` learns near misses from), and the answer model's
median log-odds over them is 0.64 higher there than on the FAQ the model was fitted on.

So on every load of a FAQ (start-up, each publish) the answer model's log-odds are lowered by
that difference (``DecisionModel.adapted_to``), shrunk on a small FAQ, whose median says little.
Never raised: a FAQ whose near misses score lower than the fitted one's gives no evidence that a
confident answer is safer there (a wrong answer is the worst outcome), only less evidence that
it is riskier. It costs one search per entry of a sample of ``SAMPLE`` (~1.2 ms each: no encoding,
the index holds each question's vector).
"""

from __future__ import annotations

import statistics

import numpy as np

from faq_bot.retrieval.confidence import ConfidenceModel, DecisionModel
from faq_bot.retrieval.index import KIND_QUESTION
from faq_bot.retrieval.retriever import Retriever

#: Entries whose questions are searched (evenly spread over the FAQ): the median is steady long before.
SAMPLE = 200
#: A median over n near misses weighs n / (n + SHRINK): a FAQ of 10 entries moves a third as far.
SHRINK = 20
#: The most the log-odds are lowered (a factor of ~7 on the odds).
LIMIT = 2.0


def own_near_misses(retriever: Retriever, answer: ConfidenceModel, sample: int = SAMPLE) -> list[float]:
    """The answer model's log-odds of the best candidate for each sampled entry's own question, searched
    in the FAQ without that entry (its vector taken from the index, its words read as a question's)."""
    index = retriever.index
    n = len(index.entries)
    if n < 2:
        return []
    question_vector = np.full(n, -1, dtype=np.int64)
    is_question = index.vector_kind == KIND_QUESTION
    question_vector[index.vector_entry[is_question]] = np.flatnonzero(is_question)
    out = []
    for position in sorted(set(np.linspace(0, n - 1, min(n, sample)).round().astype(int).tolist())):
        question = index.entries[position].question
        if question_vector[position] < 0 or not retriever.searchable(question):
            continue
        vector = np.asarray(index.vectors.reconstruct(int(question_vector[position])), dtype=np.float32).reshape(1, -1)
        search = retriever.search(question, query_vectors=vector, parsed=retriever.parse(question), left_out=position)
        if search.hits and search.hits[0].signals is not None:
            out.append(answer.log_odds(search.hits[0].signals))
    return out


def median_log_odds(retriever: Retriever, answer: ConfidenceModel) -> float | None:
    """The median of ``own_near_misses`` (None for a FAQ of fewer than two entries)."""
    values = own_near_misses(retriever, answer)
    return statistics.median(values) if values else None


def offset_for(values: list[float], reference: float | None) -> float:
    """How far to move the answer model's log-odds for a FAQ whose own near misses scored ``values``."""
    if reference is None or not values:
        return 0.0
    higher = statistics.median(values) - reference
    weight = len(values) / (len(values) + SHRINK)
    return -min(LIMIT, max(0.0, higher * weight))


def adapted(model: DecisionModel, retriever: Retriever) -> DecisionModel:
    """The decision model for the FAQ the retriever searches (as fitted when it has no reference)."""
    if model.own_near_miss is None:
        return model
    fitted = model.adapted_to(0.0)
    return model.adapted_to(offset_for(own_near_misses(retriever, fitted.answer), model.own_near_miss))
