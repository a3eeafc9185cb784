"""How two versions of a FAQ differ, entry by entry, and character by character within a field.

Fields are compared after folding look-alike characters (``faq_bot.text.lookalike``): an
entry that came back from Excel with ～ for 〜 is not a change an editor needs to review.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from faq_bot.content.faq import FaqEntry, categories_in_order
from faq_bot.text.lookalike import same_looking

#: The fields an editor can change, in the order they are shown.
FIELDS = ("category", "question", "answer", "alternates")
FIELD_LABELS = {"category": "分類", "question": "質問", "answer": "回答", "alternates": "言い換え"}


@dataclass(frozen=True)
class Segment:
    """A run of text in one side of a field diff; ``changed`` runs are marked."""

    text: str
    changed: bool


@dataclass(frozen=True)
class FieldDiff:
    """One field before and after, each side cut into marked and unmarked runs."""

    field: str
    label: str
    before: str
    after: str
    before_segments: tuple[Segment, ...]
    after_segments: tuple[Segment, ...]

    @property
    def before_lines(self) -> tuple[tuple[Segment, ...], ...]:
        """``before_segments`` cut at line breaks: one line each (the alternates, shown one to a line)."""
        return by_line(self.before_segments)

    @property
    def after_lines(self) -> tuple[tuple[Segment, ...], ...]:
        """``after_segments`` cut at line breaks."""
        return by_line(self.after_segments)


def by_line(segments: Sequence[Segment]) -> tuple[tuple[Segment, ...], ...]:
    """Marked runs cut at line breaks into lines (a line of nothing is no line): on a narrow screen, where a long
    alternate wraps, each one still starts a line of its own. A changed run of nothing but breaks and spaces (two
    alternates joined into one, or one split in two) keeps its break at the end of its line as a marked run,
    ``\n``, to be shown as a mark; in a changed run with text the new or gone line shows the change."""
    lines: list[list[Segment]] = [[]]
    for segment in segments:
        blank = segment.changed and not segment.text.strip()
        for i, piece in enumerate(segment.text.split("\n")):
            if i:
                if blank:
                    lines[-1].append(Segment("\n", True))
                lines.append([])
            if piece:
                lines[-1].append(Segment(piece, segment.changed))
    return tuple(tuple(line) for line in lines if line)


@dataclass(frozen=True)
class EntryChange:
    """How one entry differs between the live FAQ and a new one."""

    id: str
    kind: str  # added | removed | changed
    question: str
    fields: tuple[str, ...] = ()  # for changed: which of FIELDS differ
    before: FaqEntry | None = None
    after: FaqEntry | None = None

    def field_diffs(self) -> list[FieldDiff]:
        """Each changed field side by side (every non-empty field for an added or removed entry)."""
        names = self.fields if self.kind == "changed" else FIELDS
        out = []
        for name in names:
            old = field_text(self.before, name)
            new = field_text(self.after, name)
            if old or new:
                before, after = marked(old, new)
                out.append(FieldDiff(name, FIELD_LABELS[name], old, new, before, after))
        return out


def field_text(entry: FaqEntry | None, name: str) -> str:
    """A field as an editor reads it (alternates one per line)."""
    if entry is None:
        return ""
    return "\n".join(entry.alternates) if name == "alternates" else str(getattr(entry, name))


#: Below this share of characters in common, a field reads as rewritten: shown whole on both sides, not
#: as scattered struck-through kana that the two texts happen to share.
REWRITTEN = 0.4
#: Characters in common between two changes up to this many are marked with them (「を」 between two
#: rewritten phrases is not an unchanged part worth reading around).
SHORT_COMMON = 2


#: What the diff compares: a word of Latin letters or digits whole (Mastercard is not Master + card; AMEX →
#: American is one changed word, not an unchanged A), any other character alone (Japanese has no spaces).
_UNIT = re.compile(r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９]+|.", re.DOTALL)


def marked(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Both texts cut into runs, what differs marked (difflib over ``_UNIT``s: Latin words whole, other
    characters one by one; a rewritten field marked whole)."""
    if old and new and difflib.SequenceMatcher(None, old, new, autojunk=False).ratio() < REWRITTEN:
        return (Segment(old, True),), (Segment(new, True),)
    a, b = _UNIT.findall(old), _UNIT.findall(new)
    before: list[Segment] = []
    after: list[Segment] = []
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for i, (op, a1, a2, b1, b2) in enumerate(ops):
        kept = "".join(a[a1:a2])
        between_changes = 0 < i < len(ops) - 1 and len(kept) <= SHORT_COMMON
        changed = op != "equal" or between_changes
        _append(before, kept, changed)
        _append(after, "".join(b[b1:b2]), changed)
    return tuple(before), tuple(after)


