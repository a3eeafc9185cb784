"""Questions typed in hiragana only, respelled with the FAQ's own words (しはらいほうほう → 支払い方法).

Visitors on phones often send a question before converting it to kanji. The embedding model
reads 「けいやくへんこう」 far worse than 「契約変更」, so such a question is rewritten: its
hiragana runs are matched, by reading, against the kanji words of the FAQ itself (nouns only,
so particles and verb endings stay as typed), longest words first. The FAQ is the dictionary:
a word the FAQ does not use is never produced, and every FAQ reloads its own.

In a question that has kanji too, the FAQ's katakana words are put back where they were typed in
hiragana (利用まにゅあるありますか → 利用マニュアルありますか): there the hiragana runs are mostly particles
and verb endings, which a kanji word must not swallow, while a loanword's kana are unmistakable. A kanji
word is put back there only where the analyser read the hiragana as words the FAQ never uses and the
FAQ's word leaves fewer of them (見積書をゆうそうして → 見積書を郵送して; したい never becomes 死体).

The same dictionary mends the commonest typing mistake in kanji: the IME's other word of the same
reading (海員登録 for 会員登録, 発効 for 発行, 支払い機嫌 for 支払い期限). A word of two kanji or
more that the FAQ never uses, read the same as a word the FAQ does use, is taken for that word, where
entries use that word with the question's other words; so is one read the same but for a small っ the
visitor left out (主張 for 出張), only where the question has telling words and the FAQ's word shares
entries with at least half of them.
So is a katakana word the FAQ never uses that differs from one of the FAQ's only in a small kana typed
large or the other way round (セキュリテイ, クレジツト) or in a long-vowel mark left off at its end
(ユーザ for ユーザー, as JIS-style writing does), or in a small ッ or a long-vowel mark left out inside it
(クレジトカード, ダウンロド), where no other word of the FAQ reads the same without them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field

from faq_bot.text.analyzer import Analysis, TextAnalyzer
from faq_bot.text.normalize import to_katakana

_KANJI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HIRAGANA = re.compile(r"[\u3041-\u3096ー]+")
_KATAKANA_WORD = re.compile(r"[\u30a1-\u30faー]+")
MIN_READING = 2  # one-mora words would match inside any particle
# A word must sit between phrase boundaries: after the start, another word or a particle, and
# before the end, another word, a particle or する/だ; else たいかいしたい would yield 開始.
_BEFORE_WORD = frozenset("をがはのにでともへやかねよ")
# ま: まで; つおあほわ: a verb or adjective typed straight after the word, without a particle, as in chat
# (くれじっとかーどつかえる, しはらいほうほうおしえて, けいやくほしい, ぱすわーどわすれた, せいきゅうあります).
_AFTER_WORD = frozenset("をがはのにでともへやかしすさせだじなまつおあほわ")
MIN_KATAKANA = 3  # shorter katakana words are mostly kana spellings of common words
_SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_HELD_SOUND = str.maketrans("", "", "ッ")
MIN_HELD_KEY = 3  # a reading shorter than this without its double consonants is too common to tell a word
_LEFT_OUT = str.maketrans("", "", "ッー")
MIN_LOOSE_KEY = 4  # a katakana word shorter than this without its ッ and ー is too short to tell (ロル, メル)


def katakana_key(word: str) -> str:
    """A katakana word with small kana made large and a final long-vowel mark dropped: how its typos still match."""
    return word.translate(_SMALL_TO_LARGE).rstrip("ー")


def loose_key(word: str) -> str:
    """A katakana word without its small ッ and long-vowel marks, the other kana made large: how a word typed with
    one of them left out still matches (クレジト → クレジット, ダウンロド → ダウンロード)."""
    return word.translate(_LEFT_OUT).translate(_SMALL_TO_LARGE)


def held_key(reading: str) -> str:
    """A reading without its double consonants (シュッチョウ → シュチョウ): the small っ is the kana a visitor most
    often leaves out when typing a word's reading, and the IME then gives another word (主張 for 出張)."""
    return reading.translate(_HELD_SOUND)


def needs_respelling(text: str) -> bool:
    """True for a question with hiragana and no kanji at all."""
    return not _KANJI.search(text) and bool(_HIRAGANA.search(text))


