from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np
import pytest

from faq_bot.errors import ModelError
from faq_bot.model.batching import MicroBatcher, _Job, _shares
from faq_bot.model.embedder import Vectors
from tests.fakes import FakeEmbedder
from tests.waiting import wait_until


class SlowFake(FakeEmbedder):
    """Holds each encoder call until released, so that questions queue up behind it."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.sizes: list[int] = []
        self.held = 0  # questions inside the held call

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        if not self.gate.is_set():
            self.held = len(texts)
        self.gate.wait()
        self.sizes.append(len(texts))
        return super().encode_queries(texts)


def test_micro_batched_vectors_equal_one_by_one_vectors() -> None:
    slow = SlowFake()
    batcher = MicroBatcher(slow, max_batch=32)
    texts = [f"質問その{i}について" for i in range(20)]
    results: dict[str, np.ndarray] = {}
    lock = threading.Lock()

    def ask(t: str) -> None:
        v = batcher.encode_queries([t])[0]
        with lock:
            results[t] = v

    threads = [threading.Thread(target=ask, args=(t,)) for t in texts]
    for th in threads:
        th.start()
    wait_until(lambda: batcher._queue.qsize() + slow.held == len(texts), what="every question queued or held")
    slow.gate.set()
    for th in threads:
        th.join()
    reference = FakeEmbedder()
    for t in texts:
        np.testing.assert_allclose(results[t], reference.encode_queries([t])[0], atol=1e-6)
    assert max(slow.sizes) > 1 and sum(slow.sizes) == len(texts)  # really coalesced


def test_a_failing_encoder_call_reaches_every_waiting_caller() -> None:
    class Broken(SlowFake):
        """Holds the first call until released; every call fails."""

        def encode_queries(self, texts: Sequence[str]) -> Vectors:
            super().encode_queries(texts)
            raise RuntimeError(f"encoder down ({len(texts)} questions)")

    broken = Broken()
    batcher = MicroBatcher(broken, max_batch=32)
    outcomes: dict[int, BaseException | None] = {}
    lock = threading.Lock()

    def ask(i: int) -> None:
        try:
            batcher.encode_queries([f"質問{i}"])
        except BaseException as exc:  # what this caller got
            with lock:
                outcomes[i] = exc
        else:
            with lock:
                outcomes[i] = None

    callers = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for c in callers:
        c.start()
    # The first question(s) are inside the held call; the rest wait behind it and share the next call.
    wait_until(lambda: batcher._queue.qsize() + broken.held == len(callers), what="every caller waiting")
    broken.gate.set()
    for c in callers:
        c.join(timeout=20)
        assert not c.is_alive(), "a caller was never answered"
    assert sum(broken.sizes) == len(callers) and max(broken.sizes) > 1  # calls really held several callers
    assert sorted(outcomes) == list(range(len(callers)))
    assert all(isinstance(exc, RuntimeError) for exc in outcomes.values()), outcomes
    # Each failing call reached every caller it held: n callers got "encoder down (n questions)".
    expected: Counter[str] = Counter()
    for n in broken.sizes:
        expected[f"encoder down ({n} questions)"] += n
    assert Counter(str(exc) for exc in outcomes.values()) == expected
    batcher.close()


def test_the_encoder_thread_keeps_serving_after_a_failed_call() -> None:
    class FailsOnce(FakeEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.failed = False

        def encode_queries(self, texts: Sequence[str]) -> Vectors:
            if not self.failed:
                self.failed = True
                raise RuntimeError("encoder down")
            return super().encode_queries(texts)

    batcher = MicroBatcher(FailsOnce())
    with pytest.raises(RuntimeError, match="encoder down"):
        batcher.encode_queries(["x"])
    np.testing.assert_allclose(batcher.encode_queries(["質問"])[0], FakeEmbedder().encode_queries(["質問"])[0])
    batcher.close()


class Recording(FakeEmbedder):
    """Records which thread made each call, how many calls ran at once, and can hold calls."""

    def __init__(self, together: int = 1) -> None:
        super().__init__()
        self.threads: list[int] = []
        self.active = self.most_active = 0
        self.together = threading.Barrier(together) if together > 1 else None
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        with self.lock:
            self.threads.append(threading.get_ident())
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            self.gate.wait()
            if self.together is not None:
                self.together.wait(timeout=20)  # fails unless the calls really overlap
            return super().encode_queries(texts)
        finally:
            with self.lock:
                self.active -= 1


def test_a_question_alone_runs_on_all_cores_and_questions_together_run_side_by_side() -> None:
    whole, lane = Recording(), Recording(together=2)
    batcher = MicroBatcher(whole, max_batch=32, lane=lane, lanes=2)
    reference = FakeEmbedder()
    np.testing.assert_allclose(batcher.encode_queries(["一つだけ"]), reference.encode_queries(["一つだけ"]), atol=1e-6)
    assert len(whole.threads) == 1 and not lane.threads  # alone: the encoder that uses every core

    whole.gate.clear()  # the next question is held in its call while ten more queue behind it
    first = batcher.submit(["先頭"])
    wait_until(lambda: whole.active == 1, what="the first question held")
    texts = [f"質問その{i}" for i in range(10)]
    futures = [batcher.submit([t]) for t in texts]
    whole.gate.set()
    for t, f in zip(texts, futures, strict=True):
        np.testing.assert_allclose(f.result(timeout=20)[0], reference.encode_queries([t])[0], atol=1e-6)
    first.result(timeout=20)
    # The ten went in two shares, one per core, at the same time and on two threads.
    assert lane.most_active == 2 and len(set(lane.threads)) == 2 and batcher.side_by_side == 2
    # The encoder spread over the cores is only ever called from one thread.
    assert len(set(whole.threads)) == 1
    batcher.close()
    assert not any(t.is_alive() for t in batcher._threads)


def held_batcher() -> tuple[Recording, MicroBatcher, Future[Vectors]]:
    """A batcher whose first question is held inside its encoder call (``gate`` releases it)."""
    whole = Recording()
    batcher = MicroBatcher(whole)
    whole.gate.clear()
    first = batcher.submit(["先頭"])
    wait_until(lambda: whole.active == 1, what="the first question held")
    return whole, batcher, first


def test_a_caller_that_stops_waiting_leaves_the_encoder_serving_the_others() -> None:
    whole, batcher, first = held_batcher()
    gone, kept = batcher.submit(["待ちきれない質問"]), batcher.submit(["待つ質問"])
    assert gone.cancel()  # e.g. a request cancelled at shutdown or by a timeout
    whole.gate.set()
    np.testing.assert_allclose(kept.result(timeout=20)[0], FakeEmbedder().encode_queries(["待つ質問"])[0], atol=1e-6)
    first.result(timeout=20)
    assert batcher.encode_queries(["次の質問"]).shape[0] == 1 and batcher._threads[0].is_alive()
    batcher.close()
    with pytest.raises(ModelError):
        batcher.submit(["閉じた後"])


def test_questions_queued_when_the_encoder_closes_are_failed_not_left_waiting() -> None:
    whole, batcher, held = held_batcher()
    behind = batcher.submit(["後ろの質問"])
    closing = threading.Thread(target=batcher.close, kwargs={"timeout": 0.2})
    closing.start()
    closing.join(20)  # the held call outlives the timeout: what is still queued fails at once
    with pytest.raises(ModelError):
        behind.result(timeout=20)
    whole.gate.set()
    held.result(timeout=20)
    batcher._threads[0].join(20)
    assert not batcher._threads[0].is_alive()  # the stop was kept for it


def test_shares_are_cut_so_that_both_cores_get_work() -> None:
    def sizes(*jobs: int) -> list[list[int]]:
        return [[len(j.texts) for j in share] for share in _shares([_Job(["x"] * k) for k in jobs], 2)]

    assert sizes(1) == [[1]]
    assert sizes(1, 2) == [[1], [2]] and sizes(2, 3) == [[2], [3]] and sizes(1, 1, 3) == [[1, 1], [3]]
    assert sizes(*[1] * 32) == [[1] * 16, [1] * 16]
