"""Character-level normalisation shared by every text path (FAQ, questions, logs)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_HIRAGANA_TO_KATAKANA = {cp: cp + 0x60 for cp in range(ord("ぁ"), ord("ゖ") + 1)}
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


def is_kana(word: str) -> bool:
    """True when every character is hiragana or katakana."""
    return all("\u3040" <= ch <= "\u30ff" for ch in word)


def reading_bigrams(reading: str) -> list[str]:
    """Overlapping character pairs of a katakana reading, for spelling-blind matching."""
    if len(reading) < 2:
        return [reading] if reading else []
    return [reading[i : i + 2] for i in range(len(reading) - 1)]
