from __future__ import annotations

import sys
from pathlib import Path

import pytest

from faq_bot.memory import give_back


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc heaps")
def test_freed_heap_memory_goes_back_to_the_system() -> None:
    # Many small objects come from the heap (not mmap); freed, glibc keeps them unless trimmed.
    chunks = [bytearray(4000) for _ in range(60_000)]  # ~240 MB
    keep = chunks[-1]  # something at the top of the heap stays alive: no automatic trim
    del chunks
    before = rss_mb()
    give_back()
    assert before - rss_mb() > 100
    assert len(keep) == 4000
