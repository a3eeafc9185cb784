"""The 表記ゆれ/synonym table: groups of spellings rewritten to one canonical spelling."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from faq_bot.errors import ConfigError
from faq_bot.text.normalize import normalize


@dataclass(frozen=True)
class SynonymTable:
    """Groups of spellings that mean the same; each variant is rewritten to the group's first."""

    pairs: tuple[tuple[str, str], ...] = ()  # (variant, canonical), longest variant first

    @classmethod
    def from_groups(cls, groups: Iterable[Iterable[str]]) -> SynonymTable:
        """Build from groups of spellings, the canonical one first in each group."""
        pairs: dict[str, str] = {}
        for group in groups:
            words = [normalize(w) for w in group if normalize(w)]
            for word in words:
                # The canonical maps to itself so that, longest match first, a canonical
                # spelling that contains a variant ("クレジットカード" ⊃ "クレジット") stays.
                pairs.setdefault(word, words[0])
        return cls(tuple(sorted(pairs.items(), key=lambda p: (-len(p[0]), p[0]))))

    @classmethod
    def load(cls, path: Path) -> SynonymTable:
        """Read a TSV with one group per line (tab-separated spellings, canonical first, # comments)."""
        if not path.is_file():
            return cls()
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"synonym table {path} is unreadable: {exc}") from exc
        rows = csv.reader(text.splitlines(), delimiter="\t")
        return cls.from_groups(r for r in rows if r and not r[0].lstrip().startswith("#"))

    def apply(self, normalized: str) -> str:
        """Rewrite every variant in already-normalised text to its canonical spelling."""
        if not self.pairs:
            return normalized
        return self._pattern.sub(lambda m: self._lookup[m.group(0)], normalized)

    @cached_property
    def _lookup(self) -> dict[str, str]:
        return dict(self.pairs)

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        # One alternation, longest first, so a long variant wins over a prefix of it. The lookahead on the
        # variants' first characters lets the engine skip every other position at once: the alternation
        # alone (its branches start with lookbehinds) was tried branch by branch at each character, ~10×
        # slower on a long answer, and every load prepares all of a FAQ's texts.
        if not self.pairs:
            return re.compile("(?!)")  # matches nothing
        firsts = "".join(sorted({re.escape(a[0]) for a, _ in self.pairs}))
        return re.compile(f"(?=[{firsts}])(?:" + "|".join(_bounded(a) for a, _ in self.pairs) + ")")

    @property
    def fingerprint(self) -> str:
        """A stable text identifying the table's content (goes into the index manifest)."""
        return "|".join(f"{a}>{b}" for a, b in self.pairs)


def _bounded(word: str) -> str:
    """A regex for ``word``; ASCII ends must sit on a word boundary ("dl" is not in "handle")."""
    head = r"(?<![a-z0-9])" if word[0].isascii() and word[0].isalnum() else ""
    tail = r"(?![a-z0-9])" if word[-1].isascii() and word[-1].isalnum() else ""
    return head + re.escape(word) + tail
