"""Where request handlers run blocking work: visitors' on the shared thread pool, staff's at low priority.

Staff and editor work (log pages, batch tests, builds and publishes, their progress pages)
runs in a small pool of lowest-priority threads (``faq_bot.priority``): on a busy machine the
kernel gives the cores to the visitors' requests first, and the staff work takes what is left.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from faq_bot.priority import LowPriorityExecutor

P = ParamSpec("P")
T = TypeVar("T")
#: Staff actions running at once (more wait their turn: their pages show progress meanwhile).
STAFF_THREADS = 4


@functools.cache
def _staff_pool() -> LowPriorityExecutor:
    return LowPriorityExecutor(STAFF_THREADS, "faq-bot-staff")


async def in_background(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run staff work on a lowest-priority thread and wait for it without blocking the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_staff_pool(), functools.partial(func, *args, **kwargs))
