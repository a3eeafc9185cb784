"""Bulk encoding at the lowest CPU priority: index builds, dry runs, batch tests, log grouping.

Visitors come first. Bulk work runs on its own encoder in one worker thread that asks the
kernel for the lowest priority (nice 19) and then creates that encoder, so the encoder's own
threads (ONNX Runtime's pool) are born at that priority too: while a visitor's question is
being encoded the scheduler gives the cores to it, and the bulk work takes what is left.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from faq_bot.errors import ModelError
from faq_bot.memory import give_back
from faq_bot.model.embedder import Embedder, Vectors
from faq_bot.priority import lower_this_thread


@dataclass
class _Work:
    run: Callable[[], Vectors]
    future: Future[Vectors] = field(default_factory=Future)


class BackgroundEncoder:
    """An ``Embedder`` whose calls run, one at a time, in a low-priority thread (started on first use).

    ``create`` makes the encoder inside that thread; ``like`` is an encoder of the same model
    (its ``model_id`` and ``dim`` are this one's: the vectors are the same).
    """

    def __init__(self, create: Callable[[], Embedder], like: Embedder) -> None:
        self._create = create
        self._like = like
        self.embedder: Embedder | None = None
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def model_id(self) -> str:
        return self._like.model_id

    @property
    def dim(self) -> int:
        return self._like.dim

    def _encoder(self) -> Embedder:
        if self.embedder is None:  # in the worker thread: the encoder's threads inherit its priority
            self.embedder = self._create()
        return self.embedder

    def _enqueue(self, run: Callable[[], Vectors]) -> Future[Vectors]:
        with self._lock:
            if self._closed:
                raise ModelError("the background encoder is shut down")
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="faq-bot-bulk-encoder", daemon=True)
                self._thread.start()
        work = _Work(run)
        self._queue.put(work)
        return work.future

    def _submit(self, run: Callable[[], Vectors]) -> Vectors:
        return self._enqueue(run).result()

    def start(self) -> None:
        """Create the encoder now, in the background (a server's memory is then all there after start-up)."""
        self._enqueue(lambda: self._encoder().encode_queries(["x"]))

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._submit(lambda: self._encoder().encode_queries(texts))

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        return self._submit(lambda: self._encoder().encode_passages(texts))

    def close(self, timeout: float = 5.0) -> None:
        """Finish the queued work, then stop the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _work(self) -> None:
        lower_this_thread()
        while True:
            work = self._queue.get()
            if work is None:
                return
            try:
                work.future.set_result(work.run())
            except BaseException as exc:  # the caller gets the failure; the thread goes on
                work.future.set_exception(exc)
            if self._queue.empty():  # idle: what the work used goes back to the system, not kept by the heap
                give_back()
