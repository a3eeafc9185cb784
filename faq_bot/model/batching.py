"""Micro-batching: questions arriving together are embedded in one encoder call.

Worker threads take the first waiting question at once (no added delay when
traffic is light) and the questions queued behind it, up to ``max_batch``.
Under load, questions pile up while a batch is being encoded and the next call
takes them all: throughput grows with concurrency instead of each request
fighting for the cores.

Alone, a batch runs on the ``embedder``, whose calls use every core: the
lowest latency for one visitor. Under load, with a ``lane`` encoder (calls on
one core each, safe to run at once), one batch per core runs side by side:
a call spread over both cores waits at every layer for its slower half, and
the half that shares its core with the requests' own Python work is always
slower (measured: 155 → 213 questions/s with Python work beside, see
``docs/benchmarks.md``).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field

import numpy as np

from faq_bot.errors import ModelError
from faq_bot.model.embedder import Embedder, Vectors


@dataclass
class _Job:
    texts: Sequence[str]
    future: Future[Vectors] = field(default_factory=Future)


_STOP = _Job(())  # put on the queue by ``close``: the first thread ends, and tells the helpers to


class MicroBatcher:
    """An ``Embedder`` that coalesces concurrent ``encode_queries`` calls; ``close`` stops its threads.

    ``lane``: an encoder whose calls each use one core and may run at once, and ``lanes`` how many
    (the cores ``embedder`` uses); without one, batches run one after the other on ``embedder``.
    One thread takes the questions and runs every call of ``embedder`` (a session spread over the
    cores is slower when called from changing threads: its p95 went from 8 to 14 ms); the others
    only run the lane batches it hands them.
    """

    def __init__(self, embedder: Embedder, max_batch: int = 32, lane: Embedder | None = None, lanes: int = 1) -> None:
        self.embedder = embedder
        self.lane = lane
        self.max_batch = max_batch
        self.lanes = max(1, lanes) if lane is not None else 1
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._handed: queue.SimpleQueue[list[_Job] | None] = queue.SimpleQueue()  # lane batches for the helpers
        self._closed = False
        self._state = threading.Lock()  # submit and close: nothing is queued behind the stop
        self._cores = threading.Condition()
        self._free = self.lanes  # cores not taken by a running call
        self._handed_out = 0  # shares handed to the helpers and not yet taken
        self.batches = 0  # encoder calls made, for tests and benchmarks
        self.side_by_side = 0  # of which on a lane
        self._threads = [threading.Thread(target=self._run, name="faq-bot-encoder", daemon=True)]
        self._threads += [
            threading.Thread(target=self._help, name=f"faq-bot-encoder-lane-{i}", daemon=True)
            for i in range(1, self.lanes)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """Queue the texts for the next batch and wait for their vectors."""
        return self.submit(texts).result()

    def submit(self, texts: Sequence[str]) -> Future[Vectors]:
        """Queue the texts for the next batch; the future gets their vectors (for callers that must not block).

        A caller that stops waiting may cancel the future: its texts are then left out of the batch.
        """
        with self._state:
            if self._closed or not self._threads[0].is_alive():
                raise ModelError("the encoder is shut down")
            job = _Job(texts)
            self._queue.put(job)
        return job.future

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        return self.embedder.encode_passages(texts, progress)

    def close(self, timeout: float = 5.0) -> None:
        """Finish the queued questions, then stop the worker threads (what is left then fails)."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout)
        # A call that outlived the timeout: what is still queued fails now; the stop goes back for its thread.
        left: list[_Job] = []
        for source in (self._queue, self._handed):
            while True:
                try:
                    item = source.get_nowait()
                except queue.Empty:
                    break
                left += [item] if isinstance(item, _Job) else (item or [])
        if any(j is _STOP for j in left):
            self._queue.put(_STOP)
        if any(t.is_alive() for t in self._threads[1:]):
            for _ in self._threads[1:]:
                self._handed.put(None)
        _fail([j for j in left if j is not _STOP], ModelError("the encoder is shut down"))

    def _run(self) -> None:
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                jobs, stop = self._take(first)
                try:
                    self._dispatch(jobs)
                except Exception as exc:  # never leave a caller waiting, never stop serving
                    _fail(jobs, exc)
                if stop:
                    return
        finally:
            for _ in self._threads[1:]:
                self._handed.put(None)

    def _dispatch(self, jobs: list[_Job]) -> None:
        """Run the jobs: alone on all cores, or one share per core side by side."""
        jobs = [j for j in jobs if j.future.set_running_or_notify_cancel()]  # cancelled: left out
        shares = _shares(jobs, self.lanes) if self.lane is not None else [jobs]
        if len(shares) <= 1:
            if jobs:
                self._encode(jobs, self.embedder, self.lanes)
            return
        with self._cores:  # the helpers took what was handed to them before (no backlog behind them)
            self._cores.wait_for(lambda: self._handed_out == 0)
            self._handed_out += len(shares) - 1
        for share in shares[1:]:
            self._handed.put(share)
        assert self.lane is not None
        self._encode(shares[0], self.lane, 1)

    def _help(self) -> None:
        assert self.lane is not None
        while (share := self._handed.get()) is not None:
            with self._cores:
                self._handed_out -= 1
                self._cores.notify_all()
            try:
                self._encode(share, self.lane, 1)
            except Exception as exc:
                _fail(share, exc)

    def _take(self, first: _Job) -> tuple[list[_Job], bool]:
        """The first job and those queued behind it, up to ``max_batch`` texts a core."""
        jobs = [first]
        size = len(first.texts)
        while size < self.max_batch * self.lanes:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is _STOP:
                return jobs, True
            jobs.append(job)
            size += len(job.texts)
        return jobs, False

    def _encode(self, jobs: list[_Job], encoder: Embedder, cores: int) -> None:
        texts = [t for j in jobs for t in j.texts]
        with self._cores:
            self._cores.wait_for(lambda: self._free >= cores)
            self._free -= cores
        try:
            vectors = encoder.encode_queries(texts) if texts else np.zeros((0, self.dim), np.float32)
        except BaseException as exc:  # hand the failure to every waiting caller
            self._release(cores)
            _fail(jobs, exc)
            return
        # The cores are free before the callers wake: the next question, often already on its way,
        # must find them free.
        self._release(cores)
        with self._cores:
            self.batches += 1
            self.side_by_side += encoder is not self.embedder
        start = 0
        for j in jobs:
            with contextlib.suppress(InvalidStateError):
                j.future.set_result(vectors[start : start + len(j.texts)])
            start += len(j.texts)

    def _release(self, cores: int) -> None:
        with self._cores:
            self._free += cores
            self._cores.notify_all()


def _fail(jobs: Sequence[_Job], exc: BaseException) -> None:
    """Hand a failure to every job still waiting."""
    for j in jobs:
        with contextlib.suppress(InvalidStateError):
            j.future.set_exception(exc)


def _shares(jobs: list[_Job], n: int) -> list[list[_Job]]:
    """The jobs cut into at most ``n`` shares of about as many texts each (in order)."""
    total = sum(len(j.texts) for j in jobs)
    shares: list[list[_Job]] = [[]]
    size = 0
    for job in jobs:
        # A new share when this job would take the current one past its part by more than half the job.
        if shares[-1] and len(shares) < n and size + len(job.texts) / 2 > total * len(shares) / n:
            shares.append([])
        shares[-1].append(job)
        size += len(job.texts)
    return shares
