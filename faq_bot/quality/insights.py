"""How each entry of the live FAQ is used: answers, suggestion clicks and ratings (grouping: ``grouping``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from faq_bot.content.faq import FaqEntry
from faq_bot.storage.chatlog import EntryStats


@dataclass(frozen=True)
class EntryUsage:
    """How one entry of the live FAQ was used: answers, suggestion clicks, ratings."""

    id: str
    question: str
    answered: int
    clicked: int
    up: int
    down: int
    comments: tuple[tuple[str, str], ...]  # (question, comment)

    @property
    def unused(self) -> bool:
        """Never answered with and never opened from candidates."""
        return self.answered == 0 and self.clicked == 0


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
