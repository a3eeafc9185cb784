from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
from collections.abc import Sequence
from typing import Any, TypeVar

import pytest

from faq_bot.config import Settings
from faq_bot.errors import UnknownCategoryError
from faq_bot.model.batching import MicroBatcher
from faq_bot.model.embedder import Vectors
from faq_bot.priority import LOWEST_PRIORITY
from faq_bot.retrieval.decision import Reply
from faq_bot.retrieval.retriever import Retriever
from faq_bot.runtime import open_engine
from faq_bot.service.offload import LOOP_CHARS, in_background, reply_to
from tests.fakes import FakeEmbedder
from tests.together import on_a_loop_of_its_own

T = TypeVar("T")


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


class CountingFake(FakeEmbedder):
    """Records the threads its calls ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        self.threads.add(threading.current_thread().name)
        return super().encode_queries(texts)


def test_a_visitors_question_is_read_on_the_loop_and_waits_for_the_batcher_without_a_thread(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = CountingFake()
    batcher = MicroBatcher(fake)
    engine = open_engine(settings.model_copy(update={"reply_cache_size": 0}), batcher)
    loaded = engine.current
    question = "請求書はダウンロードできますか"
    fake.threads.clear()  # (the index was built meanwhile)

    async def main() -> tuple[Reply, set[str]]:
        threads_before = {t.name for t in threading.enumerate()}
        reply = await reply_to(loaded, question, None)
        return reply, {t.name for t in threading.enumerate()} - threads_before

    try:
        reply, new_threads = on_a_loop_of_its_own(main())
        expected = engine.ask(question)
        assert [h.entry.id for h in reply.search.hits] == [h.entry.id for h in expected.search.hits]
        assert reply.decision == expected.decision and reply.confidence == pytest.approx(expected.confidence)
        assert fake.threads == {"faq-bot-encoder"} and not new_threads  # no worker thread was started
        # The engine prepared what reading needs before the version served; a retriever that did not
        # (a second on a large FAQ) has its questions read off the loop, with the same reply.
        assert loaded.retriever.reads_at_once()
        r = loaded.retriever
        unprepared = dataclasses.replace(loaded, retriever=Retriever(r.index, r.embedder, r.analyzer, r.params))
        assert not unprepared.retriever.reads_at_once()
        other = on_a_loop_of_its_own(reply_to(unprepared, question, None))
        assert [h.entry.id for h in other.search.hits] == [h.entry.id for h in reply.search.hits]
        assert unprepared.retriever.reads_at_once()
        # A long message is read on the thread pool (janome takes milliseconds for it), not on the loop.
        readers: list[str] = []
        real_parse = Retriever.parse

        def parse(self: Retriever, query: str) -> Any:
            readers.append(threading.current_thread().name)
            return real_parse(self, query)

        monkeypatch.setattr(Retriever, "parse", parse)

        async def loop_and_reply(text: str) -> str:
            await reply_to(loaded, text, None)
            return threading.current_thread().name

        loop_thread = on_a_loop_of_its_own(loop_and_reply(question))
        assert readers == [loop_thread]
        long_message = "いつもお世話になっております。" * 15 + question
        assert len(long_message) > LOOP_CHARS
        other_thread = on_a_loop_of_its_own(loop_and_reply(long_message))
        assert len(readers) == 2 and readers[1] != other_thread
        with pytest.raises(UnknownCategoryError):
            on_a_loop_of_its_own(reply_to(loaded, question, ["存在しない分類"]))
    finally:
        batcher.close()
