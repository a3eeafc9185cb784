"""What a publish is checked against before it goes live: the regression set (questions whose outcome it must not
change unnoticed), and the new or edited entries' own phrasings (each must reach its entry)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from faq_bot.content.faq import FaqEntry
from faq_bot.content.queries import LabelledQuery, read_queries
from faq_bot.errors import FaqFormatError
from faq_bot.model.cache import CachedEmbedder
from faq_bot.model.embedder import Embedder
from faq_bot.quality.judging import is_right_label, outcome_label, outcome_text
from faq_bot.retrieval.decision import Reply
from faq_bot.retrieval.engine import Loaded
from faq_bot.retrieval.index import KIND_ALTERNATE, KIND_QUESTION

log = logging.getLogger("faq_bot.publishing")


@dataclass(frozen=True)
class RegressionChange:
    """A regression-set question whose outcome would change."""

    query: str
    expected: tuple[str, ...]
    before: str  # "answer:12", "suggest:3", "escalate"
    after: str
    verdict: str  # 改善 (now right), 悪化 (now wrong), 変化 (changed, still right or still wrong)
    confirmed: bool = False  # a visitor's question whose answer staff confirmed as right (not the regression file's)
    categories: tuple[str, ...] = ()  # asked within these categories (as the visitor narrowed it)

    @property
    def before_label(self) -> str:
        """The outcome before, as editors read it (回答 12, もしかして 3,4, 担当者へ案内)."""
        return outcome_text(self.before)

    @property
    def after_label(self) -> str:
        """The outcome after, as editors read it."""
        return outcome_text(self.after)


@dataclass(frozen=True)
class OwnPhrasingMiss:
    """A new or edited entry's question (or alternate) that the published FAQ would not answer with that entry."""

    entry_id: str
    text: str
    outcome: str  # "suggest:3,5", "escalate", "answer:7"
    # What the live FAQ does with it, where the live entry has this phrasing too (None: a new phrasing).
    before: str | None = None
    # Answered with its entry only because it is written so (``decision.written_for``): the probability alone would
    # not answer it, so a visitor asking the same in other words likely gets no answer.
    as_written: bool = False

    @property
    def outcome_label(self) -> str:
        """The outcome as editors read it (もしかして 3,5, 担当者へ案内, 回答 7)."""
        return outcome_text(self.outcome)

    @property
    def before_label(self) -> str:
        """The live FAQ's outcome as editors read it ("" for a new phrasing)."""
        return outcome_text(self.before) if self.before is not None else ""

    @property
    def worse(self) -> bool:
        """The live FAQ answers this phrasing with its entry and the change would stop that: the edit breaks it (one
        still answered as written is no break)."""
        return self.before == f"answer:{self.entry_id}" and not self.as_written


#: At most this many phrasings are asked per publish (a whole new FAQ: its first ones; each costs an encoding).
OWN_PHRASINGS = 60


def own_phrasing_misses(
    entries: Sequence[FaqEntry], new: Loaded, encoder: Embedder, limit: int = OWN_PHRASINGS, live: Loaded | None = None
) -> list[OwnPhrasingMiss]:
    """The phrasings of these (new or edited) entries that ``new`` would not answer with their own entry: an
    editor's entry that nobody's question reaches — a time or price asked for that its answer lacks, wording
    another entry shares — is found before it is published, not in the question log afterwards.

    With ``live`` (the FAQ served now), a phrasing its entry already had is asked there too: one the live FAQ
    answers with that entry is a regression of this change (``OwnPhrasingMiss.worse``), not an old miss; one
    answered only as written there and here alike is left out (nothing this change does: listed, it came back with
    every edit of its entry, and editors could not tell what their edit did)."""
    asked = [(e.id, text) for e in entries for text in (e.question, *e.alternates)][:limit]
    replies = _replies(new, encoder, asked)
    labelled = [(i, text, outcome_label(reply), reply.exact) for (i, text), reply in zip(asked, replies, strict=True)]
    misses = [(i, text, label, exact) for i, text, label, exact in labelled if label != f"answer:{i}" or exact]
    before: dict[tuple[str, str], str] = {}
    if live is not None:
        had = [
            (i, text)
            for i, text, _, _ in misses
            if (old := live.entry(i)) is not None and text in (old.question, *old.alternates)
        ]
        replies = _replies(live, encoder, had)
        before = dict(zip(had, map(outcome_label, replies), strict=True))
        same = {key for key, reply in zip(had, replies, strict=True) if reply.exact}
        misses = [m for m in misses if not (m[3] and (m[0], m[1]) in same and before[m[0], m[1]] == m[2])]
    return [OwnPhrasingMiss(i, text, label, before.get((i, text)), exact) for i, text, label, exact in misses]


def _replies(loaded: Loaded, encoder: Embedder, asked: Sequence[tuple[str, str]]) -> list[Reply]:
    """The reply ``loaded`` gives each (entry id, phrasing of that entry), without encoding the phrasings its index
    holds."""
    if not asked:
        return []
    found = loaded.search_many([text for _, text in asked], _knowing_phrasings(loaded, encoder, {i for i, _ in asked}))
    return [loaded.reply(search) for search in found]


