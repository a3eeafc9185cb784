"""Keeping the process small: fewer glibc heaps, and freed memory given back to the system.

glibc gives every thread that allocates a heap (an "arena") of its own and keeps memory
freed in them for reuse: with thread pools, and after a build whose encoder and analyses
worked in hundreds of MB, the process would stay that much bigger for good.
``limit_arenas`` caps the heaps; ``give_back`` (``malloc_trim``) returns the free pages of
every heap. Elsewhere than glibc (musl, macOS) both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

#: mallopt's parameter for the number of arenas.
M_ARENA_MAX = -8


@functools.cache
def _libc_function(name: str) -> Callable[..., int] | None:
    library = ctypes.util.find_library("c")
    try:
        func: Callable[..., int] | None = getattr(ctypes.CDLL(library), name, None) if library else None
    except OSError:
        return None
    return func


def limit_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread heaps (a server's thread pools would otherwise each grow one)."""
    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt(M_ARENA_MAX, arenas)


def give_back() -> None:
    """Return the process's free heap memory to the system (a few ms; after big jobs, not per request)."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)
