"""Small talk: greetings, thanks, goodbyes and "who are you?" get a short friendly reply, not "the FAQ has
no answer".

A message is small talk when it consists of nothing but such phrases (and punctuation,
emoji, long vowels): 「こんにちは！」, 「ありがとうございました🙏」, 「では失礼します」.
Anything with a question in it goes to the FAQ as usual. The phrases are ordinary
Japanese and English courtesies, not any FAQ's wording; the replies are settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from faq_bot.text.normalize import normalize


class SmallTalkKind(StrEnum):
    """What kind of courtesy a message is."""

    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    ABOUT_BOT = "about_bot"  # who or what is answering (a person? a robot?)
    NO_QUESTION = "no_question"  # no content word at all (「すみません」, 「はい」, 「？」): nothing was asked yet


#: Courtesy phrases by kind (after normalisation: NFKC, lower case).
PHRASES: dict[SmallTalkKind, tuple[str, ...]] = {
    SmallTalkKind.GREETING: (
        "こんにちは",
        "こんにちわ",
        "こんばんは",
        "こんばんわ",
        "おはようございます",
        "おはよう",
        "はじめまして",
        "初めまして",
        "よろしくお願いいたします",
        "よろしくお願いします",
        "よろしくおねがいします",
        "よろしく",
        "お世話になっております",
        "お疲れ様です",
        "おつかれさまです",
        "もしもし",
        "hello",
        "hi",
        "hey",
        "good morning",
        "good afternoon",
        "good evening",
    ),
    SmallTalkKind.THANKS: (
        "ありがとうございました",
        "ありがとうございます",
        "ありがとう",
        "有難うございました",
        "有難うございます",
        "助かりました",
        "助かります",
        "了解しました",
        "了解です",
        "承知しました",
        "わかりました",
        "分かりました",
        "どうも",
        "thank you",
        "thanks",
        "thx",
        "ok",
        "okay",
    ),
    SmallTalkKind.GOODBYE: (
        "さようなら",
        "さよなら",
        "失礼します",
        "失礼いたします",
        "それでは",
        "では",
        "またね",
        "また来ます",
        "bye",
        "goodbye",
        "see you",
    ),
    SmallTalkKind.ABOUT_BOT: (
        "あなたは誰ですか",
        "あなたはだれですか",
        "あなたは誰",
        "あなたはだれ",
        "誰ですか",
        "だれですか",
        "あなたは何者ですか",
        "あなたは何者",
        "あなたはロボットですか",
        "あなたはaiですか",
        "あなたは人間ですか",
        "ロボットですか",
        "aiですか",
        "人間ですか",
        "botですか",
        "ボットですか",
        "who are you",
        "what are you",
        "are you a bot",
        "are you a robot",
        "are you human",
        "are you a human",
    ),
}
# What may sit between courtesy phrases: punctuation, symbols, emoji, long vowels, spaces.
_FILLER = re.compile(r"[\s、。,.!?！？ー〜~…・♪☆★]+|[\U0001F300-\U0001FAFF\u2600-\u27BF]+")
_ORDER = sorted(((p, k) for k, ps in PHRASES.items() for p in ps), key=lambda pk: -len(pk[0]))


@dataclass(frozen=True)
class SmallTalk:
    """A recognised courtesy and the kind that decides the reply (about the bot, thanks, goodbye, greeting)."""

    kind: SmallTalkKind
    phrases: tuple[str, ...]


def recognise(message: str) -> SmallTalk | None:
    """The courtesy a message consists of, or None when it says anything else."""
    text = _FILLER.sub(" ", normalize(message)).strip()
    if not text or len(text) > 40:
        return None
    found: list[tuple[str, SmallTalkKind]] = []
    while text:
        for phrase, kind in _ORDER:
            if text.startswith(phrase) and _ends_word(text, len(phrase)):
                found.append((phrase, kind))
                text = text[len(phrase) :].strip()
                break
        else:
            return None
    kinds = {k for _, k in found}
    for kind in (SmallTalkKind.ABOUT_BOT, SmallTalkKind.THANKS, SmallTalkKind.GOODBYE, SmallTalkKind.GREETING):
        if kind in kinds:
            return SmallTalk(kind, tuple(p for p, _ in found))
    return None


#: A greeting is returned in kind: 「おはようございます」 to a morning greeting, not 「こんにちは」.
_RETURNED = {
    "おはよう": "おはようございます。",
    "おはようございます": "おはようございます。",
    "good morning": "おはようございます。",
    "こんばんは": "こんばんは。",
    "こんばんわ": "こんばんは。",
    "good evening": "こんばんは。",
    "はじめまして": "はじめまして。",
    "初めまして": "はじめまして。",
    "よろしく": "よろしくお願いいたします。",
    "よろしくお願いします": "よろしくお願いいたします。",
    "よろしくおねがいします": "よろしくお願いいたします。",
    "よろしくお願いいたします": "よろしくお願いいたします。",
    "お世話になっております": "お世話になっております。",
    "お疲れ様です": "お疲れさまです。",
    "おつかれさまです": "お疲れさまです。",
}


def greeting_reply(talk: SmallTalk, configured: str) -> str:
    """The configured reply to a greeting with its opening salutation (「こんにちは。」) returned in kind
    (「おはようございます。ご質問をどうぞ。」); a reply that opens otherwise is kept as it is written."""
    returned = next((_RETURNED[p] for p in talk.phrases if p in _RETURNED), None)
    head, stop, rest = configured.partition("。")
    opening = recognise(head) if stop else None
    if returned is None or opening is None or opening.kind is not SmallTalkKind.GREETING:
        return configured
    return returned + rest


def _ends_word(text: str, end: int) -> bool:
    """An ASCII phrase must end at a word boundary ("hi" is not the start of "hint")."""
    return end >= len(text) or not (text[end - 1].isascii() and text[end].isascii() and text[end].isalnum())
