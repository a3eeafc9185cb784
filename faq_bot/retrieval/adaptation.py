"""The decision fitted to the FAQ it serves, on load: how high its own near misses score.

The answer model is fitted on one FAQ (``faq-bot calibrate``). On another, its signals can run
higher for every question, near misses included: on a municipal FAQ written for measurement
(``data/other_faqs/municipal/``: 150 entries, answers of 300 characters and more, no alternates) the shipped
model answered 32 of 50 questions on its nouns that it does not answer. That FAQ says so
itself, with two kinds of near misses it provides:
- each entry's question, searched with that entry left out of the candidates (what
  ``faq_bot.quality.fitting`` learns near misses from, there with the entry taken out of the index);
- its crossed questions (``faq_bot.retrieval.crossings``): one question's subject with another's
  predicate, the FAQ's nouns asked what it says of something else.
The answer model's median log-odds over each kind is higher there than on the FAQ the model was
fitted on (measured there by calibrate: ``own_level``, ``crossed_level``).

So on every load of a FAQ (start-up, dry run, publish) the answer model's log-odds are lowered by
twice the larger of the two differences (``CAUTION``; ``DecisionModel.adapted_to``), for answering only
(もしかして weighs the probabilities as fitted, ``Hit.candidate_confidence``): less a dead zone (an encoder's rounding,
such as int8 against fp32, moves the median by ~0.09), shrunk on a small FAQ whose median says little, in
steps of ``STEP`` (a one-entry edit rarely moves it, so a dry run's regression check shows the
edit, not the adjustment). Never raised: a FAQ whose near misses score lower than the fitted one's
gives no evidence that a confident answer is safer there (a wrong answer is the worst outcome).
The samples are chosen by a hash of the entry ids, so an edit does not reshuffle them. Own questions
cost one search each (~1.2 ms: no encoding, the index holds each question's vector); crossed ones
a janome analysis too, and an encoding the first time (the build cache keeps their vectors).
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from faq_bot.priority import is_staff_thread
from faq_bot.retrieval.confidence import ConfidenceModel, DecisionModel
from faq_bot.retrieval.crossings import crossed_questions
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
#: How far past the measured difference the answers go. The near misses a FAQ makes of itself move with the
#: ones its visitors send, but not as far: on the two FAQs with labelled questions (``data/other_faqs``) the
#: measured difference alone left 8.3 % and 9.5 % of the answers wrong, twice it 3.5 % and 6.5 % (chosen on one,
#: judged on the other: 2 on the municipal FAQ gives 6.5 % on the university's, from 9.5 %). Only answering is
#: held to it: もしかして weighs the probabilities as fitted (``Hit.candidate_confidence``), so the questions no
#: longer answered get candidates (helpful 0.917 → 0.959 and 0.908 → 0.933 there), not an escalation.
CAUTION = 2.0


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
        _let_visitors_in()
    return out


def own_log_odds(retriever: Retriever, answer: ConfidenceModel) -> list[float]:
    """The answer model's log-odds of the best candidate of each of ``own_near_misses``."""
    return [answer.log_odds(s.hits[0].signals) for s in own_near_misses(retriever) if s.hits[0].signals is not None]


def own_level(retriever: Retriever, answer: ConfidenceModel) -> float | None:
    """The median of ``own_log_odds`` (None for a FAQ without near misses): what calibrate stores with a model
    (``DecisionModel.own_near_miss``) for the FAQ it was fitted on."""
    values = own_log_odds(retriever, answer)
    return statistics.median(values) if values else None


#: Texts (prepared) to their vectors as questions, through the build cache.
Encode = Callable[[Sequence[str]], npt.NDArray[np.float32]]


def crossed_log_odds(
    retriever: Retriever, answer: ConfidenceModel, encode: Encode, questions: Sequence[str]
) -> list[float]:
    """The answer model's log-odds of the best candidate of each crossed question, searched as a visitor's is.

    ``questions``: ``crossed_questions`` of the retriever's FAQ (``faq_bot.retrieval.crossings``).
    """
    parsed = []
    for question in questions:
        if retriever.searchable(question):
            parsed.append(retriever.parse(question))
        _let_visitors_in()
    views = [retriever.views(p) for p in parsed]
    vectors = encode([text for texts in views for text in texts])
    out = []
    start = 0
    for p, texts in zip(parsed, views, strict=True):
        search = retriever.search(p.query, query_vectors=vectors[start : start + len(texts)], parsed=p)
        start += len(texts)
        if search.hits and search.hits[0].signals is not None:
            out.append(answer.log_odds(search.hits[0].signals))
        _let_visitors_in()
    return out


def crossed_level(retriever: Retriever, answer: ConfidenceModel, encode: Encode) -> float | None:
    """The median of ``crossed_log_odds`` (None for a FAQ that makes none): stored with a model by calibrate
    (``DecisionModel.crossed_near_miss``)."""
    crossings = crossed_questions(retriever.index.entries)
    values = crossed_log_odds(retriever, answer, encode, crossings.questions)
    return statistics.median(values) if values else None


def offset_for(values: list[float], reference: float | None, sources: int | None = None) -> float:
    """How far to move the answer model's log-odds for a FAQ whose own near misses scored ``values``.

    ``sources``: how many questions of the FAQ they were made of, if fewer than ``values`` (crossings):
    the shrink for a small FAQ counts those, not the crossings.
    """
    if reference is None or not values:
        return 0.0
    higher = statistics.median(values) - reference - DEAD_ZONE
    n = len(values) if sources is None else min(len(values), sources)
    lowered = max(0.0, higher) * CAUTION * n / (n + SHRINK)
    return -min(LIMIT, round(lowered / STEP) * STEP)


def adapted(model: DecisionModel, retriever: Retriever, encode: Encode) -> DecisionModel:
    """The decision model for the FAQ the retriever searches (as fitted when it has no reference): lowered by
    the more cautious of the two kinds of near misses the FAQ provides, its own questions searched without
    their entries and its crossed questions (``encode`` gives their vectors)."""
    if model.own_near_miss is None and model.crossed_near_miss is None:
        return model
    fitted = model.adapted_to(0.0).answer
    offset = 0.0
    if model.own_near_miss is not None:
        offset = offset_for(own_log_odds(retriever, fitted), model.own_near_miss)
    if model.crossed_near_miss is not None:
        crossings = crossed_questions(retriever.index.entries)
        values = crossed_log_odds(retriever, fitted, encode, crossings.questions)
        offset = min(offset, offset_for(values, model.crossed_near_miss, crossings.sources))
    return model.adapted_to(offset)


def _let_visitors_in() -> None:
    """Between two searches of a publish (a staff thread): let a visitor's request take the interpreter."""
    if is_staff_thread():
        time.sleep(0)
