from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from faq_bot.errors import ModelError
from faq_bot.model.background import BackgroundEncoder
from faq_bot.model.embedder import Vectors
from faq_bot.priority import LOWEST_PRIORITY
from tests.fakes import FakeEmbedder


class ThreadRecorder(FakeEmbedder):
    """Remembers the thread (and its nice value) that created it and that encoded."""

    def __init__(self) -> None:
        super().__init__()
        self.created_in = threading.get_native_id()
        self.niceness: list[int] = []

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        self.niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        if "fail" in texts:
            raise ValueError("encoder failed")
        return super().encode_queries(texts)


def test_bulk_work_runs_in_a_lowest_priority_thread_on_an_encoder_made_there() -> None:
    made: list[ThreadRecorder] = []
    like = FakeEmbedder()
    bulk = BackgroundEncoder(lambda: made.append(ThreadRecorder()) or made[-1], like=like)
    assert made == []  # nothing is created before the first bulk call
    vectors = bulk.encode_passages(["請求書の発行", "見積書"])
    assert np.array_equal(vectors, like.encode_passages(["請求書の発行", "見積書"]))
    assert len(made) == 1 and made[0].created_in != threading.get_native_id()
    assert made[0].niceness == [LOWEST_PRIORITY]
    assert bulk.model_id == like.model_id and bulk.dim == like.dim
    bulk.encode_queries(["もう一度"])
    assert len(made) == 1  # one encoder, made once
    bulk.close()


def test_start_creates_the_encoder_in_the_background_before_any_bulk_call() -> None:
    made: list[ThreadRecorder] = []
    bulk = BackgroundEncoder(lambda: made.append(ThreadRecorder()) or made[-1], like=FakeEmbedder())
    bulk.start()
    bulk.close()  # finishes the queued work first
    assert len(made) == 1 and made[0].created_in != threading.get_native_id()


def test_a_failure_reaches_the_caller_and_the_thread_goes_on() -> None:
    bulk = BackgroundEncoder(ThreadRecorder, like=FakeEmbedder())
    with pytest.raises(ValueError, match="encoder failed"):
        bulk.encode_queries(["fail"])
    assert bulk.encode_queries(["ok"]).shape == (1, 64)
    bulk.close()
    with pytest.raises(ModelError):
        bulk.encode_queries(["after close"])
