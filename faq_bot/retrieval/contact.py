"""The way to a person: the contact-form link (prefilled with the visitor's question) and when a reply offers it."""

from __future__ import annotations

import re
import string
from urllib.parse import quote, urlsplit

from faq_bot.text.normalize import normalize

#: Placeholders ``FAQ_BOT_CONTACT_URL`` may contain; the server URL-encodes what it puts there.
PLACEHOLDERS = ("question", "request_id")

#: An answer that names the contact form sends the visitor there (お問い合わせフォーム, 問合せフォーム …).
_MENTIONS_FORM = re.compile(r"問い?合わ?せ(?:フォーム|窓口)")


def check_contact_url(template: str) -> str:
    """The template if it is an http(s) URL whose only ``{…}`` are the known placeholders; else ``ValueError``."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:  # an unmatched brace
        raise ValueError(f"contact_url {template!r}: {exc}") from exc
    for name, spec, conv in fields:
        if name not in PLACEHOLDERS or spec or conv:
            raise ValueError(
                f"contact_url {template!r}: placeholder {{{name}{':' + spec if spec else ''}}} is not allowed "
                "(only {question} and {request_id})"
            )
    parts = urlsplit(contact_link(template, "", ""))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"contact_url {template!r} must be an http(s) URL such as https://example.com/contact")
    return template


#: Bytes of the URL-encoded question at most: a Japanese character takes 9, and a link much past
#: ~8 KB is refused by common web servers (nginx's and Apache's request-line limits), so a long
#: message is prefilled in part (the form's visitor can paste the rest; the log keeps it whole).
QUESTION_BYTES = 2000


def _prefilled(question: str) -> str:
    """The question URL-encoded, cut on a character boundary (with …) to ``QUESTION_BYTES``."""
    encoded = quote(question, safe="")
    if len(encoded) <= QUESTION_BYTES:
        return encoded
    cut, size = [], len(quote("…"))
    for char in question:
        piece = quote(char, safe="")
        if size + len(piece) > QUESTION_BYTES:
            break
        cut.append(piece)
        size += len(piece)
    return "".join(cut) + quote("…")


def contact_link(template: str, question: str, request_id: str) -> str:
    """The contact-form URL with ``{question}`` (at most ``QUESTION_BYTES`` of it) and ``{request_id}``
    filled in, URL-encoded."""
    values = {"question": _prefilled(question), "request_id": quote(request_id, safe="")}
    return re.sub(r"\{(question|request_id)\}", lambda m: values[m.group(1)], template)


def refers_to_contact(answer: str, escalation_text: str) -> bool:
    """True when an answer tells the visitor to contact a person (the escalation text, or the contact form)."""
    text = normalize(answer)
    core = normalize(escalation_text).rstrip("。.")
    return bool(core and core in text) or bool(_MENTIONS_FORM.search(text))
