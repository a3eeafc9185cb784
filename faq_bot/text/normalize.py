"""Character-level normalisation shared by every text path (FAQ, questions, logs)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")
_HIRAGANA_TO_KATAKANA = {cp: cp + 0x60 for cp in range(ord("ぁ"), ord("ゖ") + 1)}
# The long-vowel mark typed as a hyphen or dash inside a kana word (ダウンロ-ド, ユーザ-を: NFKC makes
# the full-width hyphen-minus ASCII): a hyphen, en dash, minus or box line between a katakana that can
# be lengthened (not ン, ッ or a small kana: ログイン-ログアウト joins two words) and more kana.
# A dash before a letter, a digit, a kanji or the end stays (プランA-1, テスト-環境).
_DASH_AS_LONG_VOWEL = re.compile(
    r"(?<=[\u30a1-\u30fa])(?<![ンッァィゥェォャュョヮヵヶ])[-\u2010-\u2013\u2212\u2500](?=[\u3041-\u3096\u30a1-\u30fa])"
)
_MEANINGFUL = re.compile(r"[0-9A-Za-z\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def normalize(text: str) -> str:
    """NFKC (full/half width), lower case, one space for any run of white space, ー for a dash typed for it."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()
    return _DASH_AS_LONG_VOWEL.sub("ー", text)


@dataclass(frozen=True)
class Folded:
    """A text as an editor's search compares it (``fold``), with where each of its characters comes from."""

    text: str
    starts: tuple[int, ...]  # for each character of ``text``, where its piece of the original starts and ends
    ends: tuple[int, ...]


def folded(text: str) -> str:
    """``fold(text).text``, without the map back (a search's filter over a whole FAQ: no character at a time)."""
    return _DASH_AS_LONG_VOWEL.sub("ー", "".join(unicodedata.normalize("NFKC", text).casefold().split()))


def fold(text: str) -> Folded:
    """``text`` as ``normalize`` compares it (widths, case folded, a dash for ー) with white space left out (a line
    break inside a sentence: Japanese puts no space where it wraps), each character mapped back to the original.

    Read in the smallest pieces that NFKC treats apart: half-width ｶﾞ (or か and a combining mark) is one piece
    that becomes ガ, so a match on it covers both characters."""
    pieces: list[tuple[int, int]] = []  # (start, end) in ``text``
    alone = [unicodedata.normalize("NFKC", char) for char in text]
    joins = "".join(alone) != unicodedata.normalize("NFKC", text)  # else every character is a piece (most texts)
    for i, char in enumerate(text):
        if pieces and joins:
            start, end = pieces[-1]
            if unicodedata.normalize("NFKC", text[start:end] + char) != unicodedata.normalize(
                "NFKC", text[start:end]
            ) + unicodedata.normalize("NFKC", char):
                pieces[-1] = (start, i + 1)  # joined with the piece before it
                continue
        pieces.append((i, i + 1))
    folded: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end in pieces:
        piece = "".join(
            c
            for c in (unicodedata.normalize("NFKC", text[start:end]) if joins else alone[start]).casefold()
            if not c.isspace()
        )
        folded.extend(piece)
        starts.extend([start] * len(piece))
        ends.extend([end] * len(piece))
    return Folded(_DASH_AS_LONG_VOWEL.sub("ー", "".join(folded)), tuple(starts), tuple(ends))


def locate_all(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Where each of ``words`` is in ``text`` (every time, overlaps too), as ``fold`` compares them, as (start, end)
    in ``text`` itself, in order and joined where they touch: the parts to show an editor marked."""
    needles = {n for n in map(folded, words) if n}
    haystack = fold(text)
    spans = sorted(
        (haystack.starts[m.start()], haystack.ends[m.start() + len(needle) - 1])
        for needle in needles
        for m in re.finditer(f"(?={re.escape(needle)})", haystack.text)
    )
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def normalize_lines(text: str) -> str:
    """``normalize`` line by line, the lines kept (blank ones dropped): a visitor's message whose
    sentences end with a line break instead of 。 keeps its sentences (``faq_bot.retrieval.views``)."""
    return "\n".join(line for line in map(normalize, text.splitlines()) if line)


def is_meaningful(text: str) -> bool:
    """False for input with no letter, digit, kana or kanji at all (``"？？"``, ``"..."``)."""
    return bool(_MEANINGFUL.search(normalize(text)))


def to_katakana(text: str) -> str:
    """Hiragana to katakana; everything else unchanged."""
    return text.translate(_HIRAGANA_TO_KATAKANA)


#: Kana and CJK ideographs: the scripts a Japanese message is written in.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def writes_japanese(text: str) -> bool:
    """True when the text has a kana or a kanji (NFKC has made half-width kana full-width)."""
    return _JAPANESE.search(text) is not None


def is_kana(word: str) -> bool:
    """True when every character is hiragana or katakana."""
    return all("\u3040" <= ch <= "\u30ff" for ch in word)


def reading_bigrams(reading: str) -> list[str]:
    """Overlapping character pairs of a katakana reading, for spelling-blind matching."""
    if len(reading) < 2:
        return [reading] if reading else []
    return [reading[i : i + 2] for i in range(len(reading) - 1)]
