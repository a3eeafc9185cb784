"""Benchmarks: the in-process engine call next to ``POST /api/chat`` over loopback, in one run."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from faq_bot.config import Settings


@dataclass(frozen=True)
class Timing:
    """Latency percentiles (ms) and throughput of one measured series."""

    name: str
    n: int
    p50: float
    p95: float
    p99: float
    rps: float
    failures: int = 0

    def row(self) -> str:
        """One markdown table row."""
        return (
            f"| {self.name} | {self.n} | {self.p50:.1f} | {self.p95:.1f} | {self.p99:.1f} | {self.rps:.1f} "
            f"| {self.failures} |"
        )


HEADER = "| series | n | p50 ms | p95 ms | p99 ms | req/s | failed |\n|---|---|---|---|---|---|---|"


def summarize(name: str, samples_ms: Sequence[float], wall_s: float, failures: int = 0) -> Timing:
    """Percentiles of a series of latencies."""
    ordered = sorted(samples_ms)
    if not ordered:
        return Timing(name, 0, 0.0, 0.0, 0.0, 0.0, failures)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return Timing(name, len(ordered), statistics.median(ordered), pct(95), pct(99), len(ordered) / wall_s, failures)


def questions(settings: Settings) -> list[str]:
    """Varied questions: the FAQ's own questions and alternates (no cache can help)."""
    from faq_bot.faq import load

    out: list[str] = []
    for e in load(settings.faq_path).entries:
        out += [e.question, *e.alternates]
    return out


def measure_engine(settings: Settings, qs: Sequence[str], n: int) -> Timing:
    """The bare in-process ``Engine.ask`` call, warm."""
    from faq_bot.engine import Engine

    engine = Engine.open(settings)
    for q in qs[:10]:
        engine.ask(q)
    samples = []
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        engine.ask(qs[i % len(qs)])
        samples.append((time.perf_counter() - t) * 1000)
    return summarize("engine.ask (in-process)", samples, time.perf_counter() - start)


def measure_http(url: str, qs: Sequence[str], concurrency: int, n: int) -> Timing:
    """``POST /api/chat`` with ``concurrency`` clients sending ``n`` requests in all."""
    samples: list[float] = []
    failures = 0
    lock = threading.Lock()
    counter = iter(range(n))

    def client() -> None:
        nonlocal failures
        with httpx.Client(base_url=url, timeout=30) as http:
            for i in counter:
                t = time.perf_counter()
                try:
                    ok = http.post("/api/chat", json={"message": qs[i % len(qs)]}).status_code == 200
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


@dataclass(frozen=True)
class ReloadTiming:
    """Publishes under chat load: how long each took and how many chats failed meanwhile."""

    name: str
    publish_seconds: list[float]
    chats: int
    failed: int


def measure_reload_under_load(
    url: str, token: str, variants: Sequence[bytes], qs: Sequence[str], publishes: int, concurrency: int = 8
) -> ReloadTiming:
    """Upload FAQ variants one after another while ``concurrency`` visitors keep chatting."""
    stop = threading.Event()
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def visitor(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            i = offset
            while not stop.is_set():
                try:
                    ok = http.post("/api/chat", json={"message": qs[i % len(qs)]}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                with lock:
                    counts["ok" if ok else "failed"] += 1
                i += concurrency

    threads = [threading.Thread(target=visitor, args=(k,)) for k in range(concurrency)]
    for th in threads:
        th.start()
    took = []
    try:
        with httpx.Client(base_url=url, timeout=600, headers={"Authorization": f"Bearer {token}"}) as admin:
            for i in range(publishes):
                t = time.perf_counter()
                res = admin.post("/admin/faq", files={"file": ("faq.tsv", variants[i % len(variants)])})
                res.raise_for_status()
                took.append(time.perf_counter() - t)
    finally:
        stop.set()
        for th in threads:
            th.join()
    return ReloadTiming(f"{publishes} publishes", took, counts["ok"] + counts["failed"], counts["failed"])


def start_server(port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``faq-bot serve`` in a child process, once ready."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "faq_bot.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become ready")


def run(n: int = 300, port: int = 8799) -> list[Timing]:
    """Engine, then HTTP at concurrency 1 and 8, measured one after the other in one run."""
    settings = Settings()
    qs = questions(settings)
    results = [measure_engine(settings, qs, n)]
    proc = start_server(port)
    try:
        url = f"http://127.0.0.1:{port}"
        measure_http(url, qs, 4, 40)  # warm-up
        results += [measure_http(url, qs, 1, n), measure_http(url, qs, 8, n)]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return results


def report(results: Sequence[Timing]) -> str:
    """A markdown table plus the service overhead ratio."""
    lines = [HEADER, *(t.row() for t in results)]
    base = results[0].p50
    for t in results[1:]:
        lines.append(f"\n{t.name}: p50 = {t.p50 / base:.2f} × engine.ask p50")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(int(sys.argv[1]) if len(sys.argv) > 1 else 300)))
    print(f"\nmachine: {os.cpu_count()} cores, python {sys.version.split()[0]}, {Path.cwd()}")
