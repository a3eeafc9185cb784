"""The decision model: how probable it is that the FAQ answers a question, and with which entry.

Two logistic models (signals standardised, then weighted), each one calibrated number, so
that one threshold means the same for a long polite message and a two-word fragment:

- the *answer* model: over the ``Signals`` of each candidate, the probability that this
  entry answers the question (the answer threshold applies to the best one);
- the *topic* model: over ``TopicSignals`` (the best probability as fitted, how near the message is
  to the FAQ's subject, words the FAQ never uses), the probability that one of the first
  candidates answers it (the もしかして threshold applies to it): chatter and other
  subjects escalate, a question on the FAQ's subject gets candidates.

Being linear, each explains itself: a signal's contribution is its weight times its
standardised value. Both are fitted by ``faq-bot calibrate`` (``faq_bot.quality.fitting``):
the answer model on questions the FAQ itself provides (its alternates, and entries held
out of the index as near misses) plus labelled question sets; the topic model on the
labelled sets (only they hold chatter). Their signals are measured against each FAQ's own
background, so the shipped models serve any FAQ; on load, the answer model is also fitted to
the FAQ it serves (``faq_bot.retrieval.adaptation``), and re-fit for a FAQ with labelled questions.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from faq_bot.errors import ConfigError
from faq_bot.retrieval.retriever import Hit, Search
from faq_bot.retrieval.signals import Signals, SignalSet, TopicSignals

log = logging.getLogger("faq_bot.retrieval")

FORMAT = 1  # one logistic model
DECISION_FORMAT = 2  # the answer and the topic model in one file (a format-1 file is an answer model)
#: The models shipped with faq-bot (fitted on the bundled FAQ and its labelled question sets).
DEFAULT_MODEL = "confidence_model.json"


def probability_of(log_odds: float) -> float:
    """The probability of these log-odds (0 far below: ``exp`` would overflow)."""
    return 1.0 / (1.0 + math.exp(-log_odds)) if log_odds >= -50 else 0.0


def moved(probability: float, offset: float) -> float:
    """A probability with ``offset`` added to its log-odds (a FAQ's adjustment, ``DecisionModel.faq_offset``)."""
    if probability <= 0.0 or probability >= 1.0 or offset == 0:
        return probability
    return probability_of(math.log(probability / (1.0 - probability)) + offset)


@dataclass(frozen=True)
class ConfidenceModel:
    """A fitted logistic model over named signals."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    fitted_on: str = ""  # what it was fitted on, for people
    format: int = FORMAT

    def __post_init__(self) -> None:
        known = set(Signals.names()) | set(TopicSignals.names())
        unknown = [f for f in self.features if f not in known]
        sizes = {len(self.features), len(self.mean), len(self.scale), len(self.weights)}
        if unknown or len(sizes) != 1 or any(s <= 0 for s in self.scale):
            raise ConfigError(f"decision model is inconsistent (unknown signals: {unknown or 'none'})")

    def _standardised(self, signals: SignalSet) -> list[float]:
        return [(getattr(signals, f) - m) / s for f, m, s in zip(self.features, self.mean, self.scale, strict=True)]

    def contributions(self, signals: SignalSet, origin: Mapping[str, float] | None = None) -> list[tuple[str, float]]:
        """Each signal's share of the log-odds, in model order: its weight times its distance from ``origin``
        in standard deviations (from the mean of the data the model was fitted on for a signal ``origin`` does
        not name). ``base(origin)`` plus their sum is ``log_odds``."""
        origin = origin or {}
        values = signals.as_dict()
        return [
            (f, w * (values[f] - origin.get(f, m)) / s)
            for f, m, s, w in zip(self.features, self.mean, self.scale, self.weights, strict=True)
        ]

    def base(self, origin: Mapping[str, float] | None = None) -> float:
        """The log-odds of signals all at ``origin`` (at the means, the intercept): where ``contributions`` start."""
        origin = origin or {}
        terms = zip(self.features, self.mean, self.scale, self.weights, strict=True)
        return self.intercept + sum(w * (origin.get(f, m) - m) / s for f, m, s, w in terms)

    def log_odds(self, signals: SignalSet) -> float:
        """The intercept plus every contribution."""
        return self.intercept + sum(w * x for w, x in zip(self.weights, self._standardised(signals), strict=True))

    def probability(self, signals: SignalSet) -> float:
        """The probability that the entry answers the question."""
        return probability_of(self.log_odds(signals))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ConfidenceModel:
        """A model from its JSON data (``asdict``)."""
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')}, expected {FORMAT}")
        return cls(
            tuple(data["features"]), tuple(map(float, data["mean"])), tuple(map(float, data["scale"])),
            tuple(map(float, data["weights"])), float(data["intercept"]), str(data.get("fitted_on", "")),
        )  # fmt: skip

    def check_uses_only(self, names: Sequence[str], what: str) -> None:
        """Refuse a model that weighs other signals than the given ones."""
        unknown = [f for f in self.features if f not in names]
        if unknown:
            raise ConfigError(f"the {what} model weighs signals it cannot have: {unknown}")


@dataclass(frozen=True)
class DecisionModel:
    """The answer model and the topic model (see the module docstring).

    ``topic`` is None for a model file of format 1 (fitted before the topic model existed):
    then もしかして compares the first candidates' probabilities summed with the threshold, as
    then; ``faq-bot calibrate --write`` fits both.
    """

    answer: ConfidenceModel
    topic: ConfidenceModel | None
    # The answer model's median log-odds over the near misses the FAQ it was fitted on provides itself
    # (``faq_bot.retrieval.adaptation``; None: a model fitted before, never adapted to another FAQ).
    own_near_miss: float | None = None
    # The same over the FAQ's crossed questions (``faq_bot.retrieval.crossings``; None: not measured).
    crossed_near_miss: float | None = None
    # The encoder whose vectors it was fitted on (``Embedder.model_id``; None: not recorded). Another
    # encoder's vectors (the int8 copy's, say) move every similarity a little, and the probabilities with them.
    encoder: str | None = None
    # What ``adapted_to`` added to the answer model's intercept for the FAQ it serves (0: as fitted).
    faq_offset: float = 0.0
    # The answer model as fitted, when ``answer`` is adapted (kept, not recomputed: floats do not round-trip).
    fitted_answer: ConfidenceModel | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.answer.check_uses_only(Signals.names(), "answer")
        if self.topic is not None:
            self.topic.check_uses_only(TopicSignals.names(), "topic")

    def adapted_to(self, offset: float) -> DecisionModel:
        """The models as fitted, the answer model's log-odds moved by ``offset`` (for one FAQ)."""
        if offset == self.faq_offset:
            return self
        fitted = self.fitted_answer or self.answer
        if offset == 0:
            return replace(self, answer=fitted, faq_offset=0.0, fitted_answer=None)
        answer = replace(fitted, intercept=fitted.intercept + offset)
        return replace(self, answer=answer, faq_offset=offset, fitted_answer=fitted)

    def to_json(self) -> str:
        """Both models as JSON (what ``save`` writes): as fitted, whatever FAQ they were adapted to."""
        topic = asdict(self.topic) if self.topic is not None else None
        data = {"format": DECISION_FORMAT, "answer": asdict(self.fitted_answer or self.answer), "topic": topic,
                "own_near_miss": self.own_near_miss, "crossed_near_miss": self.crossed_near_miss,
                "encoder": self.encoder}  # fmt: skip
        return json.dumps(data, ensure_ascii=False, indent=1)

    def save(self, path: Path) -> None:
        """Write both models to a JSON file."""
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, text: str, source: str = "<model>") -> DecisionModel:
        """Read what ``to_json`` wrote, or a format-1 file (an answer model alone: no topic model)."""
        try:
            data = json.loads(text)
            if data.get("format") == FORMAT:
                log.warning(
                    "判定モデル %s は古い形式です（もしかしての判定モデルがありません）。"
                    "`faq-bot calibrate … --write` で作り直してください。", source,
                )  # fmt: skip
                return cls(ConfidenceModel.from_data(data), None)
            if data.get("format") != DECISION_FORMAT:
                raise ValueError(f"format {data.get('format')}, expected {FORMAT} or {DECISION_FORMAT}")
            topic = data["topic"]
            reference, crossed = data.get("own_near_miss"), data.get("crossed_near_miss")
            encoder = data.get("encoder")
            return cls(
                ConfidenceModel.from_data(data["answer"]), ConfidenceModel.from_data(topic) if topic else None,
                float(reference) if reference is not None else None,
                float(crossed) if crossed is not None else None,
                str(encoder) if encoder is not None else None,
            )  # fmt: skip
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"decision model {source} is unreadable: {exc}. Fit one with `faq-bot calibrate`, or leave "
                "FAQ_BOT_DECISION_MODEL_PATH unset for the shipped one."
            ) from exc

    def fitted_on_other_vectors(self, encoder: str) -> bool:
        """True when the model records an encoder and it is not ``encoder`` (a model id)."""
        return self.encoder is not None and self.encoder != encoder

    @classmethod
    def load(cls, path: Path | None = None) -> DecisionModel:
        """The models in ``path``, or the shipped ones."""
        if path is None:
            return cls.from_json(files(__package__).joinpath(DEFAULT_MODEL).read_text(encoding="utf-8"), DEFAULT_MODEL)
        try:
            return cls.from_json(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise ConfigError(f"decision model {path} is unreadable: {exc}") from exc


def topic_signals(search: Search) -> TopicSignals | None:
    """The topic model's signals of a judged search (None without a judged hit)."""
    hits = search.hits
    if not hits or hits[0].signals is None:
        return None
    first = hits[0].signals
    return TopicSignals(best=hits[0].candidate_confidence, domain=first.domain, unknown=first.unknown)


def judge(search: Search, model: DecisionModel) -> Search:
    """The search with each hit's probability set, most probable first (ties: the ranking's order),
    and the probability that one of its first candidates answers (``Search.on_topic``; None
    without a topic model); a search narrowed to categories with its search over the whole FAQ judged too."""
    judged = judge_hits(search, model.answer, model.fitted_answer)
    judged = judge_topic(judged, model.topic) if model.topic is not None else judged
    return replace(judged, unnarrowed=judge(search.unnarrowed, model)) if search.unnarrowed is not None else judged


def judge_hits(search: Search, answer: ConfidenceModel, fitted: ConfidenceModel | None = None) -> Search:
    """The search with each hit's probability set by the answer model, most probable first (``fitted``: the answer
    model as fitted, when ``answer`` is adapted to the FAQ: each hit's ``fitted_probability``; the order is the
    same, an adaptation moves every log-odds alike)."""
    judged = [_judged(h, answer, fitted) for h in search.hits]
    order = sorted(range(len(judged)), key=lambda i: (-(judged[i].probability or 0.0), i))
    return search.with_hits([judged[i] for i in order])


def judge_topic(search: Search, topic: ConfidenceModel) -> Search:
    """A search judged by ``judge_hits``, with ``on_topic`` set by the topic model: never below the
    first candidate's own probability (one of the first candidates answers whenever the first does)."""
    signals = topic_signals(search)
    if signals is None:
        return replace(search, on_topic=None)
    own = topic.probability(signals)
    return replace(search, on_topic=max(own, signals.best), topic_probability=own)


def _judged(hit: Hit, model: ConfidenceModel, fitted: ConfidenceModel | None = None) -> Hit:
    if hit.signals is None:
        return hit
    log_odds = model.log_odds(hit.signals)
    # An adaptation moves the intercept alone: the fitted log-odds are these less that move.
    as_fitted = probability_of(log_odds - (model.intercept - fitted.intercept)) if fitted is not None else None
    return replace(hit, probability=probability_of(log_odds), fitted_probability=as_fitted)
