"""How two versions of a FAQ differ, entry by entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faq_bot.content.faq import FaqEntry

#: The fields an editor can change, in the order they are shown.
FIELDS = ("category", "question", "answer", "alternates")


@dataclass(frozen=True)
class EntryChange:
    """How one entry differs between the live FAQ and a new one."""

    id: str
    kind: str  # added | removed | changed
    question: str
    fields: tuple[str, ...] = ()  # for changed: which of FIELDS differ
    before: FaqEntry | None = None
    after: FaqEntry | None = None


def diff(old: Sequence[FaqEntry], new: Sequence[FaqEntry]) -> list[EntryChange]:
    """Added, removed and changed entries, by id, in the new FAQ's order (removed last)."""
    before = {e.id: e for e in old}
    after = {e.id: e for e in new}
    out = []
    for e in new:
        o = before.get(e.id)
        if o is None:
            out.append(EntryChange(e.id, "added", e.question, after=e))
            continue
        changed = tuple(f for f in FIELDS if getattr(o, f) != getattr(e, f))
        if changed:
            out.append(EntryChange(e.id, "changed", e.question, changed, o, e))
    out += [EntryChange(o.id, "removed", o.question, before=o) for o in old if o.id not in after]
    return out
