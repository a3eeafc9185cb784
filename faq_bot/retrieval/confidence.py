"""The decision model: the probability that a candidate entry answers the question.

A logistic model over the ``Signals`` of each candidate (standardised, then weighted):
one number, calibrated on labelled data, so that one threshold means the same for a
long polite message and a two-word fragment. Being linear, it explains itself: each
signal's contribution is its weight times its standardised value.

The model is fitted by ``faq-bot calibrate`` (``faq_bot.quality.fitting``) on questions
the FAQ itself provides (its alternates, and entries held out of the index as near
misses) plus labelled question sets. Its signals do not depend on a FAQ's size or
wording, so the shipped model serves any FAQ; re-fit it for a very different one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path

from faq_bot.errors import ConfigError
from faq_bot.retrieval.retriever import Hit, Search
from faq_bot.retrieval.signals import Signals

FORMAT = 1
#: The model shipped with faq-bot (fitted on the bundled FAQ and its labelled question sets).
DEFAULT_MODEL = "confidence_model.json"


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
        known = set(Signals.names())
        unknown = [f for f in self.features if f not in known]
        sizes = {len(self.features), len(self.mean), len(self.scale), len(self.weights)}
        if unknown or len(sizes) != 1 or any(s <= 0 for s in self.scale):
            raise ConfigError(f"decision model is inconsistent (unknown signals: {unknown or 'none'})")

    def _standardised(self, signals: Signals) -> list[float]:
        return [(getattr(signals, f) - m) / s for f, m, s in zip(self.features, self.mean, self.scale, strict=True)]

    def contributions(self, signals: Signals) -> list[tuple[str, float]]:
        """Each signal's share of the log-odds (weight x standardised value), in model order."""
        z = self._standardised(signals)
        return [(f, w * x) for f, w, x in zip(self.features, self.weights, z, strict=True)]

    def log_odds(self, signals: Signals) -> float:
        """The intercept plus every contribution."""
        return self.intercept + sum(w * x for w, x in zip(self.weights, self._standardised(signals), strict=True))

    def probability(self, signals: Signals) -> float:
        """The probability that the entry answers the question."""
        x = self.log_odds(signals)
        return 1.0 / (1.0 + math.exp(-x)) if x >= -50 else 0.0

    def to_json(self) -> str:
        """The model as JSON (what ``save`` writes)."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    def save(self, path: Path) -> None:
        """Write the model to a JSON file."""
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, text: str, source: str = "<model>") -> ConfidenceModel:
        """Read a model written by ``to_json``."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ConfigError(f"decision model {source} has format {data.get('format')}, expected {FORMAT}")
            return cls(
                tuple(data["features"]), tuple(map(float, data["mean"])), tuple(map(float, data["scale"])),
                tuple(map(float, data["weights"])), float(data["intercept"]), str(data.get("fitted_on", "")),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"decision model {source} is unreadable: {exc}") from exc

    @classmethod
    def load(cls, path: Path | None = None) -> ConfidenceModel:
        """The model in ``path``, or the shipped one."""
        if path is None:
            return cls.from_json(files(__package__).joinpath(DEFAULT_MODEL).read_text(encoding="utf-8"), DEFAULT_MODEL)
        try:
            return cls.from_json(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise ConfigError(f"decision model {path} is unreadable: {exc}") from exc


def judge(search: Search, model: ConfidenceModel) -> Search:
    """The search with each hit's probability set, most probable first (ties: the ranking's order)."""
    judged = [_judged(h, model) for h in search.hits]
    order = sorted(range(len(judged)), key=lambda i: (-(judged[i].probability or 0.0), i))
    return search.with_hits([judged[i] for i in order])


def _judged(hit: Hit, model: ConfidenceModel) -> Hit:
    if hit.signals is None:
        return hit
    from dataclasses import replace

    return replace(hit, probability=model.probability(hit.signals))


def top_probabilities(hits: Sequence[Hit], n: int) -> list[float]:
    """The probabilities of the first ``n`` hits (the hybrid score where a hit was not judged)."""
    return [h.confidence for h in hits[:n]]
