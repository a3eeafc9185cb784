"""Near misses a FAQ makes of its own questions: one question's subject with another question's predicate.

The near misses visitors send most are on the FAQ's own nouns, asking something it does not say:
another document, attribute or action (「住民票の写しに有効期限はありますか」 to a FAQ that says how to get
one). A FAQ provides such questions itself: the subject of one of its questions (the words before the
first particle, 「住民票」) with the predicate of another (「の費用助成はありますか」) asks about a thing the
FAQ knows in a way it answers for another thing, and neither entry answers it. How confidently the
answer model answers them on a FAQ, against the FAQ it was fitted on, says how far its confidence can be
trusted there (``faq_bot.retrieval.adaptation``).

Pairs are chosen by a hash of the entry ids, so an edit changes only the crossings of the entries it
touches (and their texts' vectors come from the build cache).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from faq_bot.content.faq import FaqEntry
from faq_bot.retrieval.views import focus
from faq_bot.text.normalize import normalize

#: Crossings made of one FAQ (the median over them is steady long before).
SAMPLE = 120
#: A question's subject: 2 to 30 characters before its first particle; its predicate: the particle and the
#: rest (at least four characters, so that it still asks something).
_SUBJECT = re.compile(r"^(.{2,30}?)(について|とは|では|には|は|を|が|に|へ|の)(.{4,})$", re.DOTALL)
_MARKS = re.compile(r"[、，,。．.！!？?\s]")


@dataclass(frozen=True)
class Crossings:
    """The crossed questions of a FAQ, and how many of its entries they are made of."""

    questions: tuple[str, ...]
    # Entries whose questions could be split: the crossings say no more than that many questions do (a FAQ
    # of 12 entries makes 120 crossings of 12 subjects and 12 predicates).
    sources: int


def subject_and_predicate(question: str) -> tuple[str, str] | None:
    """The subject and predicate of a question's asking sentence (the particle starts the predicate), or None
    if it has no particle where a subject could end (an English question, a bare noun)."""
    asking = focus(question) or question  # 「…減りました。国民健康保険税の軽減はありますか。」: the second
    found = _SUBJECT.match(asking.strip())
    if found is None:
        return None
    return found.group(1), found.group(2) + found.group(3)


def _key(text: str) -> str:
    """What two texts that ask the same share: normalised, without punctuation and spaces."""
    return _MARKS.sub("", normalize(text))


def _hash(entry_id: str) -> bytes:
    return hashlib.blake2b(entry_id.encode(), digest_size=8).digest()


def crossed_questions(entries: Sequence[FaqEntry], sample: int = SAMPLE) -> Crossings:
    """Up to ``sample`` questions, each the subject of one entry's question with the predicate of another's.

    Entries are put in the order of a hash of their ids, and each is crossed with the one 1, 2, 3 … places
    on, until there are enough. A crossing that is one of the FAQ's own questions or alternates (normalised),
    or whose two halves share their subject or their predicate, is left out.
    """
    halves = [h for e in sorted(entries, key=lambda e: _hash(e.id)) if (h := subject_and_predicate(e.question))]
    keys = [(_key(subject), _key(predicate)) for subject, predicate in halves]
    own = {_key(t) for e in entries for t in (e.question, *e.alternates)}
    n = len(halves)
    out: list[str] = []
    seen: set[str] = set()
    for distance in range(1, n):
        for i in range(n):
            j = (i + distance) % n
            if keys[i][0] == keys[j][0] or keys[i][1] == keys[j][1]:
                continue
            text = halves[i][0] + halves[j][1]
            if _key(text) in own or text in seen:
                continue
            seen.add(text)
            out.append(text)
            if len(out) >= sample:
                return Crossings(tuple(out), n)
    return Crossings(tuple(out), n)
