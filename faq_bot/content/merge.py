"""An editor's file made from an older version of the FAQ: what publishing it would undo, and a merge.

An editor downloads the FAQ as a workbook, edits it for a day, and uploads it; meanwhile a
colleague published other changes. Published as it is, the file would silently put those
changes back. With the version the file was made from (the *origin*, which a downloaded
workbook carries), a three-way comparison tells them apart, entry by entry:

- the live FAQ changed an entry since the origin and the file did not: publishing the file
  *undoes* that change (a new entry deleted, an edit reverted, a deleted entry back);
- both changed it, differently: a *conflict* (the file's text would replace the live one, a
  deletion would delete the colleague's edit, two new entries share an id);
- only the file changed it: the editor's own change.

``merged`` applies only the editor's own changes to the live FAQ; each conflict is settled
as the editor chose (``Keep``): the live entry, the file's, or, for two new entries that
share an id, both (the file's under the next free id). Whether an entry changed is judged
with look-alike characters folded (Excel swaps 〜 for ～); what is taken is the file's text
as the editor wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from faq_bot.content.diff import FIELDS, field_text, same_entry
from faq_bot.content.faq import FaqEntry, next_id
from faq_bot.text.lookalike import lookalike_key


class Keep(StrEnum):
    """How the editor settles a conflict."""

    LIVE = "live"  # the live entry as it is (the file's change to it is dropped)
    FILE = "file"  # the file's entry (or its deletion)
    BOTH = "both"  # two new entries that share an id: the live one, and the file's under a new id


def _change(old: FaqEntry | None, new: FaqEntry | None) -> str:
    return "added" if old is None else "removed" if new is None else "changed"


@dataclass(frozen=True)
class DriftEntry:
    """An entry the live FAQ changed since the file's origin."""

    id: str
    question: str  # the live one (else the file's, else the origin's)
    live_change: str  # added | changed | removed: what was published since the origin
    file_change: str = ""  # for a conflict, what the file did to it (added | changed | removed)

    @property
    def both_added(self) -> bool:
        """Two new entries under one id: both can be kept (``Keep.BOTH``)."""
        return self.live_change == "added" and self.file_change == "added"


@dataclass(frozen=True)
class Drift:
    """How a file made from an older version (``origin``) relates to what was published since."""

    origin: str  # the FAQ version (``faq_version``) the file was made from
    known: bool  # False: that version is no longer kept, so nothing below could be worked out
    undone: tuple[DriftEntry, ...] = ()  # published since, and put back by the file
    conflicts: tuple[DriftEntry, ...] = ()  # published since, and changed otherwise by the file
    since: int = 0  # entries the live FAQ changed since the origin (the file may already have some of them)
    origin_built_at: str = ""  # when the origin was built (ISO time), for people
    order_undone: bool = False  # the entries were reordered since, and the file puts them in another order

    @property
    def harmful(self) -> bool:
        """True when publishing the file would lose something published since (or cannot be told)."""
        return not self.known or bool(self.undone or self.conflicts or self.order_undone)


def _by_id(entries: Sequence[FaqEntry]) -> dict[str, FaqEntry]:
    return {e.id: e for e in entries}


def _content(entry: FaqEntry) -> tuple[str, ...]:
    """An entry's fields as the comparison reads them, without its id: the same entry under another number."""
    return tuple(lookalike_key(field_text(entry, name)) for name in FIELDS)


def drift(
    origin: str, before: Sequence[FaqEntry], live: Sequence[FaqEntry], file: Sequence[FaqEntry], built_at: str = ""
) -> Drift:
    """The three-way comparison of a file with the live FAQ, ``before`` being the origin's entries.

    A new entry of the file already published under another number (the file was uploaded, merged with
    「両方残す」, and is uploaded again) is the file's, not a change to undo or a conflict."""
    o, lv, f = _by_id(before), _by_id(live), _by_id(file)
    in_file = {_content(e) for e in file}
    in_live = {_content(e) for e in live}
    undone: list[DriftEntry] = []
    conflicts: list[DriftEntry] = []
    since = 0
    for i in [*lv, *(i for i in o if i not in lv)]:
        old, now, mine = o.get(i), lv.get(i), f.get(i)
        if same_entry(old, now):
            continue
        since += 1
        if old is None and now is not None and _content(now) in in_file:
            continue  # added since, and the file has it (under another number)
        if old is None and mine is not None and _content(mine) in in_live:
            continue  # the file's new entry is published already (under another number)
        shown = now or mine or old  # (one of them is an entry: old and now differ)
        question = shown.question if shown else ""
        if same_entry(mine, old):
            undone.append(DriftEntry(i, question, _change(old, now)))
        elif not same_entry(mine, now):
            conflicts.append(DriftEntry(i, question, _change(old, now), _change(old, mine)))
    return Drift(origin, True, tuple(undone), tuple(conflicts), since, built_at, _order_undone(before, live, file))


