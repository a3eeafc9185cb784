"""The chat service under load: HTTP latency and throughput (wrk or httpx), publishing under load, cold start."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import TOKEN, Timing, free_port, rss_mb, start_server, summarize, unique
from benchmarks.publishing import one_edit
from faq_bot.config import Settings
from faq_bot.content.faq import load


def own_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext | bool:
    """A context of its own for one client thread, trusting what ``verify`` trusts.

    httpcore sets ALPN on the context at every connection: threads sharing one context race in OpenSSL, and a
    handshake now and then goes out malformed (nginx answers "decode error")."""
    if not isinstance(verify, ssl.SSLContext):
        return verify
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the certificate and the host name
    for der in verify.get_ca_certs(binary_form=True):
        context.load_verify_locations(cadata=der)
    return context


def measure_http(
    url: str, qs: Sequence[str], concurrency: int, seconds: float, offset: int = 0, verify: ssl.SSLContext | bool = True
) -> Timing:
    """``POST /api/chat`` from ``concurrency`` clients for ``seconds`` (unique questions; ``verify``: httpx's)."""
    samples: list[float] = []
    failures = 0
    lock = threading.Lock()
    counter = iter(range(offset, offset + 10_000_000))
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal failures
        with httpx.Client(base_url=url, timeout=30, verify=own_context(verify)) as http:
            while time.perf_counter() < deadline:
                i = next(counter)
                t = time.perf_counter()
                try:
                    ok = http.post("/api/chat", json={"message": unique(qs, i)}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    if ok:
                        samples.append(ms)
                    else:
                        failures += 1

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return summarize(f"POST /api/chat, concurrency {concurrency}", samples, time.perf_counter() - start, failures)


WRK_SCRIPT = r"""
local n = 0
setup = function(thread) thread:set("tid", n); n = n + 1 end
local qs = {}
init = function(args)
  for line in io.lines(args[1]) do table.insert(qs, line) end
  run = args[2]
  counter = 0
end
request = function()
  counter = counter + 1
  local q = qs[(counter % #qs) + 1]
  -- made unique with digits only: a number in brackets is no word and no sentence of its own
  if REPEAT then q = qs[1] else q = q .. " (" .. run .. "-" .. tid .. "-" .. counter .. ")" end
  local body = '{"message":"' .. q:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"}'
  return wrk.format("POST", "/api/chat", {["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"p50":%f,"p95":%f,"p99":%f,"requests":%d,"errors":%d,"status":%d,"us":%d}\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status, summary.duration))
end
"""


def measure_wrk(url: str, qs: Sequence[str], concurrency: int, seconds: float, repeat: bool = False) -> Timing:
    """The same series with wrk (a C load generator: the client does not steal the server's cores)."""
    tmp = Path(tempfile.mkdtemp(prefix="faq-bot-wrk-"))
    try:
        script = tmp / "chat.lua"
        script.write_text(WRK_SCRIPT.replace("REPEAT", "true" if repeat else "false"), encoding="utf-8")
        lines = "\n".join(q.replace("\n", " ") for q in qs)
        (tmp / "qs.txt").write_text(lines + "\n", encoding="utf-8")
        duration = f"-d{max(1, round(seconds))}s"
        cmd = ["wrk", f"-t{min(concurrency, 2)}", f"-c{concurrency}", duration, "--timeout", "30s",
               "-s", str(script), url, "--", str(tmp / "qs.txt"), str(uuid.uuid4().int % 10**8)]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
        data = json.loads(next(ln for ln in out.splitlines() if ln.startswith("WRKJSON ")).split(" ", 1)[1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = int(data["errors"] + data["status"])
    rps = (data["requests"] - failed) / (data["us"] / 1e6)
    name = f"POST /api/chat, concurrency {concurrency}" + (" (one repeated question)" if repeat else "")
    return Timing(name, int(data["requests"]), data["p50"], data["p95"], data["p99"], rps, failed)


def chat_during(url: str, qs: Sequence[str], name: str, work: Callable[[], object], offset: int) -> Timing:
    """One visitor chatting (unique questions, one after another) for as long as ``work`` runs."""
    samples: list[float] = []
    failures = 0
    done = threading.Event()

    def worker() -> None:
        try:
            work()
        finally:
            done.set()

    started = time.perf_counter()
    thread = threading.Thread(target=worker)
    thread.start()
    with httpx.Client(base_url=url, timeout=60) as http:
        i = offset
        while not done.is_set():
            t = time.perf_counter()
            try:
                ok = http.post("/api/chat", json={"message": unique(qs, i)}).status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                samples.append((time.perf_counter() - t) * 1000)
            else:
                failures += 1
            i += 1
    thread.join()
    return summarize(name, samples, time.perf_counter() - started, failures)


def publish_in_turn(url: str, variants: Sequence[bytes], publishes: int) -> list[float]:
    """Upload FAQ variants one after another (as an editor would); the seconds each took."""
    took = []
    with httpx.Client(base_url=url, timeout=900, headers={"Authorization": f"Bearer {TOKEN}"}) as admin:
        for i in range(publishes):
            t = time.perf_counter()
            admin.post("/admin/faq", files={"file": ("faq.tsv", variants[i % len(variants)])}).raise_for_status()
            took.append(time.perf_counter() - t)
    return took


@dataclass(frozen=True)
class ReloadTiming:
    """Publishes under chat load: how long each took and how many chats failed meanwhile."""

    publish_seconds: list[float]
    chats: int
    failed: int


def measure_reload_under_load(
    url: str, variants: Sequence[bytes], qs: Sequence[str], publishes: int, concurrency: int = 8
) -> ReloadTiming:
    """Upload FAQ variants one after another while ``concurrency`` visitors keep chatting."""
    stop = threading.Event()
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def visitor(k: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            i = k
            while not stop.is_set():
                try:
                    ok = http.post("/api/chat", json={"message": unique(qs, i)}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                with lock:
                    counts["ok" if ok else "failed"] += 1
                i += concurrency

    threads = [threading.Thread(target=visitor, args=(k,)) for k in range(concurrency)]
    for th in threads:
        th.start()
    try:
        took = publish_in_turn(url, variants, publishes)
    finally:
        stop.set()
        for th in threads:
            th.join()
    return ReloadTiming(took, counts["ok"] + counts["failed"], counts["failed"])


#: Each concurrency is measured this many times, in alternating rounds (1, 8, 32, 1, 8, 32, …): a shared machine's
#: speed drifts by ±10 % over a minute, which one run of each would put into their ratio.
ROUNDS = 3


def median_rounds(measure: Callable[[int, int], Timing], levels: Sequence[int] = (1, 8, 32)) -> list[Timing]:
    """For each concurrency, the run of median throughput among ``ROUNDS`` alternating ones (``measure(c, round)``)."""
    runs: dict[int, list[Timing]] = {c: [] for c in levels}
    for r in range(ROUNDS):
        for c in levels:
            runs[c].append(measure(c, r))
    return [sorted(runs[c], key=lambda t: t.rps)[ROUNDS // 2] for c in levels]


def measure_service(settings: Settings, qs: Sequence[str], seconds: float, publishes: int) -> dict[str, Any]:
    """Cold start, HTTP latency at concurrency 1/8/32, RSS, and publishing under load, on a private copy."""
    tmp = Path(tempfile.mkdtemp(prefix="faq-bot-bench-"))
    try:
        faq = tmp / "faq.tsv"
        shipped = settings.faq_path.read_bytes()
        faq.write_bytes(shipped)
        env = {
            "FAQ_BOT_FAQ_PATH": str(faq),
            "FAQ_BOT_INDEX_DIR": str(tmp / "index"),
            "FAQ_BOT_LOG_PATH": str(tmp / "log.sqlite3"),
            "FAQ_BOT_ADMIN_TOKEN": TOKEN,
            "FAQ_BOT_RATE_LIMIT": "",  # one load generator is not a visitor
        }
        port = free_port()
        proc, _ = start_server(port, env)  # first start builds the index
        proc.terminate()
        proc.wait(timeout=30)
        proc, cold = start_server(port, env)
        url = f"http://127.0.0.1:{port}"
        try:
            if shutil.which("wrk"):
                measure_wrk(url, qs, 4, 2.0)  # warm-up
                series = median_rounds(lambda c, r: measure_wrk(url, qs, c, seconds))
                cached = measure_wrk(url, qs, 1, min(seconds, 3.0), repeat=True)
            else:
                measure_http(url, qs, 4, 2.0, offset=900_000)  # warm-up
                series = median_rounds(lambda c, r: measure_http(url, qs, c, seconds, offset=c * 100_000 + r * 10_000))
                cached = measure_http(url, list(qs[:1]) * len(qs), 1, min(seconds, 3.0), offset=0)
            rss, anon = rss_mb(proc.pid), rss_mb(proc.pid, "RssAnon")
            entries = list(load(settings.faq_path).entries)
            variants = [one_edit(entries, k) for k in range(1, publishes + 1)]
            idle = chat_during(
                url, qs, "chat, one visitor, idle (before the publishes)", partial(time.sleep, seconds), 2_000_000
            )
            publishing = chat_during(
                url, qs, "chat, one visitor, while publishing", partial(publish_in_turn, url, variants, 5), 3_000_000
            )
            reload = measure_reload_under_load(url, variants, qs, publishes)
            rss_after, anon_after = rss_mb(proc.pid), rss_mb(proc.pid, "RssAnon")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        return {
            "cold_start_s": cold,
            "http": series,
            "rss_mb": rss,
            "rss_after_publishes_mb": rss_after,
            "rss_anon_mb": anon,
            "rss_anon_after_publishes_mb": anon_after,
            "cached": cached,
            "reload": reload,
            "idle": idle,
            "while_publishing": publishing,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
