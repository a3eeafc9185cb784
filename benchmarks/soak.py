"""Soak test (a report, not a CI test): chat load for ten minutes with faults injected.

    .venv/bin/python -m benchmarks.soak [--minutes 10] [--concurrency 16] [--out docs/soak.md]

Root is needed (the full log disk is a real tmpfs, filled up). Two `faq-bot serve`
processes, A and B, share one index folder and one question log, as two workers
behind a load balancer would. The visitors' client plays the load balancer: each
request goes to the next server that is up; when a server refuses the connection
or drops it without an answer (a restart), the same request goes to the other one
at once (nginx's retry on a dead upstream), and that server is left out until its
``/readyz`` answers again. A request counts as failed if no server answered it with
200. Scheduled, as fractions of the run (minutes for a 10-minute run): a publish
(1), the log disk full (1.5 to 2.5), a rollback (3), the log database locked by
another process (3.5 to 4), a restart of B (5), a publish (6), a restart of A (8),
a rollback (9).
"""

from __future__ import annotations

import argparse
import itertools
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks import harness as bench
from benchmarks.faults import LogDisk, LogLock, Server
from faq_bot.config import Settings

#: When each fault happens, as a fraction of the run.
SCHEDULE = [
    (0.10, "publish"), (0.15, "disk full"), (0.25, "disk free"), (0.30, "rollback"), (0.35, "lock log"),
    (0.40, "unlock log"), (0.50, "restart B"), (0.60, "publish"), (0.80, "restart A"), (0.90, "rollback"),
]  # fmt: skip


