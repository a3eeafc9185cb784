"""Staff work next to visitors: the question-log pages on a large log, and a batch test, while a visitor chats.

The log is filled beforehand as the server would have written it: 10,000 questions
(phrasings of the synthetic FAQ's questions, some asked many times), of which about
four in ten were escalated or answered with suggestions and carry the embedding their
chat computed. The server then starts on it; the figures are the first log page after
start-up, later pages, and one visitor's chat latency while staff pages load or a batch
test runs, against the same visitor's idle latency.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

from benchmarks import synthetic
from benchmarks.harness import TOKEN, Timing, free_port, start_server
from benchmarks.load import chat_during
from faq_bot.config import Settings
from faq_bot.runtime import open_engine
from faq_bot.storage.chatlog import UNSETTLED, ChatLog, ChatRecord, pack_vector
from faq_bot.storage.database import Database

_ENDINGS = ("", "？", "でしょうか", "を知りたい", "について教えて", "はどうなっていますか")


@dataclass(frozen=True)
class StaffTiming:
    """The log pages on a large log, and chat latency while staff work."""

    logged: int
    unsettled: int
    first_page_s: float  # the first log page after start-up
    page_s: float  # later pages (median)
    answers: int  # answered questions under 80 % (the answers to check)
    answers_page_s: float  # a page of the answers to check (median)
    idle: Timing
    while_log_pages: Timing
    while_batch_test: Timing


def fill_log(settings: Settings, path: Path, n: int) -> int:
    """A log of ``n`` questions as the chat route writes them (answers with probabilities from 0.45 to 1); returns
    how many are unsettled."""
    rng = random.Random(7)
    stems = [e.question for e in synthetic.entries(max(50, n // 5))]
    engine = open_engine(settings.model_copy(update={"micro_batch": False, "reply_cache_size": 0}))
    try:
        retriever, model = engine.current.retriever, engine.embedder.model_id
        now = time.time()
        records = []
        for i in range(n):
            text = rng.choice(stems) + rng.choice(_ENDINGS)
            decision = ("answer", "answer", "answer", "suggest", "escalate")[rng.randrange(5)]
            records.append((f"bench-{i}", text, decision, now - rng.uniform(0, 20 * 86400)))
        unsettled = [r for r in records if r[2] in UNSETTLED]
        texts = [retriever.embedded_text(r[1]) for r in unsettled]
        vectors = dict(zip((r[0] for r in unsettled), engine.embedder.encode_queries(texts), strict=True))
    finally:
        engine.close()
    log = ChatLog(Database.sqlite(path))
    rows = []
    for rid, text, decision, created in records:
        vector = pack_vector(vectors[rid]) if rid in vectors else None
        p = rng.uniform(0.45, 1.0) if decision == "answer" else 0.2
        rows.append(ChatRecord(rid, text, decision, "1", p, "bench", created=created, vector=vector, model=model))
    for start in range(0, len(rows), 1000):
        log.write(rows[start : start + 1000])
    log.close()
    return len(unsettled)


def _login(url: str) -> httpx.Client:
    staff = httpx.Client(base_url=url, timeout=120)
    res = staff.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    if res.status_code != 303:
        raise RuntimeError(f"login failed: {res.status_code}")
    cookie = res.headers["set-cookie"].split(";", 1)[0]  # Secure: sent here by hand over loopback http
    staff.headers["Cookie"] = cookie
    return staff


#: The log's two lists: address, and what each page of them shows when it lists something.
LOG_PAGE = ("/admin/log", "代表的な質問")
ANSWERS_PAGE = ("/admin/answers", "回答したFAQ")


def _timed_page(staff: httpx.Client, page: int, shown: tuple[str, str] = LOG_PAGE) -> float:
    path, marker = shown
    t = time.perf_counter()
    res = staff.get(path, params={"days": 0, "page": page})
    res.raise_for_status()
    if marker not in res.text:
        raise RuntimeError(f"{path} lists nothing")
    return time.perf_counter() - t


def _load_pages(staff: httpx.Client, seconds: float) -> None:
    """One staff member paging through the log's two lists (unanswered questions, answers to check), one page
    after another, for ``seconds``."""
    deadline, k = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        _timed_page(staff, 1 + k // 2 % 5, LOG_PAGE if k % 2 == 0 else ANSWERS_PAGE)
        k += 1


def _batch_test(staff: httpx.Client, queries: bytes, rounds: int) -> None:
    for _ in range(rounds):
        res = staff.post(
            "/admin/batch", files={"file": ("q.tsv", queries)}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        res.raise_for_status()


def measure_staff(settings: Settings, qs: Sequence[str], logged: int, seconds: float) -> StaffTiming:
    """A server on a log of ``logged`` questions: log pages, and a visitor's chats while staff work."""
    tmp = Path(tempfile.mkdtemp(prefix="faq-bot-bench-staff-"))
    try:
        log = tmp / "log.sqlite3"
        unsettled = fill_log(settings, log, logged)
        faq = tmp / "faq.tsv"
        faq.write_bytes(settings.faq_path.read_bytes())
        env = {
            "FAQ_BOT_FAQ_PATH": str(faq),
            "FAQ_BOT_INDEX_DIR": str(tmp / "index"),
            "FAQ_BOT_LOG_PATH": str(log),
            "FAQ_BOT_SESSION_PATH": str(tmp / "sessions.sqlite3"),
            "FAQ_BOT_ADMIN_TOKEN": TOKEN,
            "FAQ_BOT_RATE_LIMIT": "",
        }
        port = free_port()
        proc, _ = start_server(port, env)
        url = f"http://127.0.0.1:{port}"
        try:
            staff = _login(url)
            try:
                first = _timed_page(staff, 1)
                later = statistics.median(_timed_page(staff, p) for p in (1, 2, 3, 1, 2))
                answers_page = statistics.median(_timed_page(staff, p, ANSWERS_PAGE) for p in (1, 2, 3, 1, 2))
                reader = ChatLog(Database.sqlite(log))
                answers = reader.doubtful_answers(0.0, 0.8, limit=1)[2]
                reader.close()
                queries = ("query\tgold\n" + "".join(f"{q}\t\n" for q in qs[:120])).encode("utf-8")
                idle = chat_during(
                    url,
                    qs,
                    "chat, one visitor, idle (server with the 10,000-question log)",
                    partial(time.sleep, seconds),
                    4_000_000,
                )
                pages = chat_during(
                    url, qs, "chat, one visitor, while staff page through the log's two lists",
                    partial(_load_pages, staff, seconds),
                    5_000_000,
                )  # fmt: skip
                batch = chat_during(
                    url, qs, "chat, one visitor, while a batch test runs", partial(_batch_test, staff, queries, 2),
                    6_000_000,
                )  # fmt: skip
            finally:
                staff.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        return StaffTiming(logged, unsettled, first, later, answers, answers_page, idle, pages, batch)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
