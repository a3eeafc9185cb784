"""The error hierarchy: everything faq-bot raises on purpose is a ``FaqBotError``."""

from __future__ import annotations

from dataclasses import dataclass, field


class FaqBotError(Exception):
    """Base of every error faq-bot raises on purpose."""


class ConfigError(FaqBotError):
    """A setting or a data file next to the FAQ (synonyms, thresholds) is unusable."""


class ModelError(FaqBotError):
    """The embedding model is missing, unreadable or not the expected one."""


@dataclass(frozen=True)
class FormatProblem:
    """One problem in a FAQ file: where it is and what is wrong (Japanese)."""

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"{self.line}行目")
        if self.column:
            where.append(f"列「{self.column}」")
        return (" ".join(where) + ": " if where else "") + self.message


@dataclass
class FaqFormatError(FaqBotError):
    """A FAQ file cannot be used; ``problems`` name the line and column of each fault."""

    source: str
    problems: list[FormatProblem] = field(default_factory=list)
    encoding: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"FAQファイル {self.source} を読み込めません"
        if self.encoding:
            head += f"（文字コード: {self.encoding}）"
        lines = [head + f": {len(self.problems)}件の問題があります。"]
        lines += [f"  {self.source}: {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"  …ほか{len(self.problems) - 50}件")
        return "\n".join(lines)


class IndexMismatchError(FaqBotError):
    """The index on disk was built from another FAQ, model or settings, or is damaged."""