def _shared_order(
    before: Sequence[FaqEntry], live: Sequence[FaqEntry], file: Sequence[FaqEntry]
) -> tuple[list[str], list[str], list[str]]:
    """The order of the entries all three versions have, in each of them."""
    common = {e.id for e in before} & {e.id for e in live} & {e.id for e in file}

    def order(entries: Sequence[FaqEntry]) -> list[str]:
        return [e.id for e in entries if e.id in common]

    return order(before), order(live), order(file)


def _order_undone(before: Sequence[FaqEntry], live: Sequence[FaqEntry], file: Sequence[FaqEntry]) -> bool:
    """True when the entries were reordered since the origin and the file has them in another order."""
    origin_order, live_order, file_order = _shared_order(before, live, file)
    return live_order != origin_order and file_order != live_order


def unknown_drift(origin: str) -> Drift:
    """A file made from a version that is no longer kept: what it undoes cannot be told."""
    return Drift(origin, False)


def merged(
    before: Sequence[FaqEntry],
    live: Sequence[FaqEntry],
    file: Sequence[FaqEntry],
    keep: Mapping[str, Keep] | None = None,
) -> list[FaqEntry]:
    """The live entries with the file's own changes (against ``before``, its origin) applied, each conflict as
    ``keep`` says (``Keep.LIVE`` for one it does not name). The live order, or the file's when only the file
    reordered the entries all three have (``_in_file_order``); an entry the file adds follows the one it follows in
    the file (at the end, the file's entry of two new ones that share an id)."""
    keep = keep or {}
    o, lv, f = _by_id(before), _by_id(live), _by_id(file)

    def chosen(i: str) -> FaqEntry | None:
        """What stands for id ``i`` in the result (None: no entry)."""
        old, now, mine = o.get(i), lv.get(i), f.get(i)
        if same_entry(old, now):
            return mine  # the live FAQ left it alone: the file's, exactly as written (or its deletion)
        if same_entry(mine, old) or same_entry(mine, now):
            return now  # the file left it alone (or made the same change): what was published since
        return mine if keep.get(i, Keep.LIVE) == Keep.FILE else now

    out = [e for e in (chosen(x.id) for x in live) if e is not None]
    present = {e.id for e in out}
    contents = {_content(e) for e in out}
    for pos, e in enumerate(file):
        if e.id in present or chosen(e.id) is None or (e.id not in o and _content(e) in contents):
            continue  # (a new entry of the file published already under another number is not added twice)
        after = next((file[j].id for j in range(pos - 1, -1, -1) if file[j].id in present), None)
        at = 0 if after is None else next(k for k, x in enumerate(out) if x.id == after) + 1
        out.insert(at, e)
        present.add(e.id)
    contents = {_content(e) for e in out}  # (with the entries just put in)
    for i, how in keep.items():  # two new entries, one id: the file's under the next free number
        if how == Keep.BOTH and i in f and i in lv and i not in o and _content(f[i]) not in contents:
            new = next_id(present) or f"{i}-2"
            while new in present:  # (ids that are not numbers: 「A」, 「A-2」, 「A-2-2」 …)
                new += "-2"
            out.append(replace(f[i], id=new))
            present.add(new)
    return _in_file_order(out, before, live, file)


def _in_file_order(
    out: list[FaqEntry], before: Sequence[FaqEntry], live: Sequence[FaqEntry], file: Sequence[FaqEntry]
) -> list[FaqEntry]:
    """``out`` in the file's order when the file reordered the entries all three versions have and the live FAQ
    kept their order (a reorder is the file's own change, as an edit is); else as it is (the live order: a reorder
    published since is kept). An entry the file does not have (added since) stays behind the one it follows."""
    origin_order, live_order, file_order = _shared_order(before, live, file)
    if file_order == origin_order or live_order != origin_order:
        return out
    common = set(origin_order)
    # Where the file puts each entry: by id for the entries all three have, else by content (an entry both sides
    # added under one id is two entries; the file's, renumbered, stands where the file put it).
    by_content = {_content(e): k for k, e in enumerate(file)}
    by_id = {e.id: k for k, e in enumerate(file) if e.id in common}

    def place(e: FaqEntry) -> int | None:
        return by_id[e.id] if e.id in by_id else by_content.get(_content(e))

    head: list[FaqEntry] = []
    behind: dict[int, list[FaqEntry]] = {}
    placed: list[tuple[int, int, FaqEntry]] = []
    for n, e in enumerate(out):
        at = place(e)
        if at is not None:
            placed.append((at, n, e))
            behind[n] = []
        elif not placed:
            head.append(e)
        else:
            behind[placed[-1][1]].append(e)
    placed.sort(key=lambda p: (p[0], p[1]))
    return head + [x for _, n, e in placed for x in (e, *behind[n])]


def renumbered(file: Sequence[FaqEntry], result: Sequence[FaqEntry]) -> dict[str, str]:
    """The file's entries that stand in ``result`` under another number (「両方残す」): file id -> its id there."""
    at = {_content(e): e.id for e in result}
    return {e.id: at[_content(e)] for e in file if at.get(_content(e), e.id) != e.id}
