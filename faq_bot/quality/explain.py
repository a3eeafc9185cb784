"""Why the bot answers what it answers: the test console's view of one question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faq_bot.retrieval.decision import Reply
from faq_bot.retrieval.engine import Loaded
from faq_bot.retrieval.index import lexical_words


@dataclass(frozen=True)
class ExplainedHit:
    """One of the top entries with every score and the query tokens it shares."""

    rank: int
    id: str
    category: str
    question: str
    score: float
    dense: float
    lexical: float
    matched: str  # question | alternate | answer
    matched_text: str
    shared_tokens: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    """A question, what the text side made of it, the hits and the decision with its thresholds."""

    query: str
    normalized: str
    tokens: tuple[str, ...]
    reading: str
    decision: str
    confidence: float
    answer_threshold: float
    suggest_threshold: float
    unanswered: tuple[str, ...]  # what the question asks for that the best entry does not say
    hits: tuple[ExplainedHit, ...]
    faq_version: str
    reply: Reply


def explain(loaded: Loaded, query: str, categories: Sequence[str] | None = None, k: int = 5) -> Explanation:
    """Ask and show the workings."""
    reply = loaded.ask(query, categories, k)
    retriever = loaded.retriever
    analysis = reply.search.analysis
    query_tokens = set(analysis.words)
    hits = []
    for rank, h in enumerate(reply.search.hits, 1):
        entry_tokens = set(lexical_words(h.entry, retriever.analyzer))
        shared = tuple(t for t in dict.fromkeys(analysis.words) if t in entry_tokens and t in query_tokens)
        hits.append(
            ExplainedHit(
                rank,
                h.entry.id,
                h.entry.category,
                h.entry.question,
                round(h.score, 4),
                round(h.dense, 4),
                round(h.lexical, 4),
                h.matched,
                h.matched_text,
                shared,
            )
        )
    decision = loaded.params.decision
    return Explanation(
        query=query,
        normalized=analysis.normalized,
        tokens=analysis.words,
        reading=analysis.reading,
        decision=reply.decision.value,
        confidence=round(reply.confidence, 4),
        answer_threshold=decision.answer_threshold,
        suggest_threshold=decision.suggest_threshold,
        unanswered=reply.unanswered,
        hits=tuple(hits),
        faq_version=loaded.faq_version,
        reply=reply,
    )
