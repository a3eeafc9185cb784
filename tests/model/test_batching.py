from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from faq_bot.model.batching import MicroBatcher
from faq_bot.model.embedder import Vectors
from tests.fakes import FakeEmbedder


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
    while batcher._queue.qsize() + slow.held < len(texts):  # every question is queued or held
        threading.Event().wait(0.001)
    slow.gate.set()
    for th in threads:
        th.join()
    reference = FakeEmbedder()
    for t in texts:
        np.testing.assert_allclose(results[t], reference.encode_queries([t])[0], atol=1e-6)
    assert max(slow.sizes) > 1 and sum(slow.sizes) == len(texts)  # really coalesced


def test_a_failing_encoder_call_reaches_every_waiting_caller() -> None:
    class Broken(FakeEmbedder):
        def encode_queries(self, texts: Sequence[str]) -> Vectors:
            raise RuntimeError("encoder down")

    batcher = MicroBatcher(Broken())
    try:
        batcher.encode_queries(["x"])
    except RuntimeError as exc:
        assert "encoder down" in str(exc)
    else:
        raise AssertionError("expected the encoder's error")
