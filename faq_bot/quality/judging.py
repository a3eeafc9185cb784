"""Whether a reply was the right one for a labelled question (one rule for eval, batch tests and dry runs)."""

from __future__ import annotations

from collections.abc import Sequence

from faq_bot.retrieval.decision import Decision, Reply, decision_label


def outcome_label(reply: Reply) -> str:
    """A reply in a few characters: ``answer:12``, ``suggest:3,5,9`` or ``escalate``."""
    if reply.decision == Decision.ANSWER and reply.hit:
        return f"answer:{reply.hit.entry.id}"
    if reply.decision == Decision.SUGGEST:
        return "suggest:" + ",".join(h.entry.id for h in reply.suggestions)
    if reply.decision == Decision.SMALLTALK:
        return "smalltalk"
    return "escalate"


def outcome_text(label: str) -> str:
    """An ``outcome_label`` in the words of the staff pages: 「回答 12」, 「もしかして 3,5,9」, 「担当者へ案内」."""
    decision, _, ids = label.partition(":")
    words = decision_label(decision)
    return f"{words} {ids}" if ids else words


def is_right_label(label: str, gold: Sequence[str]) -> bool:
    """The right outcome: answered with a gold entry in scope, escalated out of scope."""
    if not gold:
        return label in ("escalate", "smalltalk")
    return label.startswith("answer:") and label.split(":", 1)[1] in gold


def is_right(reply: Reply, gold: Sequence[str]) -> bool:
    """``is_right_label`` of a reply."""
    return is_right_label(outcome_label(reply), gold)
