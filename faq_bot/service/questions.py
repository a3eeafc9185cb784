"""The rule for a typed question (chat and test console alike): not empty, not too long."""

from __future__ import annotations

from faq_bot.errors import InvalidQuestionError

EMPTY = "メッセージを入力してください。"


def too_long(limit: int) -> str:
    """The message for a question over the limit."""
    return f"メッセージは{limit}文字以内で入力してください。"


def checked_question(text: str, max_chars: int) -> str:
    """The question without surrounding white space; ``InvalidQuestionError`` if empty or too long."""
    question = text.strip()
    if not question:
        raise InvalidQuestionError(EMPTY)
    if len(question) > max_chars:
        raise InvalidQuestionError(too_long(max_chars))
    return question
