"""What the lexical side sees of a text: normalised, synonyms applied, janome content words, reading."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from janome.tokenizer import Tokenizer

from faq_bot.priority import is_staff_thread
from faq_bot.text.normalize import is_kana, is_meaningful, normalize, to_katakana
from faq_bot.text.synonyms import SynonymTable

# Parts of speech that carry content (janome's IPADIC tags, first two levels).
_CONTENT_POS = ("名詞", "動詞,自立", "形容詞,自立", "副詞", "接頭詞,名詞接続")
_SKIPPED_POS = ("名詞,非自立", "名詞,代名詞", "名詞,数", "名詞,接尾,助数詞")
# Suffixes that form a compound noun with the noun before them (請求+書, ライセンス+数, 利用+者).
_SUFFIX_POS = ("名詞,接尾,一般", "名詞,接尾,サ変接続", "名詞,接尾,形容動詞語幹")
#: Changes whenever ``analyze`` splits or normalises words differently (goes into the index manifest).
ANALYZER_VERSION = 8
#: Analyses of this many short questions (up to ``KEPT_LENGTH`` characters) are kept, the latest read
#: (``analyze_prepared(keep=True)``): a publish reads the FAQ's own questions and the crossed ones again
#: (``faq_bot.retrieval.adaptation``). ~2–8 KB each. Builds, answers and long messages are not kept.
KEPT_ANALYSES = 1024
KEPT_LENGTH = 200
# A run of Latin letters and digits (joined by - _ / .) where letters and digits take turns more
# than once: an order number, a reference, an id (a8e034fa, ab12cd, 3fa2b9c1). Its letters are
# pieces of a code, not words. A name with one number (office365, windows10, covid-19) stays a word.
_CODE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]+(?:[-_/.][0-9A-Za-z]+)*")
# Light verbs and fillers that every FAQ question contains; they say nothing about the topic.
STOP_WORDS = frozenset(
    "する ある いる なる できる 出来る れる られる せる させる くださる 下さる いただく 頂く おる "
    "もらう いう 言う 思う 教える 知る 分かる わかる 何 どこ いつ どう どの どれ ない よい いい "
    "こと もの ため よう ん お ご "
    # The polite forms of the same: humble and honorific verbs (いただけますか, ございます, いたします,
    # なさいますか), よろしいでしょうか, よろしくお願いいたします, ご教示 (教える); 頃 (いつごろ)
    "いただける 頂ける もらえる 貰う 貰える くれる いたす 致す なさる ござる 御座る 存じる 申し上げる "
    "よろしい 宜しい よろしく 宜しく お願い ごろ 頃 "
    # English function words (janome tags every English word as a noun)
    "a an the to of for in on at by with and or is are be do does can could how what where when "
    "which who why i you my me we our it this that please want need there here any some get got have has "
    "am was were been your its their they them us from about into if so not no yes as would should will "
    "may might must let much many more very also just only tell know find see use make go like".split()
)

#: Words that are keigo only after the honorific prefix ご/御 (ご教示ください = 教えてください); on their own
#: they are a topic (不服申立ての教示).
HONORIFIC_STOP_WORDS = frozenset({"教示"})
_HONORIFIC_PREFIXES = ("ご", "御")


@dataclass(frozen=True)
class Analysis:
    """What the lexical side sees of one text."""

    normalized: str
    words: tuple[str, ...]  # content base forms
    reading: str  # katakana reading of the whole text (for hiragana-only queries)
    # Where each word stands in ``normalized`` (start, end), in ``words`` order; empty when not kept.
    spans: tuple[tuple[int, int], ...] = ()
    # Words guessed for others the visitor typed (``faq_bot.text.kana``: 会員 for 海員): searched as
    # written here, but the decision still counts them as words the FAQ never uses. A katakana word
    # put back from a small-kana typo (セキュリテイ) is the same word, no guess: it is not among them.
    mended: frozenset[str] = frozenset()

    def as_written(self, words: Collection[str]) -> set[str]:
        """Those of ``words`` that stand in the text exactly as the word (not inflected, not respelled, not typed
        in hiragana: janome cuts hiragana into pieces that are rarely words, and taking them out moves the
        embedding whatever they meant)."""
        spans = zip(self.words, self.spans, strict=True)
        return {w for w, (start, end) in spans if w in words and self.normalized[start:end] == w}

    def without(self, dropped: Collection[str]) -> str:
        """The normalised text with the given words taken out (where they stand)."""
        cut = [(start, end, "") for word, (start, end) in zip(self.words, self.spans, strict=True) if word in dropped]
        return re.sub(r"\s+", " ", self.rewritten(cut)).strip()

    def rewritten(self, replacements: Iterable[tuple[int, int, str]]) -> str:
        """The normalised text with each span (start, end) replaced by its text; of spans that overlap
        (a compound and its head: 請求書 and 請求), the longer one that starts first."""
        parts, at = [], 0
        for start, end, text in sorted(replacements, key=lambda r: (r[0], -r[1])):
            if start >= at:
                parts += [self.normalized[at:start], text]
                at = end
        return "".join([*parts, self.normalized[at:]])


_TURNS = re.compile(r"(?=[A-Za-z][-_/.]?[0-9]|[0-9][-_/.]?[A-Za-z])")  # each place where they take turns


def code_spans(text: str) -> list[tuple[int, int]]:
    """Where the codes stand in a text (runs where Latin letters and digits take turns more than once)."""
    return [m.span() for m in _CODE.finditer(text) if len(_TURNS.findall(m.group())) >= 2]


class TextAnalyzer:
    """Normalise, apply synonyms and tokenise with janome; safe to share between threads."""

    def __init__(self, synonyms: SynonymTable | None = None) -> None:
        self.synonyms = synonyms or SynonymTable()
        # janome Tokenizers shared under a lock (janome is pure Python, so the GIL serialises it
        # anyway, and one per worker thread cost hundreds of MB): one for visitors' questions and
        # one for staff work (~11 MB more: publishes, reloads, batch tests, log pages), so that a
        # question never waits for a lowest-priority thread in the middle of a long answer.
        self._tokenizers = {staff: (Tokenizer(), threading.Lock()) for staff in (False, True)}
        self._kept = functools.lru_cache(maxsize=KEPT_ANALYSES)(self._analysis)

    def _tokens(self, text: str) -> list[Any]:
        tokenizer, lock = self._tokenizers[is_staff_thread()]
        with lock:
            return list(tokenizer.tokenize(text))

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
        return self.analyze_prepared(self.prepare(text))

    def analyze_prepared(self, prepared: str, keep: bool = False) -> Analysis:
        """``analyze`` of a text ``prepare`` already gave (and that was at most respelled with the FAQ's words
        since): normalising and applying synonyms twice is work, not a change. ``keep``: a question, whose
        analysis is kept if it is short (``KEPT_ANALYSES``)."""
        return self._kept(prepared) if keep and len(prepared) <= KEPT_LENGTH else self._analysis(prepared)

    def _analysis(self, prepared: str) -> Analysis:
        words: list[str] = []
        spans: list[tuple[int, int]] = []
        reading: list[str] = []
        noun_before = ""  # the content noun right before this token, if any (for 請求+書)
        noun_start = cursor = 0
        before = ""
        codes = code_spans(prepared)
        for token in self._tokens(prepared):
            if isinstance(token, str):  # only with wakati=True, which is not used
                continue
            surface = token.surface
            start = prepared.find(surface, cursor)
            start = cursor if start < 0 else start
            cursor = start + len(surface)
            pos = token.part_of_speech
            reading.append(token.reading if token.reading != "*" else surface)
            follows, noun_before = noun_before, ""
            after, before = before, surface  # the token before this one (ご of ご教示)
            if pos.startswith(_SUFFIX_POS):
                # A suffix makes a compound with the noun before it: 請求書 and 見積書 are
                # different documents, so 書 alone must not match; the head (請求) stays a word.
                if follows:
                    words.append(follows + surface)
                    spans.append((noun_start, cursor))
                continue
            if pos.startswith("記号") or not surface.strip():
                continue
            if not pos.startswith(_CONTENT_POS) or pos.startswith(_SKIPPED_POS):
                continue
            base = token.base_form if token.base_form != "*" else surface
            base = self.synonyms.apply(base.lower())
            keigo = base in HONORIFIC_STOP_WORDS and after in _HONORIFIC_PREFIXES
            if base in STOP_WORDS or keigo:
                if pos.startswith("名詞"):  # still the head of a compound: お願い書 is a document
                    noun_before, noun_start = base, start
                continue
            if not is_meaningful(base) or (len(base) == 1 and base.isascii()):
                continue  # (a lone Latin letter is a piece of an identifier or a plan's name, not a topic)
            if codes and surface.isascii() and any(a <= start and cursor <= b for a, b in codes):
                continue
            word = to_katakana(base) if is_kana(base) else base
            words.append(word)
            spans.append((start, cursor))
            if pos.startswith("名詞"):
                noun_before, noun_start = word, start
        joined = to_katakana("".join(reading))
        reading_text = re.sub(r"[^\u30a0-\u30ff\u3400-\u9fff0-9a-z]", "", joined)
        return Analysis(prepared, tuple(words), reading_text, tuple(spans))