class Balancer:
    """Round robin over the servers that are up; a server that failed a connection is out until /readyz says 200."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers
        self.up = {s.name: True for s in servers}
        self.turn = itertools.count()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.failovers: Counter[str] = Counter()

    def order(self) -> list[Server]:
        """Servers to try for the next request: the next one up first, then the rest."""
        with self.lock:
            start = next(self.turn)
            ring = [self.servers[(start + i) % len(self.servers)] for i in range(len(self.servers))]
            return sorted(ring, key=lambda s: not self.up[s.name])

    def failed(self, server: Server, exc: Exception) -> None:
        """Leave a server out after a connection-level failure."""
        with self.lock:
            self.up[server.name] = False
            self.failovers[type(exc).__name__] += 1

    def probe(self) -> None:
        """Bring servers back when they are ready (runs in a thread)."""
        while not self.stop.wait(0.25):
            for s in self.servers:
                if self.up[s.name]:
                    continue
                try:
                    ready = httpx.get(s.url + "/readyz", timeout=1).status_code == 200
                except httpx.HTTPError:
                    ready = False
                if ready:
                    with self.lock:
                        self.up[s.name] = True

    def send(self, clients: dict[str, httpx.Client], call: Callable[[httpx.Client], httpx.Response]) -> httpx.Response:
        """One request, on the next server up; on a connection failure, again on the others."""
        error: Exception | None = None
        for server in self.order():
            try:
                return call(clients[server.name])
            except httpx.TransportError as exc:  # refused, reset, or closed without an answer
                self.failed(server, exc)
                error = exc
        assert error is not None
        raise error


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    total = args.minutes * 60

    tmp = Path(tempfile.mkdtemp(prefix="faq-bot-soak-"))
    disk = LogDisk(tmp / "logdisk")
    settings = Settings()
    shipped = settings.faq_path.read_bytes()
    (tmp / "faq.tsv").write_bytes(shipped)
    log_path = disk.folder / "log.db"
    env = {
        "FAQ_BOT_FAQ_PATH": str(tmp / "faq.tsv"),
        "FAQ_BOT_INDEX_DIR": str(tmp / "index"),
        "FAQ_BOT_LOG_PATH": str(log_path),
        "FAQ_BOT_SESSION_PATH": str(tmp / "sessions.db"),
        "FAQ_BOT_ADMIN_TOKEN": bench.TOKEN,
        "FAQ_BOT_RATE_LIMIT": "",  # one client address sends everything
        "FAQ_BOT_ENCODER_THREADS": "1",  # two servers on two cores: one encoder thread each
    }
    servers = [Server(name, bench.free_port(), env, tmp / f"server-{name}.log") for name in ("A", "B")]
    for s in servers:
        s.start()  # one after the other: B finds A's build and does not build its own
    balancer = Balancer(servers)
    qs = bench.questions(settings)
    stop = threading.Event()
    lock = threading.Lock()
    samples: list[tuple[float, float, bool]] = []  # (time, ms, ok)

    def visitor(k: int) -> None:
        clients = {s.name: httpx.Client(base_url=s.url, timeout=30) for s in servers}
        i = k
        while not stop.is_set():
            t = time.perf_counter()
            body = {"message": bench.unique(qs, 1000 + i)}

            def ask(client: httpx.Client, body: dict[str, str] = body) -> httpx.Response:
                return client.post("/api/chat", json=body)

            try:
                res = balancer.send(clients, ask)
                ok = res.status_code == 200
            except httpx.HTTPError:
                ok = False
            with lock:
                samples.append((time.monotonic(), (time.perf_counter() - t) * 1000, ok))
            i += args.concurrency
        for c in clients.values():
            c.close()

    admin = {s.name: httpx.Client(base_url=s.url, timeout=600, headers={"Authorization": f"Bearer {bench.TOKEN}"})
             for s in servers}  # fmt: skip
    events: list[tuple[float, str, str, float]] = []  # (minute, action, result, seconds)
    rss: dict[str, list[float]] = {s.name: [] for s in servers}
    log_states: list[tuple[float, str, dict[str, Any]]] = []  # (minute, when: server, log state)
    held: LogLock | None = None

    def act(action: str) -> str:
        nonlocal held
        if action == "publish":
            n = len(events)
            variant = shipped + f"9{n:03d}\tその他\tソーク試験の質問{n}\t回答{n}\t\n".encode()
            res = balancer.send(admin, lambda c: c.post("/admin/faq", files={"file": ("faq.tsv", variant)}))
            return str(res.status_code)
        if action == "rollback":
            versions = balancer.send(admin, lambda c: c.get("/admin/versions")).json()
            target = next(v for v in versions if not v["current"])
            res = balancer.send(admin, lambda c: c.post("/admin/rollback", json={"build_id": target["build_id"]}))
            return str(res.status_code)
        if action == "disk full":
            return f"{disk.fill() / 1e6:.0f} MB taken"
        if action == "disk free":
            disk.free()
            return "freed"
        if action == "lock log":
            held = LogLock(log_path)
            return "BEGIN EXCLUSIVE held"
        if action == "unlock log":
            assert held is not None
            held.release()
            held = None
            return "COMMIT"
        server = next(s for s in servers if s.name == action.split()[-1])  # restart A / B
        code = server.stop()
        return f"exit {code}, ready again after {server.start():.1f} s"

    def snapshot(when: str) -> None:
        minute = (time.monotonic() - start) / 60
        for s in servers:
            try:
                state = httpx.get(s.url + "/readyz", timeout=2).json().get("log", {})
            except httpx.HTTPError as exc:
                state = {"error": type(exc).__name__}
            log_states.append((minute, f"{when}: {s.name}", state))

    threading.Thread(target=balancer.probe, daemon=True).start()
    threads = [threading.Thread(target=visitor, args=(k,), daemon=True) for k in range(args.concurrency)]
    start = time.monotonic()
    for th in threads:
        th.start()
    next_minute = 1
    try:
        for fraction, action in SCHEDULE:
            while time.monotonic() < start + fraction * total:
                if time.monotonic() >= start + next_minute * 60:
                    for s in servers:
                        rss[s.name].append(bench.rss_mb(s.pid))
                    next_minute += 1
                time.sleep(0.2)
            snapshot(f"before {action}")  # e.g. before "disk free": what the fault did
            t = time.perf_counter()
            result = act(action)
            events.append(((time.monotonic() - start) / 60, action, result, time.perf_counter() - t))
        while time.monotonic() < start + total:
            if time.monotonic() >= start + next_minute * 60:
                for s in servers:
                    rss[s.name].append(bench.rss_mb(s.pid))
                next_minute += 1
            time.sleep(0.2)
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=60)
        balancer.stop.set()
        if held is not None:  # a run cut short mid-fault: end the fault before stopping the servers
            held.release()
        disk.free()
        snapshot("end")
        for s in servers:
            rss[s.name].append(bench.rss_mb(s.pid))
            s.stop()  # graceful: each writes what it still has queued
        try:
            rows = sqlite3.connect(str(log_path)).execute("SELECT COUNT(*) FROM chats").fetchone()[0]
            server_logs = "".join(s.log_file.read_text(errors="replace") for s in servers)
        finally:
            disk.unmount()
    text = report(args, start, samples, balancer, events, rss, log_states, rows, server_logs)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0 if not any(not ok for _, _, ok in samples) else 1


def report(
    args: argparse.Namespace, start: float, samples: list[tuple[float, float, bool]], balancer: Balancer,
    events: list[tuple[float, str, str, float]], rss: dict[str, list[float]],
    log_states: list[tuple[float, str, dict[str, Any]]], rows: int, server_logs: str,
) -> str:  # fmt: skip
    """The markdown report."""
    failed = sum(not ok for _, _, ok in samples)
    ok_count = len(samples) - failed
    per_minute = []
    for m in range(int(args.minutes)):
        window = [(ms, ok) for t, ms, ok in samples if start + m * 60 <= t < start + (m + 1) * 60]
        lat = sorted(ms for ms, ok in window if ok)
        if lat:
            p95 = lat[int(0.95 * (len(lat) - 1))]
            per_minute.append(
                (m + 1, len(window), sum(not ok for _, ok in window), statistics.median(lat), p95, lat[-1])
            )
    failovers = ", ".join(f"{n} × {kind}" for kind, n in balancer.failovers.most_common()) or "none"
    lost = [int(n) for n in re.findall(r"(\d+) question log rows lost", server_logs)]
    warnings = Counter(
        key
        for line in server_logs.splitlines()
        for key in ("question log write failed", "question log writes again", "question log rows lost", "Traceback")
        if key in line
    )
    lines = [
        f"# Soak: {args.minutes:g} min, concurrency {args.concurrency}, two servers, faults injected",
        "",
        f"Machine: {bench.machine()}",
        "",
        "How: two `faq-bot serve` processes, A and B, share one index folder and one question log (SQLite on a "
        "256 MB tmpfs), one encoder thread each. "
        f"{args.concurrency} visitor threads ask unique questions (no cache hits) without pause. The visitors' client "
        "plays the load balancer: round robin over the servers that are up; when a server refuses the connection or "
        "closes it without an answer (a restart), the same request goes to the other server at once, and the failed "
        "one is left out until its `/readyz` answers 200 (what nginx does with `proxy_next_upstream error` and a "
        "health check). HTTP errors are never retried: any answer but 200 counts as failed. Faults come from outside "
        "the servers: the log's tmpfs filled to the last byte and freed again, `BEGIN EXCLUSIVE` held on the log by "
        "another process, publishes and rollbacks through the admin API, and a SIGTERM (uvicorn finishes the "
        "requests in flight, the log writer writes what it holds) followed by a new `faq-bot serve` on the same port. "
        "Reproduce (root, for the tmpfs): `.venv/bin/python -m benchmarks.soak --out docs/soak.md`.",
        "",
        f"- visitor requests: {len(samples)}, failed: {failed} (a request fails when no server answers it with 200)",
        f"- requests the client sent again to the other server after a connection failure: {failovers}",
        f"- question log: {rows} rows for {ok_count} answered requests; rows reported lost by the servers: {sum(lost)}",
        f"- server log lines: {dict(warnings) or 'none'}",
        *(
            f"- RSS of {name} per minute (MB; restarts reset it): {', '.join(f'{r:.0f}' for r in values)}"
            for name, values in rss.items()
        ),
        "",
        "| minute | requests | failed | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|",
        *(f"| {m} | {n} | {f} | {p50:.1f} | {p95:.1f} | {mx:.0f} |" for m, n, f, p50, p95, mx in per_minute),
        "",
        "| minute | fault or action | result | seconds |",
        "|---|---|---|---|",
        *(f"| {m:.2f} | {a} | {r} | {d:.2f} |" for m, a, r, d in events),
        "",
        "| minute | when: server | question log state (`/readyz`) |",
        "|---|---|---|",
        *(f"| {m:.2f} | {name} | {state} |" for m, name, state in log_states),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
