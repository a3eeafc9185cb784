"""The rule for a typed question (chat and test console alike): not empty, not too long."""

from __future__ import annotations

from faq_bot.errors import InvalidQuestionError, MessageTooLongError

EMPTY = "メッセージを入力してください。"


def checked_question(text: str, max_chars: int) -> str:
    """The question without surrounding white space; ``InvalidQuestionError`` if empty or too long."""
    question = text.strip()
    if not question:
        raise InvalidQuestionError(EMPTY)
    if len(question) > max_chars:
        raise MessageTooLongError(max_chars)
    return question