def _knowing_phrasings(loaded: Loaded, encoder: Embedder, entry_ids: set[str]) -> CachedEmbedder:
    """``encoder``, knowing the query vector the index holds of these entries' questions and alternates: asking
    an entry's own phrasing encodes nothing (the build encoded it as a question already)."""
    index, retriever = loaded.index, loaded.retriever
    wanted = np.flatnonzero(np.isin(index.vector_entry, [i for i, e in enumerate(index.entries) if e.id in entry_ids]))
    known: dict[str, npt.NDArray[np.float32]] = {}
    for position in wanted.tolist():
        entry = index.entries[int(index.vector_entry[position])]
        kind, sub = int(index.vector_kind[position]), int(index.vector_sub[position])
        if kind == KIND_QUESTION:
            text = entry.question
        elif kind == KIND_ALTERNATE and 0 <= sub < len(entry.alternates):
            text = entry.alternates[sub]
        else:
            continue
        views = retriever.views(retriever.parse(text))
        known[views[0]] = np.asarray(index.vectors.reconstruct(position), dtype=np.float32)
    cached = CachedEmbedder(encoder)
    cached.remember_queries(known)
    return cached


@dataclass(frozen=True)
class RegressionSet:
    """The regression file's questions, and why there are none when it cannot give them (for the editor)."""

    queries: tuple[LabelledQuery, ...]
    problem: str = ""  # the file is set but missing or unusable: what the preview says, in Japanese


def regression_set(path: Path | None) -> RegressionSet:
    """The questions of the regression file (none if it is missing or unusable, with the reason; a line that
    cannot be a question is left out, not the whole set)."""
    if path is None:
        return RegressionSet(())
    where = f"回帰テストのファイル（{path}）"
    if not path.is_file():
        return RegressionSet((), (
            f"{where}がないため、ファイルの質問は確かめていません。公開の前に毎回確かめたい質問は、"
            "query（質問）と gold（回答するFAQのid。担当者へ案内するなら空）の列を持つTSVにして、"
            "サーバーのその場所に置いてください（サーバーの管理者の作業です）。"
        ))  # fmt: skip
    try:
        return RegressionSet(tuple(read_queries(path, skip_incomplete=True)))
    except FaqFormatError as exc:
        log.warning("regression set unusable: %s", exc)
        return RegressionSet((), f"{where}を読めないため、ファイルの質問は確かめていません: {exc}")


#: What was asked (``LabelledQuery.asked``: the words and the categories) -> its outcome label.
Outcomes = dict[tuple[str, tuple[str, ...]], str]


#: Vectors of prepared texts as questions (``Engine.encode_prepared``: through the build cache, so that the same
#: regression questions asked again at every publish are encoded once).
Encode = Callable[[Sequence[str]], npt.NDArray[np.float32]]


def regression_changes(
    queries: Sequence[LabelledQuery],
    old: Loaded,
    new: Loaded,
    encode: Encode,
    confirmed: frozenset[str] = frozenset(),
    before: Outcomes | None = None,
) -> list[RegressionChange]:
    """Regression questions whose decision or answer differs between two versions of the FAQ, each asked in its
    categories (``confirmed``: the sources whose questions are answers staff confirmed; ``before``: the outcomes on
    ``old`` known already, filled in with those asked here: the live FAQ answers the same until it changes)."""
    if not queries:
        return []
    known = before if before is not None else {}
    # Each FAQ may respell a hiragana question differently (and knows other words): one batch for both sides'
    # texts, each question read once per side (on the old side, only those whose outcome is not known).
    old_parsed = {q.asked: old.retriever.parse(q.query) for q in queries if q.asked not in known}
    new_parsed = [new.retriever.parse(q.query) for q in queries]
    old_views = {asked: old.retriever.views(parsed) for asked, parsed in old_parsed.items()}
    new_views = [new.retriever.views(parsed) for parsed in new_parsed]
    unique = list(dict.fromkeys([t for v in old_views.values() for t in v] + [t for v in new_views for t in v]))
    encoded = dict(zip(unique, encode(unique), strict=True)) if unique else {}

    def vectors(views: list[str]) -> npt.NDArray[np.float32]:
        return np.stack([encoded[t] for t in views])

    for (text, categories), parsed in old_parsed.items():
        found = old.retriever.search(text, old.retriever.within(categories),
                                     query_vectors=vectors(old_views[text, categories]), parsed=parsed)  # fmt: skip
        known[text, categories] = outcome_label(old.reply(found))
    out = []
    for q, views, parsed in zip(queries, new_views, new_parsed, strict=True):
        a = known[q.asked]
        found = new.retriever.search(q.query, new.retriever.within(q.categories), query_vectors=vectors(views),
                                     parsed=parsed)  # fmt: skip
        b = outcome_label(new.reply(found))
        if a != b:
            ra, rb = is_right_label(a, q.gold), is_right_label(b, q.gold)
            verdict = "改善" if rb and not ra else "悪化" if ra and not rb else "変化"
            out.append(RegressionChange(q.query, q.gold, a, b, verdict, q.source in confirmed, q.categories))
    return out
