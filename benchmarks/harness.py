"""Timing helpers shared by the benchmarks: percentiles, timed calls, a server in a child process, RSS."""

from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from faq_bot.config import Settings

TOKEN = "benchmark-admin-token-0123456789"


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


def summarize(name: str, samples_ms: Sequence[float], wall_s: float, failures: int = 0) -> Timing:
    """Percentiles of a series of latencies."""
    ordered = sorted(samples_ms)
    if not ordered:
        return Timing(name, 0, 0.0, 0.0, 0.0, 0.0, failures)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    rps = len(ordered) / wall_s if wall_s > 0 else 0.0
    return Timing(name, len(ordered), statistics.median(ordered), pct(95), pct(99), rps, failures)


def time_calls(name: str, call: Callable[[int], object], n: int, warmup: int = 5) -> Timing:
    """Time ``call(i)`` n times, after a warm-up."""
    for i in range(warmup):
        call(i)
    samples = []
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - t) * 1000)
    return summarize(name, samples, time.perf_counter() - start)


def questions(settings: Settings) -> list[str]:
    """Varied questions: the FAQ's own questions and alternates."""
    from faq_bot.content.faq import load

    out: list[str] = []
    for e in load(settings.faq_path).entries:
        out += [e.question, *e.alternates]
    return out


def unique(qs: Sequence[str], i: int) -> str:
    """The i-th question, made unique so that no reply cache can help."""
    return f"{qs[i % len(qs)]} ({i})" if i >= len(qs) else qs[i % len(qs)]


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], float]:
    """``faq-bot serve`` in a child process; returns it once ready, with the seconds it took."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "faq_bot.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not become ready")


def rss_mb(pid: int, kind: str = "VmRSS") -> float:
    """Resident memory of a process, from /proc: all of it (``VmRSS``), or ``RssAnon`` / ``RssFile``.

    The encoder's weights (``model.onnx.data``, 470 MB) are mapped from the file, read-only: their
    pages count in ``RssFile`` as the vocabulary seen touches them, are shared by both encoders and
    by every process on the machine, and are the kernel's to drop. ``RssAnon`` is the process's own.
    """
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine() -> str:
    """A one-line description of the machine."""
    mem = next(
        (ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), "0"
    )
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    gib = int(mem) // 1024 // 1024
    return f"{os.cpu_count()} cores ({cpu}), {gib} GiB, Python {platform.python_version()}, {platform.system()}"
