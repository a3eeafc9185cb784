"""Concurrency for tests: work started on several threads at the same moment (as several replicas or requests
would), and a coroutine on an event loop of its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def errors_together(work: Callable[[], object], times: int) -> list[BaseException]:
    """Run ``work`` on ``times`` threads released together (a barrier); what they raised."""
    start = threading.Barrier(times)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def on_a_loop_of_its_own(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a new event loop in a thread of its own (other tests may leave one running here:
    Playwright's sync API keeps one in the main thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=60)
