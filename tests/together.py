"""Work started on several threads at the same moment, as several replicas or requests would."""

from __future__ import annotations

import threading
from collections.abc import Callable


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
