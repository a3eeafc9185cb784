"""The error hierarchy: everything faq-bot raises on purpose is a ``FaqBotError``.

Lower layers raise these; only the edges translate them (``faq_bot.service.handlers``
to HTTP status codes, ``faq_bot.cli`` to exit codes). Messages meant for visitors and
editors are Japanese.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


class FaqBotError(Exception):
    """Base of every error faq-bot raises on purpose."""


class ConfigError(FaqBotError):
    """A setting or a data file next to the FAQ (synonyms, thresholds) is unusable."""


class ModelError(FaqBotError):
    """The embedding model is missing, unreadable or not the expected one."""


class IndexMismatchError(FaqBotError):
    """The index on disk was built from another FAQ, model or settings, or is damaged."""


class LogUnavailableError(FaqBotError):
    """The conversation log cannot be read or written (disk full, locked, unwritable path); chat goes on."""


class SessionStoreError(FaqBotError):
    """The admin session store cannot be read or written."""


class DatabaseError(FaqBotError):
    """The database (the SQLite file, or PostgreSQL shared by replicas) cannot be reached or migrated."""


class PublishConflictError(FaqBotError):
    """Another publish or rollback changed the current FAQ version first (answered 409)."""

    def __init__(self, expected: str | None, current: str | None) -> None:
        self.expected = expected
        self.current = current
        super().__init__(
            "別の公開またはロールバックが先に完了したため、この公開は取り消しました"
            f"（公開中の版: {current or 'なし'}）。最新の内容を確認してから、もう一度公開してください。"
        )


class StaleFileError(FaqBotError):
    """A file made from an older FAQ version would undo what was published since (answered 409, with the ids)."""

    def __init__(
        self, undone: Sequence[str], conflicts: Sequence[str], *, known: bool = True, order: bool = False
    ) -> None:
        self.undone = list(undone)
        self.conflicts = list(conflicts)
        self.known = known
        self.order = order
        if not known:
            what = "その版はもう保存されていないため、その後の変更を元に戻さないか確かめられません"
        else:
            parts = [f"その後に公開された変更を元に戻すFAQ（id: {_some(self.undone)}）"] if self.undone else []
            if self.conflicts:
                parts.append(f"その後に公開された内容と違う内容に変えたFAQ（id: {_some(self.conflicts)}）")
            what = "、".join(parts) + "があり" if parts else ""
            if order:
                what += ("、" if what else "") + "その後に公開された並び順の変更が元に戻ります"
            elif what:
                what += "ます"
        super().__init__(
            f"このファイルは公開中とは別の版から作られており、{what}。"
            "管理画面でアップロードして差分を確かめるか、上書きしてよければ overwrite=1 を付けて公開してください。"
        )


def _some(ids: Sequence[str], shown: int = 10) -> str:
    """Ids for a message: the first ``shown``, then how many more."""
    more = f" ほか{len(ids) - shown}件" if len(ids) > shown else ""
    return "、".join(ids[:shown]) + more


class InvalidQuestionError(FaqBotError):
    """A visitor's or staff member's question is empty or too long."""


class MessageTooLongError(InvalidQuestionError):
    """A question longer than the server takes (``limit`` characters): the reply names the limit, so
    that a widget configured for another one counts against this one."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"メッセージは{limit}文字以内で入力してください。")


class UnknownCategoryError(FaqBotError):
    """A search named a category the FAQ does not have."""

    def __init__(self, unknown: Sequence[str], known: Sequence[str]) -> None:
        self.unknown = list(unknown)
        self.known = list(known)
        shown = "、".join(self.known[:20]) + ("…" if len(self.known) > 20 else "")
        super().__init__(f"不明な分類です: {'、'.join(self.unknown)}（このFAQの分類: {shown or 'なし'}）")


class NotFoundError(FaqBotError):
    """Something named by id does not exist."""


class EntryNotFoundError(NotFoundError):
    """No FAQ entry has this id."""

    def __init__(self, entry_id: str) -> None:
        self.entry_id = entry_id
        super().__init__(f"指定されたFAQ（id: {entry_id[:40]}）は見つかりません。")


