"""Micro-batching: questions arriving together are embedded in one encoder call.

A single worker thread takes the first waiting question at once (no added delay
when traffic is light) and every question queued behind it, up to
``max_batch``. Under load, questions pile up while a batch is being encoded and
the next call takes them all: throughput grows with concurrency instead of each
request fighting for the two cores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from faq_bot.errors import ModelError
from faq_bot.model.embedder import Embedder, Vectors


@dataclass
class _Job:
    texts: Sequence[str]
    future: Future[Vectors] = field(default_factory=Future)


_STOP = _Job(())  # put on the queue by ``close``: the worker ends


class MicroBatcher:
    """An ``Embedder`` that coalesces concurrent ``encode_queries`` calls; ``close`` stops its thread."""

    def __init__(self, embedder: Embedder, max_batch: int = 32) -> None:
        self.embedder = embedder
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="faq-bot-encoder", daemon=True)
        self._worker.start()
        self.batches = 0  # encoder calls made, for tests and benchmarks

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """Queue the texts for the next batch and wait for their vectors."""
        if self._closed:
            raise ModelError("the encoder is shut down")
        job = _Job(texts)
        self._queue.put(job)
        return job.future.result()

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        return self.embedder.encode_passages(texts, progress)

    def close(self, timeout: float = 5.0) -> None:
        """Finish the queued questions, then stop the worker thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._worker.join(timeout)

    def _run(self) -> None:
        while True:
            jobs = [self._queue.get()]
            if jobs[0] is _STOP:
                return
            stop = False
            size = len(jobs[0].texts)
            while size < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is _STOP:
                    stop = True
                    break
                jobs.append(job)
                size += len(job.texts)
            self._encode(jobs)
            if stop:
                return

    def _encode(self, jobs: list[_Job]) -> None:
        texts = [t for j in jobs for t in j.texts]
        try:
            vectors = self.embedder.encode_queries(texts) if texts else np.zeros((0, self.dim), np.float32)
        except BaseException as exc:  # hand the failure to every waiting caller
            for j in jobs:
                j.future.set_exception(exc)
            return
        self.batches += 1
        start = 0
        for j in jobs:
            j.future.set_result(vectors[start : start + len(j.texts)])
            start += len(j.texts)
