from __future__ import annotations

import asyncio
import os
import threading

from faq_bot.priority import LOWEST_PRIORITY
from faq_bot.service.offload import in_background


def where() -> tuple[int, int]:
    tid = threading.get_native_id()
    return tid, os.getpriority(os.PRIO_PROCESS, tid)


def test_staff_work_runs_on_a_lowest_priority_thread_and_the_loop_thread_keeps_its_own() -> None:
    async def main() -> tuple[tuple[int, int], tuple[int, int]]:
        return where(), await in_background(where)

    out: list[tuple[tuple[int, int], tuple[int, int]]] = []
    runner = threading.Thread(target=lambda: out.append(asyncio.run(main())))  # a loop of its own
    runner.start()
    runner.join()
    (loop_tid, loop_nice), (tid, nice) = out[0]
    assert tid != loop_tid and nice == LOWEST_PRIORITY and loop_nice < LOWEST_PRIORITY
