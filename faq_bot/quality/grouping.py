"""Grouping what visitors asked by meaning, one question at a time (so one missing topic shows once).

Each question joins the group whose first question (its leader) is most similar, if that
cosine reaches ``similarity``; otherwise it starts a group of its own. Unlike clustering
the whole log again, adding questions costs one matrix product against the leaders, and
groups never move once formed: the staff pages keep them up to date as questions come in.
Identical texts (after normalisation) always share a group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from faq_bot.model.embedder import Embedder
from faq_bot.storage.chatlog import LoggedQuestion
from faq_bot.text.normalize import normalize

#: Questions whose embeddings are at least this similar (cosine) to a group's first question join it.
#: mE5's cosines are bunched high: over the pairs of labelled questions of both dev sets, 0.90 put
#: 2.3 % of pairs about different entries together (0.92: 0.56 %, 0.95: 0.06 %), and kept 46 % of
#: pairs about the same entry (0.92: 21 %). Two topics in one group mislead; one topic in two rows
#: only costs a row, so the stricter side.
GROUP_SIMILARITY = 0.92
#: Questions compared with the leaders in one matrix product.
CHUNK = 512


@dataclass(frozen=True)
class QuestionGroup:
    """Similar unanswered questions: a representative, how many, and the nearest FAQ entry."""

    representative: str
    count: int
    examples: tuple[str, ...]
    last_seen: float
    nearest_entry: str | None  # the entry the representative came closest to, a candidate for an alternate
    request_ids: tuple[str, ...] = ()  # every logged question of the group (to dismiss them together)
    nearest_confidence: float = 0.0  # the probability the representative had for ``nearest_entry``
    suggested: int = 0  # of ``count``, the questions that got もしかして (the others were sent to a person)
    turned_down: int = 0  # of ``suggested``, those whose visitor chose 「どれにも当てはまらない」 (rated 👎)
    down: int = 0  # of those sent to a person, the ones the visitor rated 👎
    comments: tuple[str, ...] = ()  # what visitors wrote with a 👎 (the latest first)


#: A group's questions that a view keeps, each with its normalised text.
Kept = list[tuple[LoggedQuestion, str]]


class QuestionGrouper:
    """Groups that grow as questions are added (not thread-safe: the caller serialises)."""

    def __init__(self, similarity: float = GROUP_SIMILARITY) -> None:
        self.similarity = similarity
        self._leaders = np.zeros((0, 0), dtype=np.float32)  # rows [: self._count] are in use
        self._count = 0
        self._by_text: dict[str, int] = {}
        self.members: list[list[LoggedQuestion]] = []
        self._keys: list[list[str]] = []  # each member's normalised text (computed once)
        self.seen: set[str] = set()

    def __len__(self) -> int:
        return sum(len(m) for m in self.members)

    def add(self, questions: Sequence[LoggedQuestion], vectors: npt.NDArray[np.float32]) -> None:
        """Add questions (not seen before) with their unit-length embeddings, row for row."""
        fresh = [i for i, q in enumerate(questions) if q.request_id not in self.seen]
        for start in range(0, len(fresh), CHUNK):
            rows = fresh[start : start + CHUNK]
            block = np.asarray(vectors[rows], dtype=np.float32)
            known = self._count
            if known:
                sims = block @ self._leaders[:known].T
                best = sims.argmax(axis=1)
                best_sim = sims[np.arange(len(rows)), best]
            for j, i in enumerate(rows):
                q = questions[i]
                if q.request_id in self.seen:  # twice in one call
                    continue
                self.seen.add(q.request_id)
                key = normalize(q.message)
                group = self._by_text.get(key)
                if group is None and known and best_sim[j] >= self.similarity:
                    group = int(best[j])
                if group is None and self._count > known:  # a leader started earlier in this chunk
                    recent = block[j] @ self._leaders[known : self._count].T
                    k = int(recent.argmax())
                    if recent[k] >= self.similarity:
                        group = known + k
                if group is None:
                    group = self._lead(block[j])
                self._by_text.setdefault(key, group)
                self.members[group].append(q)
                self._keys[group].append(key)

    def _lead(self, vector: npt.NDArray[np.float32]) -> int:
        if self._count == len(self._leaders):
            grown = np.zeros((max(64, 2 * self._count), len(vector)), dtype=np.float32)
            if self._count:
                grown[: self._count] = self._leaders[: self._count]
            self._leaders = grown
        self._leaders[self._count] = vector
        self._count += 1
        self.members.append([])
        self._keys.append([])
        return self._count - 1

    def groups(self, keep: Callable[[LoggedQuestion], bool] = lambda q: True) -> list[QuestionGroup]:
        """The groups of the questions ``keep`` accepts, biggest (then most recent) first."""
        return [summary(kept) for kept in self.kept(keep)]

    def kept(self, keep: Callable[[LoggedQuestion], bool], containing: Sequence[str] = ()) -> list[Kept]:
        """Of each group, the questions ``keep`` accepts (with their texts) whose text contains each of the words
        ``containing`` (normalised alike: ``search_key``), in the order of ``groups``; a page summarises only the
        groups it shows (``summary``)."""
        out = []
        for members, keys in zip(self.members, self._keys, strict=True):
            kept = [(q, k) for q, k in zip(members, keys, strict=True) if all(w in k for w in containing) and keep(q)]
            if kept:
                out.append(kept)
        return sorted(out, key=lambda kept: (-len(kept), -max(q.created for q, _ in kept)))


def summary(kept: Kept, rated_down: Mapping[str, str | None] | None = None) -> QuestionGroup:
    """A group as staff see it, from the questions kept of it (``QuestionGrouper.kept``); ``rated_down``: the
    request ids rated 👎, with their comments (``ChatLog.rated_down``)."""
    rated_down = rated_down or {}
    asked = [q for q, _ in kept]
    by_text: dict[str, LoggedQuestion] = {}
    counts: Counter[str] = Counter()
    for q, key in kept:
        by_text.setdefault(key, q)
        counts[key] += 1
    texts = [t for t, _ in counts.most_common()]
    # The entry offered for the representative is the one the bot found most likely for that very text (its
    # latest asking that found one: the FAQ it was searched in is the nearest to the live one), not a vote over
    # the group:
    # a group's questions may each be closest to another entry, and the representative is what gets added.
    found = [q for q, key in kept if key == texts[0] and q.entry_id]
    nearest = max(found, key=lambda q: q.created) if found else None
    return QuestionGroup(
        representative=by_text[texts[0]].message,
        count=len(asked),
        examples=tuple(by_text[t].message for t in texts[:5]),
        last_seen=max(q.created for q in asked),
        nearest_entry=nearest.entry_id if nearest else None,
        request_ids=tuple(q.request_id for q in asked),
        nearest_confidence=nearest.confidence if nearest else 0.0,
        suggested=sum(q.decision == "suggest" for q in asked),
        turned_down=sum(q.decision == "suggest" and q.request_id in rated_down for q in asked),
        down=sum(q.decision == "escalate" and q.request_id in rated_down for q in asked),
        comments=tuple(
            comment for q in sorted(asked, key=lambda q: -q.created) if (comment := rated_down.get(q.request_id))
        ),
    )


def search_key(words: str) -> tuple[str, ...]:
    """The words staff look for (split at spaces, full width ones too), each as the grouped questions' texts are
    kept (full and half width, case: alike)."""
    return tuple(dict.fromkeys(w for w in (normalize(word) for word in words.split()) if w))


def group_questions(
    questions: Sequence[LoggedQuestion], embedder: Embedder, similarity: float = GROUP_SIMILARITY
) -> list[QuestionGroup]:
    """Group questions encoded now (the staff pages use the embeddings stored with the log instead)."""
    if not questions:
        return []
    texts = sorted({normalize(q.message) for q in questions})
    vectors = embedder.encode_queries(texts)
    row = {t: i for i, t in enumerate(texts)}
    grouper = QuestionGrouper(similarity)
    grouper.add(questions, vectors[[row[normalize(q.message)] for q in questions]])
    return grouper.groups()
