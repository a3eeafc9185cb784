"""Personal data kept out of the conversation log: e-mail addresses and phone numbers masked."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Japanese and international phone numbers: 03-1234-5678, 090 1234 5678, 09012345678, +81-90-1234-5678, (03)1234-5678
_PHONE = re.compile(r"(?<![\d+])(?:\+\d{1,3}[-\s]?)?\(?\d{1,5}\)?[-\s]?\d{1,4}[-\s]?\d{3,4}(?!\d)")


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses and phone numbers with placeholders."""
    text = _EMAIL.sub("[メールアドレス]", text)
    return _PHONE.sub(lambda m: "[電話番号]" if sum(c.isdigit() for c in m.group(0)) >= 9 else m.group(0), text)
