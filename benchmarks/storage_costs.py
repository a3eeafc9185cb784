"""What the shared store costs: a log write on PostgreSQL vs SQLite, and how a replica gets a published build.

Log writes: ``ChatLog.write`` as the background writer calls it, one question per
transaction (a quiet bot: every row waits for its own commit) and 500 per transaction
(the writer's batches under load); SQLite in WAL with ``synchronous=NORMAL`` (the
default log), PostgreSQL 15 with its defaults (fsync and synchronous commit on), both
on this machine's disk.

Versions: a replica can get a published version as the build's files (what faq-bot
stores: a tar of the build folder) or rebuild it from the TSV plus cached vectors and
janome analyses (no encoder call either way). Both are timed on the same FAQ with a
deterministic stand-in encoder of the real model's width (384): no text is encoded in
the timed part, so the encoder does not matter.
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import synthetic
from benchmarks.services import Postgres
from faq_bot.config import Settings
from faq_bot.content import faq as faq_table
from faq_bot.publishing.shared import pack, unpack
from faq_bot.retrieval import store
from faq_bot.retrieval.cache import BuildCache
from faq_bot.retrieval.index import build
from faq_bot.storage.chatlog import ChatLog, ChatRecord
from faq_bot.storage.database import Database, postgres_url
from faq_bot.text.analyzer import TextAnalyzer
from faq_bot.text.synonyms import SynonymTable


def _record(i: int) -> ChatRecord:
    return ChatRecord(f"bench-{i}", f"請求書はいつ発行されますか（{i}）", "answer", "1", 0.84, "6bf6b452b992")


def _log_cost(log: ChatLog, singles: int, batches: int) -> dict[str, float]:
    log.open()
    took = []
    for i in range(singles):
        t = time.perf_counter()
        log.write([_record(i)])
        took.append((time.perf_counter() - t) * 1000)
    batch_ms = []
    for b in range(batches):
        rows = [_record(1_000_000 + b * 500 + i) for i in range(500)]
        t = time.perf_counter()
        log.write(rows)
        batch_ms.append((time.perf_counter() - t) * 1000)
    ordered = sorted(took)
    return {
        "single_p50_ms": statistics.median(ordered),
        "single_p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
        "batched_us_per_row": statistics.median(batch_ms) * 1000 / 500,
    }


def log_write_costs(singles: int = 1000, batches: int = 10) -> dict[str, dict[str, float]]:
    """The cost of a log write on each backend."""
    out = {}
    tmp = Path(tempfile.mkdtemp(prefix="faq-bot-logcost-"))
    try:
        out["SQLite (WAL, synchronous=NORMAL)"] = _log_cost(ChatLog(Database.sqlite(tmp / "log.db")), singles, batches)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    server = Postgres(fast=False).start()  # fsync and synchronous commit on, as in production
    try:
        db = Database(postgres_url(server.create_database("logcost")))
        out["PostgreSQL 15 (defaults: fsync, synchronous commit)"] = _log_cost(ChatLog(db), singles, batches)
        db.dispose()
    finally:
        server.stop()
    return out


class StandInEncoder:
    """Deterministic 384-wide vectors from a text's hash; counts the texts it was asked to encode."""

    model_id = "stand-in-384"
    dim = 384

    def __init__(self) -> None:
        self.encoded = 0

    def encode_queries(self, texts: Sequence[str]) -> Any:
        self.encoded += len(texts)
        out = np.stack(
            [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).standard_normal(384)
             for t in texts]
        ).astype(np.float32)  # fmt: skip
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Any:
        return self.encode_queries(texts)


def version_transfer(sizes: Sequence[int] = (0, 2000), repeats: int = 5) -> list[dict[str, Any]]:
    """For the shipped FAQ (0) and synthetic FAQs: packed build size and load time vs a rebuild from the cache."""
    settings = Settings()
    analyzer = TextAnalyzer(SynonymTable.load(settings.synonyms_path))
    params = settings.retrieval_params().index
    rows = []
    for n in sizes:
        raw = (
            settings.faq_path.read_bytes()
            if n == 0
            else faq_table.dump(synthetic.entries(n, long_answers=True)).encode()
        )
        faq = faq_table.read_bytes(raw, "faq.tsv")
        tmp = Path(tempfile.mkdtemp(prefix="faq-bot-versions-"))
        try:
            encoder = StandInEncoder()
            cache = BuildCache(tmp / "cache.sqlite3")
            built = build(faq, encoder, analyzer, params, None, cache)  # fills the cache
            folder = store.save(built, tmp / "index", tsv=raw)
            packed = pack(folder)
            texts = encoder.encoded
            rebuild, load = [], []
            for i in range(repeats):
                t = time.perf_counter()
                build(faq, encoder, analyzer, params, None, cache)
                rebuild.append(time.perf_counter() - t)
                t = time.perf_counter()
                store.load(unpack(packed, tmp / f"replica{i}", folder.name))
                load.append(time.perf_counter() - t)
            assert encoder.encoded == texts, "a rebuild from the cache encoded something"
            cache.close()
            cached_bytes = (tmp / "cache.sqlite3").stat().st_size
            rows.append({
                "entries": len(faq.entries), "tsv_kb": len(raw) / 1024, "texts": texts,
                "packed_kb": len(packed) / 1024, "cache_kb": cached_bytes / 1024,
                "unpack_load_s": statistics.median(load), "rebuild_from_cache_s": statistics.median(rebuild),
            })  # fmt: skip
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows
