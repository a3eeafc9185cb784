"""The parts of a visitor's message: sentences, and the one that asks.

A long message often starts with a greeting and context (「いつもお世話になっております。
社内で〜を検討しております。」) and ends with the question. The whole message is still the
main view of the question (its context disambiguates); the asking sentence is a second view,
which the decision weighs next to the whole (see ``faq_bot.retrieval.signals``). In the asking
sentence the name of what the FAQ is about is context too (``without_subject``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from faq_bot.text.analyzer import code_spans
from faq_bot.text.normalize import normalize, normalize_lines

# Also a full-width ．, which normalisation (NFKC) turns into "." — after a Japanese character only, so that
# 1.5, Ver.2 or Co.,Ltd. are no sentence ends, nor an ellipsis (NFKC makes … "...": 注文ミスった…どうしよう is
# one sentence). The text is cut as ``normalize_lines`` gives it (``focus``).
_SENTENCE_END = re.compile(r"(?<=[。．！!？?\n])|(?<=[^\x00-\x7f]\.)(?!\.)")
# How Japanese (and English) sentences end when they ask or request: a question particle,
# a request or a wish, or a question mark. Grammar, not vocabulary of any FAQ.
_ASKING = re.compile(
    r"(か|かね|の|でしょうか|ますか|ですか|ください|下さい|くれ|たい|たいです|ほしい|欲しい|ほしいです|願います|"
    r"教えて|いただけますか|頂けますか)[。．.！!？?\s]*$|[?？]\s*$"
)
MIN_SENTENCE_CHARS = 4
# A part with no letter of any script outside its codes (digits, signs and references: 「(12345)」,
# 「※」, 「(INV-2024-001)」) is not a sentence.
_LETTER = re.compile(r"[^\W\d_]")


def sentences(text: str) -> list[str]:
    """The message cut after 。！？ and line breaks (fragments shorter than 4 characters join the next;
    fragments without a letter, such as a number in brackets, are no sentence: the whole message keeps them)."""
    out: list[str] = []
    carry = ""
    for part in _SENTENCE_END.split(text):
        part = carry + part.strip()
        if len(part) >= MIN_SENTENCE_CHARS and not _has_letter(part):
            carry = ""
            continue
        if len(part) < MIN_SENTENCE_CHARS:
            carry = part
            continue
        out.append(part)
        carry = ""
    if carry and out:
        out[-1] += carry
    elif carry:
        out.append(carry)
    return out


def _has_letter(part: str) -> bool:
    """True when the part has a letter of any script outside its codes (full-width ones too)."""
    part = unicodedata.normalize("NFKC", part)
    at = 0
    for start, end in code_spans(part):
        if _LETTER.search(part, at, start):
            return True
        at = end
    return bool(_LETTER.search(part, at))


def is_asking(sentence: str) -> bool:
    """True when a sentence asks or requests something."""
    return bool(_ASKING.search(sentence.strip()))


_ENDS_SENTENCE = re.compile(r"[。．.！!？?、,]$")


def as_sentences(text: str) -> str:
    """The message as one text whose line breaks that end a sentence are written 。 (lines normalised): a
    message typed with line breaks reads — and is embedded — as the same message typed with 。."""
    lines = normalize_lines(text).split("\n")
    return "".join(line if _ENDS_SENTENCE.search(line) else line + "。" for line in lines[:-1]) + lines[-1]


def focus(text: str) -> str | None:
    """The asking sentence of a message of several sentences (the last one that asks, else the last one).

    None for a message of one sentence: it is its own focus. The message is cut as normalised line by line
    (``normalize_lines``), whichever way it came (chat, batch test, evaluation): any line break (\r\n, \r,
    U+2028) is a line break, ｡ is 。.
    """
    parts = sentences(normalize_lines(text))
    if len(parts) < 2:
        return None
    asking = [s for s in parts if is_asking(s)]
    return (asking or parts)[-1]


# A name stands alone: not inside a longer word (オンラインマーケットプレイス, ○○オンラインマーケット), a code or an
# address (info@abc.co.jp).
_WORD_CHAR = r"ァ-ヶー々\u3400-\u9fff\U00020000-\U0002fa1fa-z0-9@._/\-"
# The name is what the sentence asks about (「…とは」, 「…について」, 「…は法人向けですか」, 「…ですか」): kept then.
_ABOUT_NAME = r"\s?(?:とは|について|に(?:関|対)して|って|は|が|です|でしょう|だ)"
# The particles that make the name context (…のパスワード, …で使える, …に登録した, …でも払える; サイト上で): each
# only where it ends there (で not in でき, の not in のみ, に not in について).
_CONTEXT_NAME = r"(?:上|内)?\s?(?:では|でも|での|で(?!す|しょ|き)|には|にも|に(?!つ|関|対)|からの|から|の(?!み))"


@lru_cache(maxsize=8)  # one tuple of names per configuration: compiled once, not for every question
def _name_patterns(names: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    spelled = sorted({normalize(n) for n in names if normalize(n)}, key=len, reverse=True)  # longest first
    if not spelled:
        return None
    name = f"(?<![{_WORD_CHAR}])(?:{'|'.join(map(re.escape, spelled))})"
    return re.compile(name + _ABOUT_NAME), re.compile(name + _CONTEXT_NAME)


def without_subject(sentence: str, names: Sequence[str]) -> str:
    """The asking sentence of a long message without the names of what the FAQ is about (the site, the
    service, the company: ``SearchParams.subject_names``) where they are context, with their particle.

    In a message of several sentences the name is mostly context: 「オンラインマーケットのログインパスワードは
    どちらから変更できますか」 asks about the password, but the name draws the entries about the site
    itself (「オンラインマーケットとは」), whose questions carry it. The whole message keeps the name
    (the decision still sees everything). A sentence about the name itself (「オンラインマーケットとは何ですか」,
    「…について」, 「…は法人向けですか」) is kept as it is, and so is one that would keep fewer than
    ``MIN_SENTENCE_CHARS`` letters without it.
    """
    patterns = _name_patterns(tuple(names))
    if patterns is None:
        return sentence
    about, context = patterns
    if about.search(sentence):
        return sentence
    left = context.sub("", sentence).strip()
    return left if len(_LETTER.findall(left)) >= MIN_SENTENCE_CHARS else sentence
