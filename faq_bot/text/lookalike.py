"""Look-alike characters: texts that differ only in them are the same text to an editor.

A round trip through Excel on Japanese Windows (CP932) swaps some characters for their
look-alikes: 〜 (U+301C WAVE DASH) comes back as ～ (U+FF5E), − (U+2212) as － (U+FF0D), and so
on. ``lookalike_key`` folds those pairs, so a diff shows only changes a reader can see. Width is
not folded: ｸﾚｼﾞｯﾄｶｰﾄﾞ made クレジットカード, or ＡＢＣ made ABC, is an edit an editor sees and means
(and must be able to publish).
"""

from __future__ import annotations

#: The CP932 round-trip pairs (JIS X 0208 mapping → Microsoft's).
CP932_PAIRS = {
    "\u301c": "\uff5e",  # 〜 WAVE DASH → ～ FULLWIDTH TILDE
    "\u2016": "\u2225",  # ‖ DOUBLE VERTICAL LINE → ∥ PARALLEL TO
    "\u2212": "\uff0d",  # − MINUS SIGN → － FULLWIDTH HYPHEN-MINUS
    "\u2014": "\u2015",  # — EM DASH → ― HORIZONTAL BAR
    "\u00a2": "\uffe0",  # ¢ → ￠
    "\u00a3": "\uffe1",  # £ → ￡
    "\u00ac": "\uffe2",  # ¬ → ￢
}
_TABLE = str.maketrans(CP932_PAIRS)


def lookalike_key(text: str) -> str:
    """The text with look-alike characters folded (the CP932 round-trip pairs)."""
    return text.translate(_TABLE)


def same_looking(a: str, b: str) -> bool:
    """True when two texts differ at most in look-alike characters."""
    return a == b or lookalike_key(a) == lookalike_key(b)
