"""The decision for one question: answer with one entry, suggest candidates, or escalate."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from faq_bot.content.faq import FaqEntry
from faq_bot.retrieval.asked import unanswered_kinds
from faq_bot.retrieval.params import DecisionParams
from faq_bot.retrieval.retriever import Hit, Search


class Decision(StrEnum):
    """What the bot does with a question."""

    ANSWER = "answer"  # one entry is confidently right
    SUGGEST = "suggest"  # "もしかして": a few candidate questions
    ESCALATE = "escalate"  # the FAQ does not cover it: contact a person


@dataclass(frozen=True)
class Escalation:
    """Where a visitor goes when the FAQ has no answer."""

    text: str
    contact_url: str


@dataclass(frozen=True)
class Reply:
    """The bot's reply to one question, with the search it was based on."""

    decision: Decision
    search: Search
    answer: str
    hit: Hit | None  # the answering entry's hit, for ANSWER
    suggestions: tuple[Hit, ...]
    escalation: Escalation | None
    # Labels of what the question asks for (a time, a price) that the best entry does not
    # say: why a high-scoring entry was not used (see ``faq_bot.asked``).
    unanswered: tuple[str, ...] = ()
    # With an escalation: entries that may still help ("関連する質問"), never an answer.
    related: tuple[Hit, ...] = ()

    @property
    def confidence(self) -> float:
        """The best hit's score on the 0..1 scale (0 with no hit)."""
        return self.search.hits[0].score if self.search.hits else 0.0


def decide(search: Search, params: DecisionParams) -> Reply:
    """Apply the two thresholds (and the answer margin) to a search.

    A question that asks for a time or a price is escalated when its best entry says nothing of
    the kind, however close in meaning: the FAQ does not answer it. An escalation lists the
    entries above ``related_threshold`` as related questions the visitor may open.
    """
    hits = search.hits
    if not hits or hits[0].score < params.suggest_threshold:
        return _escalate(search, params)
    top = hits[0]
    if params.check_asked_kind:
        missing = unanswered_kinds(search.analysis.normalized, top.entry)
        if missing:
            return _escalate(search, params, tuple(k.label for k in missing))
    margin = top.score - hits[1].score if len(hits) > 1 else 1.0
    if top.score >= params.answer_threshold and margin >= params.answer_margin:
        return Reply(Decision.ANSWER, search, top.entry.answer, top, (), None)
    suggestions = tuple(h for h in hits[: params.suggestion_count] if h.score >= params.suggest_threshold)
    return Reply(Decision.SUGGEST, search, "", None, suggestions, None)


def _escalate(search: Search, params: DecisionParams, unanswered: tuple[str, ...] = ()) -> Reply:
    related: tuple[Hit, ...] = ()
    if params.show_related:
        related = tuple(h for h in search.hits[: params.suggestion_count] if h.score >= params.related_threshold)
    escalation = Escalation(params.escalation_text, params.contact_url)
    return Reply(Decision.ESCALATE, search, params.escalation_text, None, (), escalation, unanswered, related)


def entry_ref(entry: FaqEntry) -> dict[str, str]:
    """An entry as a reference: id, category and question (no answer)."""
    return {"id": entry.id, "category": entry.category, "question": entry.question}


def reply_data(reply: Reply) -> dict[str, Any]:
    """A reply as plain data: what the API returns and ``faq-bot ask --json`` prints."""
    escalation = reply.escalation
    return {
        "decision": reply.decision.value,
        "answer": reply.answer,
        "entry": entry_ref(reply.hit.entry) if reply.hit else None,
        "confidence": round(min(max(reply.confidence, 0.0), 1.0), 4),
        "suggestions": [entry_ref(h.entry) for h in reply.suggestions],
        "escalation": {"text": escalation.text, "contact_url": escalation.contact_url} if escalation else None,
        "related": [entry_ref(h.entry) for h in reply.related],
    }
