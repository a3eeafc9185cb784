"""What editors wait for: a cold build of a large FAQ, and a one-entry edit published or tried (dry run).

The large FAQ is synthetic (``benchmarks.synthetic.entries(n, long_answers=True)``): answers
of a real municipal FAQ's size (median ~290 characters, longest ~1,600). Everything runs in
this process on private copies, with the default encoder; a cold build starts from an empty
index directory, so nothing is cached.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks import synthetic
from faq_bot.config import Settings
from faq_bot.content.faq import FaqEntry, dump, load
from faq_bot.publishing.publisher import Publisher
from faq_bot.runtime import open_engine


@dataclass(frozen=True)
class EditTiming:
    """One FAQ: how long its first build took, and a one-entry edit published and tried."""

    entries: int
    answer_chars: int
    cold_build_s: float
    dry_run_s: float
    publish_s: float  # straight away, no dry run before it
    publish_after_dry_run_s: float  # the publish that follows a dry run of the same file (reuses its build)


def one_edit(entries: list[FaqEntry], k: int) -> bytes:
    """The FAQ with one answer changed (a different answer each time ``k`` changes)."""
    out = list(entries)
    i = (7 * k) % len(out)
    out[i] = replace(out[i], answer=f"{out[i].answer}（{k}回目の更新）")
    return dump(out).encode("utf-8")


def measure_edit(settings: Settings, entries: list[FaqEntry], regression: Path | None, rounds: int = 3) -> EditTiming:
    """Build ``entries`` from nothing, then per round: a dry run of a one-entry edit, then its publish (medians).

    ``regression``: the regression set every publish runs (as the server does), if any.
    """
    tmp = Path(tempfile.mkdtemp(prefix="faq-bot-bench-publish-"))
    try:
        faq = tmp / "faq.tsv"
        faq.write_text(dump(entries), encoding="utf-8")
        private = settings.model_copy(update={"faq_path": faq, "index_dir": tmp / "index", "reply_cache_size": 0})
        started = time.perf_counter()
        engine = open_engine(private)
        cold = time.perf_counter() - started
        try:
            publisher = Publisher(engine, regression)
            dry, after_dry, direct = [], [], []
            for k in range(1, rounds + 1):
                raw = one_edit(entries, 2 * k)
                t = time.perf_counter()
                publisher.publish_bytes(raw, "edit.tsv", dry_run=True)
                dry.append(time.perf_counter() - t)
                after_dry.append(_timed_publish(publisher, raw))
                direct.append(_timed_publish(publisher, one_edit(entries, 2 * k + 1)))
        finally:
            engine.close()
        chars = sum(len(e.answer) for e in entries)
        return EditTiming(len(entries), chars, cold, _median(dry), _median(direct), _median(after_dry))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _timed_publish(publisher: Publisher, raw: bytes) -> float:
    t = time.perf_counter()
    result = publisher.publish_bytes(raw, "edit.tsv")
    took = time.perf_counter() - t
    if not result.published:
        raise RuntimeError("the edit was not published")
    return took


def measure_publishing(settings: Settings, quick: bool) -> list[EditTiming]:
    """The shipped FAQ, and (unless ``quick``) a synthetic 2,000-entry one."""
    out = [measure_edit(settings, list(load(settings.faq_path).entries), settings.regression_path)]
    if not quick:
        out.append(measure_edit(settings, synthetic.entries(2_000, long_answers=True), None))
    return out


def _median(xs: list[float]) -> float:
    return sorted(xs)[len(xs) // 2]
