"""Text normalisation, the 表記ゆれ/synonym table and janome tokens for the lexical side."""

from __future__ import annotations

import csv
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from janome.tokenizer import Tokenizer

from faq_bot.errors import ConfigError

_SPACES = re.compile(r"\s+")
_HIRAGANA_TO_KATAKANA = {cp: cp + 0x60 for cp in range(ord("ぁ"), ord("ゖ") + 1)}
# Parts of speech that carry content (janome's IPADIC tags, first two levels).
_CONTENT_POS = ("名詞", "動詞,自立", "形容詞,自立", "副詞", "接頭詞,名詞接続")
_SKIPPED_POS = ("名詞,非自立", "名詞,代名詞", "名詞,数", "名詞,接尾,助数詞")
# Light verbs and fillers that every FAQ question contains; they say nothing about the topic.
STOP_WORDS = frozenset(
    "する ある いる なる できる 出来る れる られる せる させる くださる 下さる いただく 頂く おる "
    "もらう いう 言う 思う 教える 知る 分かる わかる 何 どこ いつ どう どの どれ ない よい いい "
    "こと もの ため よう ん お ご "
    # English function words (janome tags every English word as a noun)
    "a an the to of for in on at by with and or is are be do does can could how what where when "
    "which who why i you my me we our it this that please want need there here any some get got have has "
    "am was were been your its their they them us from about into if so not no yes as would should will "
    "may might must let much many more very also just only tell know find see use make go like".split()
)
_MEANINGFUL = re.compile(r"[0-9A-Za-z\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def normalize(text: str) -> str:
    """NFKC (full/half width), lower case, one space for any run of white space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def is_meaningful(text: str) -> bool:
    """False for input with no letter, digit, kana or kanji at all (``"？？"``, ``"..."``)."""
    return bool(_MEANINGFUL.search(normalize(text)))


def to_katakana(text: str) -> str:
    """Hiragana to katakana; everything else unchanged."""
    return text.translate(_HIRAGANA_TO_KATAKANA)


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
        lookup = dict(self.pairs)
        return self._pattern.sub(lambda m: lookup[m.group(0)], normalized)

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        # One alternation, longest first, so a long variant wins over a prefix of it.
        return re.compile("|".join(_bounded(a) for a, _ in self.pairs))

    @property
    def fingerprint(self) -> str:
        """A stable text identifying the table's content (goes into the index manifest)."""
        return "|".join(f"{a}>{b}" for a, b in self.pairs)


def _bounded(word: str) -> str:
    """A regex for ``word``; ASCII ends must sit on a word boundary ("dl" is not in "handle")."""
    head = r"(?<![a-z0-9])" if word[0].isascii() and word[0].isalnum() else ""
    tail = r"(?![a-z0-9])" if word[-1].isascii() and word[-1].isalnum() else ""
    return head + re.escape(word) + tail


@dataclass(frozen=True)
class Analysis:
    """What the lexical side sees of one text."""

    normalized: str
    words: tuple[str, ...]  # content base forms
    reading: str  # katakana reading of the whole text (for hiragana-only queries)


class TextAnalyzer:
    """Normalise, apply synonyms and tokenise with janome; safe to share between threads."""

    def __init__(self, synonyms: SynonymTable | None = None) -> None:
        self.synonyms = synonyms or SynonymTable()
        # One janome Tokenizer (~20 MB each) shared under a lock: janome is pure Python, so
        # the GIL serialises it anyway, and one per worker thread cost hundreds of MB.
        self._tokenizer = Tokenizer()
        self._lock = threading.Lock()

    def _tokens(self, text: str) -> list[Any]:
        with self._lock:
            return list(self._tokenizer.tokenize(text))

    def prepare(self, text: str) -> str:
        """Normalised text with synonyms applied: what both index and query sides embed."""
        return self.synonyms.apply(normalize(text))

    def noun_reading(self, word: str) -> str | None:
        """Katakana reading of a word that janome reads as nouns only (None otherwise)."""
        parts = []
        for token in self._tokens(word):
            pos = token.part_of_speech
            if not pos.startswith(("名詞", "接頭詞")) or pos.startswith(_SKIPPED_POS) or token.reading == "*":
                return None
            parts.append(token.reading)
        return to_katakana("".join(parts)) or None

    def analyze(self, text: str) -> Analysis:
        """Normalised text, content words (base forms) and katakana reading."""
        prepared = self.prepare(text)
        words: list[str] = []
        reading: list[str] = []
        for token in self._tokens(prepared):
            if isinstance(token, str):  # only with wakati=True, which is not used
                continue
            surface = token.surface
            pos = token.part_of_speech
            reading.append(token.reading if token.reading != "*" else surface)
            if pos.startswith("記号") or not surface.strip():
                continue
            if not pos.startswith(_CONTENT_POS) or pos.startswith(_SKIPPED_POS):
                continue
            base = token.base_form if token.base_form != "*" else surface
            base = self.synonyms.apply(base.lower())
            if base in STOP_WORDS or not is_meaningful(base):
                continue
            words.append(to_katakana(base) if _is_kana(base) else base)
        joined = to_katakana("".join(reading))
        return Analysis(prepared, tuple(words), re.sub(r"[^\u30a0-\u30ff\u3400-\u9fff0-9a-z]", "", joined))


def _is_kana(word: str) -> bool:
    return all("\u3040" <= ch <= "\u30ff" for ch in word)


def reading_bigrams(reading: str) -> list[str]:
    """Overlapping character pairs of a katakana reading, for spelling-blind matching."""
    if len(reading) < 2:
        return [reading] if reading else []
    return [reading[i : i + 2] for i in range(len(reading) - 1)]
