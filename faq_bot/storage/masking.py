"""Personal data kept out of the conversation log: e-mail addresses, phone, card and postal numbers masked.

Visitors type on phones and Japanese keyboards: ``０９０－１２３４－５６７８``,
``090ー1234ー5678`` or ``ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ`` are the same data as their
ASCII forms. The patterns therefore run on a width-normalised view of the text
(NFKC, and every dash-like character read as ``-``), and each match is replaced in
the text as typed: everything else is stored exactly as the visitor wrote it.

Not masked: names, street addresses, order or member numbers, card numbers that fail
the Luhn check, and data spelled out in words (``アットマーク``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

#: Dash-like characters visitors type between digits (after NFKC): hyphens, minus signs, long dashes, the
#: katakana prolonged sound mark (``ー``, what a Japanese keyboard gives for "-" in kana mode) and its halfwidth form.
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹣ー－ｰ⁃"), "-")

# Starts only where a run of address characters starts, so a long run without "@" is scanned once, not once per char.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# 13-19 digits, a single space, dash or dot allowed between them (4111 1111 1111 1111, 4111-1111-1111-1111).
_CARD = re.compile(r"(?<![\d-])(?<!\d\.)\d(?:[ .-]?\d){12,18}(?![\d-]|\.\d)")  # after "No." too
# Between a phone number's groups: a dash (spaces around it allowed), a space, a dot or a slash, or nothing.
_GAP = r"(?:[ \t]*-[ \t]*|[\s./])?"
# Japanese and international phone numbers: 03-1234-5678, 090 1234 5678, 09012345678, 090.1234.5678,
# 090 - 1234 - 5678, +81-90-1234-5678, +81(0)90-1234-5678, and brackets around any group: (03)1234-5678,
# 03(1234)5678 (how a landline is most often written: 市外局番(市内局番)番号), 0467(12)3456. A number without
# a country code starts with the trunk 0, so that IP addresses, prices (980/1980/2980円), sizes and
# version strings, which dots and slashes would otherwise join into nine digits, are not phone numbers; nor
# are digits inside a word of letters (a reference in a URL: inquiry_ABC0123456789_x).
_PHONE = re.compile(
    rf"(?<![0-9A-Za-z_+])(?:\+\d{{1,3}}{_GAP}(?:\(0\){_GAP})?\(?\d{{1,5}}\)?|\(?0\d{{0,4}}\)?)"
    rf"{_GAP}\(?\d{{1,4}}\)?{_GAP}\d{{3,4}}(?![\dA-Za-z_])"
)
# 〒123-4567, 〒1234567, 123-4567 (a bare seven-digit number is too often something else).
_POSTAL = re.compile(r"〒\s?\d{3}-?\d{4}(?![\d-])|(?<![\d-])\d{3}-\d{4}(?![\d-])")

EMAIL, PHONE, CARD, POSTAL = "[メールアドレス]", "[電話番号]", "[カード番号]", "[郵便番号]"
PLACEHOLDERS = (EMAIL, PHONE, CARD, POSTAL)


def masked_parts(text: str) -> list[str]:
    """The placeholders of masked personal data in a logged text (what it stands for is not in the log)."""
    return [p for p in PLACEHOLDERS if p in text]


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _is_card(found: str) -> bool:
    return luhn_ok(_digits(found))


def _is_phone(found: str) -> bool:
    return len(_digits(found)) >= 9  # shorter digit runs are dates, prices and order numbers


#: What to look for, in order: an earlier kind claims its text first (a card number is not also a phone number).
_KINDS: tuple[tuple[re.Pattern[str], Callable[[str], bool], str], ...] = (
    (_EMAIL, lambda _: True, EMAIL),
    (_CARD, _is_card, CARD),
    (_PHONE, _is_phone, PHONE),
    (_POSTAL, lambda _: True, POSTAL),
)


def _normalised_view(text: str) -> tuple[str, list[int]]:
    """NFKC with dashes unified, and for each of its characters the index of the typed one it came from."""
    parts: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        # Per character, so that every normalised character maps back to exactly one typed one.
        norm = unicodedata.normalize("NFKC", ch).translate(_DASHES)
        parts.append(norm)
        origin.extend([i] * len(norm))
    return "".join(parts), origin


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, phone numbers, card numbers and postal codes with placeholders."""
    view, origin = _normalised_view(text)
    spans: list[tuple[int, int, str]] = []  # in the typed text
    taken = [False] * len(view)
    for pattern, accept, placeholder in _KINDS:
        at = 0
        while (m := pattern.search(view, at)) is not None:
            if any(taken[m.start() : m.end()]) or not accept(m.group(0)):
                # Not this kind (a date before a phone number: 10/15 090…): look again one character on,
                # not after the refused text, which may hold the start of the real one.
                at = m.start() + 1
                continue
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
            spans.append((origin[m.start()], origin[m.end() - 1] + 1, placeholder))
            at = m.end()
    for start, end, placeholder in sorted(spans, reverse=True):
        text = text[:start] + placeholder + text[end:]
    return text