@dataclass(frozen=True)
class Respeller:
    """Katakana reading -> the FAQ word spelled that way (the most frequent one on a tie)."""

    spellings: Mapping[str, str]
    loanwords: Mapping[str, str] = field(default_factory=dict)  # the katakana words among them (パスワード)
    longest: int = 0  # the longest reading of the spellings
    longest_loanword: int = 0
    # ``katakana_key`` -> the FAQ's katakana word with that key (only keys one word has)
    loanword_keys: Mapping[str, str] = field(default_factory=dict)
    # ``held_key`` -> the reading with っ of the FAQ's kanji word with that key (only keys one such reading has,
    # of ``MIN_HELD_KEY`` kana or more)
    held_keys: Mapping[str, str] = field(default_factory=dict)
    # ``loose_key`` -> the FAQ's katakana word with that key (only keys one word has, of ``MIN_LOOSE_KEY`` kana or more)
    loose_keys: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_words(cls, words: Iterable[tuple[str, float]], analyzer: TextAnalyzer, katakana: str) -> Respeller:
        """Build from (word, frequency) pairs: kanji nouns, read by janome, and the katakana words the FAQ
        writes in katakana (``katakana``: its katakana runs, ``katakana_runs``). A word janome read from
        hiragana is kept in katakana too (ほしい as ホシイ, かかる as カカル), but it is no loanword: a
        question's ほしい must stay ほしい."""
        best: dict[str, tuple[float, str]] = {}
        for word, frequency in words:
            if _KANJI.search(word):
                reading = analyzer.noun_reading(word)
            elif _KATAKANA_WORD.fullmatch(word) and len(word) >= MIN_KATAKANA and word in katakana:
                reading = word  # a loanword typed in hiragana: ぱすわーど → パスワード
            else:
                continue
            if reading is None or len(reading) < MIN_READING:
                continue
            if reading not in best or frequency > best[reading][0]:
                best[reading] = (frequency, word)
        spellings = {r: w for r, (_, w) in best.items()}
        loanwords = {r: w for r, w in spellings.items() if _KATAKANA_WORD.fullmatch(w)}
        unique = _one_per_key((katakana_key(w), w) for w in loanwords.values())
        held = _one_per_key(
            (held_key(r), r)
            for r, w in spellings.items()
            if "ッ" in r and _KANJI.search(w) and len(held_key(r)) >= MIN_HELD_KEY
        )
        loose = _one_per_key((loose_key(w), w) for w in loanwords.values() if len(loose_key(w)) >= MIN_LOOSE_KEY)
        longest = max(map(len, spellings), default=0)
        return cls(spellings, loanwords, longest, max(map(len, loanwords), default=0), unique, held, loose)

    def mend_homophones(
        self,
        analysis: Analysis,
        known: Container[str],
        reading_of: Callable[[str], str | None],
        fits: Callable[[str, list[str], bool], bool] | None = None,
    ) -> tuple[str, frozenset[str]] | None:
        """The analysed text with each kanji word the FAQ never uses (not in ``known``) replaced by the
        FAQ's word of the same reading, and the words guessed (homophones put in, which the decision counts
        as words the FAQ never uses); None when there is none to replace.

        ``fits(word, others, evidence)`` says whether the FAQ's word belongs with the question's other known
        words (entries use them together): 街灯 切れた is not 該当, however the IME reads it. A word read
        the same but for a small っ left out (主張 for 出張) is a bolder guess: it needs ``evidence``, telling
        words in the question that entries use with the FAQ's word (主張 alone is never 出張). A
        katakana word that differs only in small kana or a final bar (ソファ, ソファー) is the same word:
        it needs no fit, and is no guess (as ぱすわーど respelled パスワード is none)."""
        replaced: list[tuple[int, int, str]] = []
        guessed: set[tuple[int, int]] = set()
        others = [w for w in analysis.words if w in known]
        for word, (start, end) in zip(analysis.words, analysis.spans, strict=True):
            if word in known or len(word) < 2 or analysis.normalized[start:end] != word:
                continue
            homophone = held = False
            if _KATAKANA_WORD.fullmatch(word) and len(word) >= MIN_KATAKANA:
                # セキュリテイ → セキュリティ, ダウンロド → ダウンロード: the same word
                target = self.loanword_keys.get(katakana_key(word)) or self.loose_keys.get(loose_key(word))
            elif _KANJI.search(word):
                reading = reading_of(word)
                if reading is None:
                    continue
                # another word read the same (海員 → 会員, 昨日 → 機能), or but for a small っ (主張 → 出張)
                target = self.spellings.get(reading)
                if target is None:
                    with_tsu = self.held_keys.get(held_key(reading), "")
                    if reading.count("ッ") < with_tsu.count("ッ"):  # っ left out, never one typed too many
                        target, held = self.spellings[with_tsu], True
                homophone = True
            else:
                continue
            if target is None or len(target) < 2 or target == word:
                continue
            if not homophone or fits is None or fits(target, others, held):
                replaced.append((start, end, target))
                if homophone:
                    guessed.add((start, end))
        if not replaced:
            return None
        text = analysis.rewritten(replaced)  # a compound and its head both mended: the compound
        return text, frozenset(
            t for start, end, t in replaced if (start, end) in guessed and not _inside_another(start, end, replaced)
        )

    def respell_unconverted(
        self, analysis: Analysis, known: Container[str], analyze: Callable[[str], Analysis]
    ) -> Analysis:
        """In a question with kanji, a word left in hiragana (見積書をゆうそうして: the IME never asked)
        respelled with the FAQ's word of that reading: only a hiragana run in which the analyser found
        words the FAQ never uses (ユウ, ソウ), and only where the respelled run leaves fewer such words and no
        new unknown one (したい stays したい: 死体 would gain nothing). ``analyze`` reads a rewritten text."""
        unknown = {w for w in analysis.words if w not in known}
        stray = self._stray_spans(analysis, unknown)
        if not stray:
            return analysis
        for run in reversed(list(_HIRAGANA.finditer(analysis.normalized))):
            if not any(run.start() <= start and end <= run.end() for start, end in stray):
                continue
            respelled = self._run(run.group(0), loanwords=False)
            if respelled == run.group(0):
                continue
            text = analysis.normalized
            candidate = analyze(text[: run.start()] + respelled + text[run.end() :])
            still = {w for w in candidate.words if w not in known}
            if still <= unknown and len(self._stray_spans(candidate, still)) < len(stray):
                analysis, unknown, stray = candidate, still, self._stray_spans(candidate, still)
        return analysis

    @staticmethod
    def _stray_spans(analysis: Analysis, unknown: Container[str]) -> list[tuple[int, int]]:
        """Where the analysis found, in hiragana, a word the FAQ never uses."""
        return [
            (start, end)
            for word, (start, end) in zip(analysis.words, analysis.spans, strict=True)
            if word in unknown and _HIRAGANA.fullmatch(analysis.normalized[start:end])
        ]

    def respell(self, text: str) -> str:
        """The text with each hiragana run respelled where FAQ words cover it."""
        return _HIRAGANA.sub(lambda m: self._run(m.group(0), loanwords=False), text)

    def respell_loanwords(self, text: str) -> str:
        """The text with the FAQ's katakana words typed in hiragana put back in katakana, in a text that
        has kanji too (利用まにゅある → 利用マニュアル): kanji words are left alone there, the visitor chose them."""
        return _HIRAGANA.sub(lambda m: self._run(m.group(0), loanwords=True), text) if self.loanwords else text

    def _run(self, hiragana: str, loanwords: bool) -> str:
        spellings, longest = (self.loanwords, self.longest_loanword) if loanwords else (self.spellings, self.longest)
        reading = to_katakana(hiragana)
        n = len(reading)
        # Dynamic programming over (position, whether the last piece was an FAQ word): a word
        # of reading length L scores L*L, so one long word beats two short ones covering the
        # same characters; a one-kanji word (書, 先) only follows another word, as a suffix,
        # or it would turn ordinary hiragana into stray kanji (れすとらん → れすと欄).
        best: list[list[tuple[int, int, tuple[str, ...]] | None]] = [[None, None] for _ in range(n + 1)]
        best[0][0] = (0, 0, ())
        for i in range(n):
            for after_word in (0, 1):
                state = best[i][after_word]
                if state is None:
                    continue
                score, neg, pieces = state
                options = []
                if not after_word or hiragana[i] in _AFTER_WORD:
                    options.append((i + 1, hiragana[i], 0, 0))
                if i == 0 or after_word or hiragana[i - 1] in _BEFORE_WORD:
                    for j in range(i + MIN_READING, min(n, i + longest) + 1):
                        word = spellings.get(reading[i:j])
                        if word is not None and (len(word) > 1 or after_word):
                            options.append((j, word, (j - i) ** 2, 1))
                for j, piece, gain, is_word in options:
                    candidate = (score + gain, neg - 1, (*pieces, piece))
                    current = best[j][is_word]
                    if current is None or candidate[:2] > current[:2]:
                        best[j][is_word] = candidate
        ends = [s for s in best[n] if s is not None]
        return "".join(max(ends, key=lambda s: s[:2])[2]) if ends else hiragana