class VersionNotFoundError(NotFoundError):
    """A rollback named a version that is not kept."""

    @classmethod
    def unknown(cls, build_id: str) -> VersionNotFoundError:
        """The error for an id no kept version has (a mistyped or old address, a version pruned since)."""
        return cls(
            f"そのバージョン（{build_id[:60]}）は見つかりません。戻せるバージョンは「FAQの公開」ページの「バージョン」の"
            "一覧から選んでください。"
        )


class TooLargeError(FaqBotError):
    """An uploaded file is over the size limit."""


class NotReadyError(FaqBotError):
    """The service is still loading the model or the index."""

    def __init__(self) -> None:
        super().__init__("ただいま準備中です。しばらくしてからもう一度お試しください。")


def waiting_time(seconds: int) -> str:
    """A wait as people say it, before 「ほど」: 「40秒」 up to a minute and a half, then 「15分」 (never 「898秒」, nor
    「約15分ほど」, which says "about" twice)."""
    return f"{seconds}秒" if seconds < 90 else f"{math.ceil(seconds / 60)}分"


class RateLimitedError(FaqBotError):
    """A client sent more requests than the limit allows; ``retry_after`` seconds until the next."""

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(
            message
            or f"短時間に多くの質問が送られました。{waiting_time(retry_after)}ほど待ってから、もう一度お試しください。"
        )


class LoginThrottledError(RateLimitedError):
    """A client failed to log in (wrong admin token) too often; ``retry_after`` seconds until it may try again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            retry_after,
            f"ログインの失敗が続いたため、しばらくログインできません。{waiting_time(retry_after)}ほど待ってから、"
            "もう一度お試しください。",
        )


class AuthError(FaqBotError):
    """Admin credentials are missing (401), wrong (403), or admin is disabled (503)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


class LoginRequiredError(FaqBotError):
    """An admin page needs a logged-in editor (answered with a redirect to the login page)."""


@dataclass(frozen=True)
class FormatProblem:
    """One problem in a FAQ file: where it is and what is wrong (Japanese)."""

    line: int | None
    column: str | None
    message: str
    apart: str = ""  # the message without the file's lines, if it names one (the entry editor shows no file)

    def without_line(self) -> FormatProblem:
        """The problem told without the file's lines (to the editor of one entry)."""
        return FormatProblem(None, self.column, self.apart or self.message)

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"{self.line}行目")
        if self.column:
            # An Excel column is named already (「C列（質問）」); a TSV column by its heading.
            where.append(self.column if "列（" in self.column else f"列「{self.column}」")
        return (" ".join(where) + ": " if where else "") + self.message


def encoding_label(encoding: str) -> str:
    """How a file was read, for editors: 「文字コード: CP932 (Shift_JIS)」 or 「形式: Excel (.xlsx)」."""
    return f"形式: {encoding}" if encoding.startswith("Excel") else f"文字コード: {encoding}"


@dataclass
class FaqFormatError(FaqBotError):
    """A FAQ file cannot be used; ``problems`` name the line and column of each fault."""

    source: str
    problems: list[FormatProblem] = field(default_factory=list)
    encoding: str | None = None
    what: str = "FAQファイル"  # or 質問集 (a labelled question set)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @property
    def summary(self) -> str:
        """The first line of the message: which file, how many problems."""
        return str(self).splitlines()[0]

    @property
    def encoding_label(self) -> str:
        """「文字コード: UTF-8」, or 「形式: Excel (.xlsx)」 for a workbook (no text encoding); "" if unknown."""
        return encoding_label(self.encoding) if self.encoding else ""

    def __str__(self) -> str:
        head = f"{self.what}「{self.source}」を読み込めません"
        if self.encoding:
            head += f"（{self.encoding_label}）"
        lines = [head + f": {len(self.problems)}件の問題があります。"]
        lines += [f"  {self.source}: {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"  …ほか{len(self.problems) - 50}件")
        return "\n".join(lines)
