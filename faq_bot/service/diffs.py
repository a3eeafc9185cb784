"""How a publish changes entries, as the API shows it: both sides of each field, the changed characters marked."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from pydantic import BaseModel, Field

from faq_bot.content.diff import EntryChange
from faq_bot.content.faq import FaqEntry


class SegmentOut(BaseModel):
    """A run of text; ``changed`` runs are the characters that differ."""

    text: str
    changed: bool


class FieldDiffOut(BaseModel):
    """One field before and after, side by side, the changed characters marked."""

    field: Literal["category", "question", "answer", "alternates"]
    label: str
    before: str
    after: str
    before_segments: list[SegmentOut]
    after_segments: list[SegmentOut]


class EntryFieldsOut(BaseModel):
    """An entry's editable fields."""

    category: str
    question: str
    answer: str
    alternates: list[str]

    @classmethod
    def of(cls, entry: FaqEntry | None) -> EntryFieldsOut | None:
        """The fields of an entry (None for none)."""
        if entry is None:
            return None
        return cls(
            category=entry.category, question=entry.question, answer=entry.answer, alternates=list(entry.alternates)
        )


class EntryChangeOut(BaseModel):
    """An entry added, removed or changed by a publish."""

    id: str
    kind: Literal["added", "removed", "changed"]
    question: str
    fields: list[str]
    before: EntryFieldsOut | None = Field(default=None, description="公開中の内容（追加のときは null）")
    after: EntryFieldsOut | None = Field(default=None, description="公開後の内容（削除のときは null）")
    diff: list[FieldDiffOut] = Field(default_factory=list, description="項目ごとの新旧（変わった文字に印）")

    @classmethod
    def of(cls, change: EntryChange) -> EntryChangeOut:
        """The API's view of one entry's change."""
        return cls(
            id=change.id, kind=change.kind, question=change.question, fields=list(change.fields),
            before=EntryFieldsOut.of(change.before), after=EntryFieldsOut.of(change.after),
            diff=[FieldDiffOut.model_validate(asdict(d)) for d in change.field_diffs()],
        )  # fmt: skip