def _one_per_key(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """key -> value for the keys that only one value has (a key two values share guesses neither)."""
    values: dict[str, set[str]] = {}
    for key, value in pairs:
        values.setdefault(key, set()).add(value)
    return {k: next(iter(vs)) for k, vs in values.items() if len(vs) == 1}


def _inside_another(start: int, end: int, spans: Iterable[tuple[int, int, str]]) -> bool:
    """True when (start, end) lies within another, longer span of ``spans``."""
    return any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)


def katakana_runs(texts: Iterable[str]) -> str:
    """The distinct katakana runs of the texts, one per line: what ``Respeller.from_words`` takes as the words a
    FAQ writes in katakana (a word is one if it stands in a run: オンライン in オンラインマーケット)."""
    return "\n".join(sorted({run for text in texts for run in _KATAKANA_WORD.findall(text)}))


class LazyRespeller:
    """A ``Respeller`` built on first use (an engine builds it before a FAQ version serves)."""

    def __init__(
        self, words: Iterable[tuple[str, float]], analyzer: TextAnalyzer, texts: Callable[[], Iterable[str]]
    ) -> None:
        self._words = words
        self._texts = texts  # the FAQ's texts as the analyser prepares them (for ``katakana_runs``)
        self._analyzer = analyzer
        self._built: Respeller | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """True once built (until then, the first ``get`` takes a while on a large FAQ)."""
        return self._built is not None

    def get(self) -> Respeller:
        """The respeller, built once."""
        with self._lock:
            if self._built is None:
                self._built = Respeller.from_words(self._words, self._analyzer, katakana_runs(self._texts()))
            return self._built
