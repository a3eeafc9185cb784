"""Giving freed memory back to the operating system.

glibc keeps memory that was freed in its heaps (one per thread that allocated) for reuse;
after a build, whose encoder and analyses worked in hundreds of MB, the process would stay
that much bigger for good. ``malloc_trim`` returns the free pages of every heap. Elsewhere
(musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] | None = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None
    return trim


def give_back() -> None:
    """Return the process's free heap memory to the system (a few ms; after big jobs, not per request)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
