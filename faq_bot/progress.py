"""Progress of long work (index builds, publishes, dry runs): a stage and how far it got.

Everything that takes long reports ``Step`` values to a callback; the command line prints
them, the admin page shows them as a progress bar (``faq_bot.publishing.jobs``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One report: what is being done (Japanese, for editors) and, when countable, how far."""

    stage: str
    done: int = 0
    total: int = 0

    @property
    def fraction(self) -> float | None:
        """0..1 when countable, else None."""
        return min(1.0, self.done / self.total) if self.total > 0 else None

    def __str__(self) -> str:
        return f"{self.stage}（{self.done}/{self.total}）" if self.total > 0 else self.stage


Progress = Callable[[Step], None]


def printing(say: Callable[[str], None]) -> Progress:
    """A progress callback that prints each step as a line."""
    return lambda step: say(str(step))


def quiet(_step: Step) -> None:
    """A progress callback that reports nothing."""