def _append(runs: list[Segment], text: str, changed: bool) -> None:
    if not text:
        return
    if runs and runs[-1].changed == changed:
        runs[-1] = Segment(runs[-1].text + text, changed)
    else:
        runs.append(Segment(text, changed))


def _differs(old: FaqEntry, new: FaqEntry, name: str) -> bool:
    return not same_looking(field_text(old, name), field_text(new, name))


def same_entry(a: FaqEntry | None, b: FaqEntry | None) -> bool:
    """True when both are missing, or neither differs in a field an editor changes (look-alikes folded)."""
    if a is None or b is None:
        return a is b
    return not any(_differs(a, b, f) for f in FIELDS)


def change_counts(changes: Iterable[EntryChange], order: OrderChange | None = None) -> dict[str, int]:
    """Added / removed / changed entry counts, and how many entries moved (``order_change``)."""
    out = {"added": 0, "removed": 0, "changed": 0, "moved": len(order.moved) if order else 0}
    for c in changes:
        out[c.kind] += 1
    return out


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
        changed = tuple(f for f in FIELDS if _differs(o, e, f))
        if changed:
            out.append(EntryChange(e.id, "changed", e.question, changed, o, e))
    out += [EntryChange(o.id, "removed", o.question, before=o) for o in old if o.id not in after]
    return out


@dataclass(frozen=True)
class OrderChange:
    """How the order of the entries kept from one version to the next changed. The order is what visitors see of
    it: the category buttons come in the order the categories first appear in the FAQ."""

    moved: tuple[str, ...]  # ids of the entries that moved against the others, in the new order
    categories_before: tuple[str, ...]  # the category buttons' order, live
    categories_after: tuple[str, ...]  # … and after the change

    @property
    def categories_moved(self) -> bool:
        """True when categories both versions have come in another order."""
        both = set(self.categories_before) & set(self.categories_after)
        return [c for c in self.categories_before if c in both] != [c for c in self.categories_after if c in both]


def order_change(old: Sequence[FaqEntry], new: Sequence[FaqEntry]) -> OrderChange | None:
    """How the entries both versions have were reordered (None: they keep their order). The entries that moved
    are the fewest whose moving explains the new order: those outside a longest run of entries kept in their order
    (not necessarily next to each other), so moving one entry to the top names that one."""
    kept = {e.id for e in old} & {e.id for e in new}
    before = [e.id for e in old if e.id in kept]
    after = [e.id for e in new if e.id in kept]
    if before == after:
        return None
    position = {entry_id: i for i, entry_id in enumerate(before)}
    in_place = set(_longest_increasing([position[i] for i in after]))
    moved = tuple(i for at, i in enumerate(after) if at not in in_place)
    return OrderChange(moved, tuple(categories_in_order(old)), tuple(categories_in_order(new)))


def _longest_increasing(values: Sequence[int]) -> list[int]:
    """The indexes of a longest strictly increasing subsequence of ``values`` (patience sorting, O(n log n))."""
    tails: list[int] = []  # tails[k]: the smallest last value of an increasing run of length k + 1 so far …
    ends: list[int] = []  # … and the index it stands at
    previous = [-1] * len(values)
    for i, value in enumerate(values):
        k = bisect_left(tails, value)
        if k:
            previous[i] = ends[k - 1]
        if k == len(tails):
            tails.append(value)
            ends.append(i)
        else:
            tails[k], ends[k] = value, i
    out, i = [], ends[-1] if ends else -1
    while i >= 0:
        out.append(i)
        i = previous[i]
    return out[::-1]


def lookalike_only(old: Sequence[FaqEntry], new: Sequence[FaqEntry]) -> list[str]:
    """Ids of entries whose text differs only in look-alike characters (not shown as changes)."""
    before = {e.id: e for e in old}
    return [
        e.id
        for e in new
        if (o := before.get(e.id)) is not None
        and any(field_text(o, f) != field_text(e, f) for f in FIELDS)
        and not any(_differs(o, e, f) for f in FIELDS)
    ]
