"""Visitors first: threads that do staff and editor work ask the kernel for the lowest CPU priority.

On Linux a thread's nice value is its own. A thread that lowered its priority cannot raise
it again (without privileges), so low-priority work gets threads of its own, never the
pool that serves visitors: the bulk encoder's thread, and ``LowPriorityExecutor``.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("faq_bot")
LOWEST_PRIORITY = 19
_this_thread = threading.local()


def lower_this_thread(niceness: int = LOWEST_PRIORITY) -> bool:
    """Give the calling thread (and the threads it starts) the lowest CPU priority; False where not possible."""
    mark_staff_thread()
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (OSError, AttributeError) as exc:
        log.warning("background work runs at normal priority: %s", exc)
        return False
    return True


def mark_staff_thread() -> None:
    """Mark the calling thread as one that does staff and editor work (publishes, reloads, following
    another replica's publish) without lowering its priority: it keeps off what visitors use (janome)."""
    _this_thread.staff = True


def is_staff_thread() -> bool:
    """True on a thread that does staff and editor work (``mark_staff_thread`` or ``lower_this_thread``)."""
    return getattr(_this_thread, "staff", False)


class LowPriorityExecutor(ThreadPoolExecutor):
    """A thread pool whose threads run at the lowest CPU priority."""

    def __init__(self, max_workers: int, name: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=name, initializer=lower_this_thread)
