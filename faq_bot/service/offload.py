"""Where request handlers run blocking work: visitors' on the event loop and the shared thread pool,
staff's at low priority.

A visitor's question waits for the micro-batched encoder without holding a thread. A short question
to a FAQ of up to ``LOOP_ENTRIES`` entries is also read and decided on the event loop (each step
well under a millisecond): no thread hop per request, and under load the encoder's batches, not a
crowd of threads, set the pace. A long message (janome takes ~8 ms for 500 characters) or a large
FAQ (a search takes milliseconds) is read and decided on the shared thread pool instead, so that
no request holds the loop for long.

Staff and editor work (log pages, batch tests, builds and publishes, their progress pages)
runs in a small pool of lowest-priority threads (``faq_bot.priority``): on a busy machine the
kernel gives the cores to the visitors' requests first, and the staff work takes what is left.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from faq_bot.model.batching import MicroBatcher
from faq_bot.priority import LowPriorityExecutor
from faq_bot.retrieval.decision import Reply
from faq_bot.retrieval.engine import Loaded

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


#: Read and decide on the event loop only for FAQs up to this many entries (a search of 1,000
#: entries takes ~1 ms, of 10,000 ~4 ms: docs/benchmarks.md) ...
LOOP_ENTRIES = 1_000
#: ... and messages up to this many characters (janome: ~0.35 ms for a question, ~8 ms for 500 characters).
LOOP_CHARS = 200


async def reply_to(loaded: Loaded, message: str, categories: Sequence[str] | None) -> Reply:
    """A visitor's reply from one FAQ version (``Loaded.ask``, without blocking the event loop)."""
    encoder = loaded.retriever.embedder
    if not isinstance(encoder, MicroBatcher):
        return await run_in_threadpool(loaded.ask, message, categories)  # e.g. torch: no batcher to wait for
    on_loop = (
        loaded.retriever.reads_at_once() and len(loaded.index.entries) <= LOOP_ENTRIES and len(message) <= LOOP_CHARS
    )
    step = loaded.begin(message, categories) if on_loop else await run_in_threadpool(loaded.begin, message, categories)
    if isinstance(step, Reply):
        return step
    vectors = await asyncio.wrap_future(encoder.submit(step.views))
    return loaded.finish(step, vectors) if on_loop else await run_in_threadpool(loaded.finish, step, vectors)
