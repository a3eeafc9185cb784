"""An editor's file made from an older version of the FAQ: what publishing it would undo, and a merge.

An editor downloads the FAQ as a workbook, edits it for a day, and uploads it; meanwhile a
colleague published other changes. Published as it is, the file would silently put those
changes back. With the version the file was made from (the *origin*, which a downloaded
workbook carries), a three-way comparison tells them apart, entry by entry:

- the live FAQ changed an entry since the origin and the file did not: publishing the file
  *undoes* that change (a new entry deleted, an edit reverted, a deleted entry back);
- both changed it, differently: a *conflict* (the file's text would replace the live one);
- only the file changed it: the editor's own change.

``merged`` applies only the editor's own changes to the live FAQ (in a conflict, the file's
text): what the editor meant to publish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faq_bot.content.diff import same_entry
from faq_bot.content.faq import FaqEntry

#: What happened to an entry in the live FAQ since the origin.
LIVE_CHANGE_LABELS = {"added": "追加", "changed": "変更", "removed": "削除"}


@dataclass(frozen=True)
class DriftEntry:
    """An entry the live FAQ changed since the file's origin."""

    id: str
    question: str  # the live one (the origin's for an entry deleted since)
    live_change: str  # added | changed | removed: what was published since the origin

    @property
    def label(self) -> str:
        """The live change in the editor's words (追加 / 変更 / 削除)."""
        return LIVE_CHANGE_LABELS[self.live_change]


@dataclass(frozen=True)
class Drift:
    """How a file made from an older version (``origin``) relates to what was published since."""

    origin: str  # the FAQ version (``faq_version``) the file was made from
    known: bool  # False: that version is no longer kept, so nothing below could be worked out
    undone: tuple[DriftEntry, ...] = ()  # published since, and put back by the file
    conflicts: tuple[DriftEntry, ...] = ()  # published since, and changed otherwise by the file
    since: int = 0  # entries the live FAQ changed since the origin (the file may already have some of them)

    @property
    def harmful(self) -> bool:
        """True when publishing the file would lose something published since (or cannot be told)."""
        return not self.known or bool(self.undone or self.conflicts)


def _by_id(entries: Sequence[FaqEntry]) -> dict[str, FaqEntry]:
    return {e.id: e for e in entries}


def _live_change(old: FaqEntry | None, new: FaqEntry | None) -> str:
    return "added" if old is None else "removed" if new is None else "changed"


def drift(origin: str, before: Sequence[FaqEntry], live: Sequence[FaqEntry], file: Sequence[FaqEntry]) -> Drift:
    """The three-way comparison of a file with the live FAQ, ``before`` being the origin's entries."""
    o, lv, f = _by_id(before), _by_id(live), _by_id(file)
    ids = [*lv, *(i for i in o if i not in lv)]
    undone: list[DriftEntry] = []
    conflicts: list[DriftEntry] = []
    since = 0
    for i in ids:
        old, now, mine = o.get(i), lv.get(i), f.get(i)
        if same_entry(old, now):
            continue
        since += 1
        shown = now or old  # (one of them is an entry: they differ)
        entry = DriftEntry(i, shown.question if shown else "", _live_change(old, now))
        if same_entry(mine, old):
            undone.append(entry)
        elif not same_entry(mine, now):
            conflicts.append(entry)
    return Drift(origin, True, tuple(undone), tuple(conflicts), since)


def unknown_drift(origin: str) -> Drift:
    """A file made from a version that is no longer kept: what it undoes cannot be told."""
    return Drift(origin, False)


def merged(before: Sequence[FaqEntry], live: Sequence[FaqEntry], file: Sequence[FaqEntry]) -> list[FaqEntry]:
    """The live entries with the file's own changes (against ``before``, its origin) applied: the file's text
    where both changed an entry. The live order; an entry the file adds follows the one it follows in the file."""
    o, f = _by_id(before), _by_id(file)
    mine = {i for i in {*o, *f} if not same_entry(o.get(i), f.get(i))}  # what the editor changed
    out = [f[e.id] if e.id in mine else e for e in live if not (e.id in mine and e.id not in f)]
    present = {e.id for e in out}
    for pos, e in enumerate(file):
        if e.id in present or e.id not in mine:
            continue  # (an entry deleted since that the file left as it was stays deleted)
        after = next((file[j].id for j in range(pos - 1, -1, -1) if file[j].id in present), None)
        at = 0 if after is None else next(k for k, x in enumerate(out) if x.id == after) + 1
        out.insert(at, e)
        present.add(e.id)
    return out
