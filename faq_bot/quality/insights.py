"""What visitors asked that the FAQ did not answer (grouped so one missing topic shows once), and entry usage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from faq_bot.content.faq import FaqEntry
from faq_bot.model.embedder import Embedder
from faq_bot.storage.chatlog import EntryStats, LoggedQuestion
from faq_bot.text.normalize import normalize

#: Questions whose embeddings are at least this similar (cosine) fall in one group.
GROUP_SIMILARITY = 0.9


@dataclass(frozen=True)
class QuestionGroup:
    """Similar unanswered questions: a representative, how many, and the nearest FAQ entry."""

    representative: str
    count: int
    examples: tuple[str, ...]
    last_seen: float
    nearest_entry: str | None  # the entry most of them came closest to, a candidate for an alternate
    request_ids: tuple[str, ...] = ()  # every logged question of the group (to dismiss them together)
    nearest_confidence: float = 0.0  # the best probability any of them had for ``nearest_entry``


def group_questions(
    questions: Sequence[LoggedQuestion], embedder: Embedder, similarity: float = GROUP_SIMILARITY
) -> list[QuestionGroup]:
    """Cluster questions by meaning (average-linkage agglomerative, cosine), biggest group first."""
    if not questions:
        return []
    # Identical texts (after normalisation) are one point with a weight, to keep clustering small.
    by_text: dict[str, list[LoggedQuestion]] = {}
    for q in questions:
        by_text.setdefault(normalize(q.message), []).append(q)
    texts = list(by_text)
    if len(texts) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        from sklearn.cluster import AgglomerativeClustering

        vectors = embedder.encode_queries(texts)
        labels = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - similarity
        ).fit_predict(vectors)
    groups: dict[int, list[str]] = {}
    for text, label in zip(texts, labels.tolist(), strict=True):
        groups.setdefault(int(label), []).append(text)
    out = []
    for members in groups.values():
        asked = [q for t in members for q in by_text[t]]
        members.sort(key=lambda t: -len(by_text[t]))
        entries = [q.entry_id for q in asked if q.entry_id]
        nearest = max(set(entries), key=entries.count) if entries else None
        out.append(
            QuestionGroup(
                representative=by_text[members[0]][0].message,
                count=len(asked),
                examples=tuple(by_text[t][0].message for t in members[:5]),
                last_seen=max(q.created for q in asked),
                nearest_entry=nearest,
                request_ids=tuple(q.request_id for q in asked),
                nearest_confidence=max((q.confidence for q in asked if q.entry_id == nearest), default=0.0),
            )
        )
    return sorted(out, key=lambda g: (-g.count, -g.last_seen))


@dataclass(frozen=True)
class EntryUsage:
    """How one entry of the live FAQ was used: answers, suggestion clicks, ratings."""

    id: str
    question: str
    answered: int
    clicked: int
    up: int
    down: int
    comments: tuple[str, ...]


def entry_usage(entries: Sequence[FaqEntry], stats: Mapping[str, EntryStats]) -> list[EntryUsage]:
    """Every entry with its counts (0 for entries never hit), in FAQ order."""
    out = []
    for e in entries:
        s = stats.get(e.id)
        if s is None:
            out.append(EntryUsage(e.id, e.question, 0, 0, 0, 0, ()))
        else:
            out.append(EntryUsage(e.id, e.question, s.answered, s.clicked, s.up, s.down, s.comments))
    return out
