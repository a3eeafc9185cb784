"""Soak test (a report, not a CI test): chat load with regular publishes and rollbacks.

    python -m benchmarks.soak [--minutes 10] [--concurrency 16] [--out docs/soak.md]

Starts its own `faq-bot serve` on a private copy of the FAQ, keeps `concurrency`
visitors chatting (unique questions, so the cache does not help), publishes a
changed FAQ every minute and rolls back every third minute, and reports failed
requests, RSS growth after warm-up and p95 latency per minute.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

from benchmarks import harness as bench
from faq_bot.config import Settings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="faq-bot-soak-"))
    settings = Settings()
    shipped = settings.faq_path.read_bytes()
    (tmp / "faq.tsv").write_bytes(shipped)
    env = {
        "FAQ_BOT_FAQ_PATH": str(tmp / "faq.tsv"),
        "FAQ_BOT_INDEX_DIR": str(tmp / "index"),
        "FAQ_BOT_LOG_PATH": str(tmp / "log.db"),
        "FAQ_BOT_ADMIN_TOKEN": bench.TOKEN,
        "FAQ_BOT_RATE_LIMIT": "",
    }
    qs = bench.questions(settings)
    port = bench.free_port()
    proc, _ = bench.start_server(port, env)
    url = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    lock = threading.Lock()
    samples: list[tuple[float, float, bool]] = []  # (time, ms, ok)

    def visitor(k: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            i = k
            while not stop.is_set():
                t = time.perf_counter()
                try:
                    ok = http.post("/api/chat", json={"message": bench.unique(qs, 1000 + i)}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                with lock:
                    samples.append((time.monotonic(), (time.perf_counter() - t) * 1000, ok))
                i += args.concurrency

    threads = [threading.Thread(target=visitor, args=(k,), daemon=True) for k in range(args.concurrency)]
    start = time.monotonic()
    for th in threads:
        th.start()
    admin = httpx.Client(base_url=url, timeout=600, headers={"Authorization": f"Bearer {bench.TOKEN}"})
    events, rss = [], []
    minute = 0
    try:
        while time.monotonic() - start < args.minutes * 60:
            time.sleep(max(0.0, start + (minute + 1) * 60 - time.monotonic()))
            minute += 1
            rss.append(bench.rss_mb(proc.pid))
            if minute % 3 == 0:
                versions = admin.get("/admin/versions").json()
                target = next(v for v in versions if not v["current"])
                t = time.perf_counter()
                res = admin.post("/admin/rollback", json={"build_id": target["build_id"]})
                events.append((minute, "rollback", res.status_code, time.perf_counter() - t))
            else:
                variant = shipped + f"9{minute:03d}\tその他\tソーク試験の質問{minute}\t回答{minute}\t\n".encode()
                t = time.perf_counter()
                res = admin.post("/admin/faq", files={"file": ("faq.tsv", variant)})
                events.append((minute, "publish", res.status_code, time.perf_counter() - t))
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=60)
        rss.append(bench.rss_mb(proc.pid))
        proc.terminate()
        proc.wait()
    failed = sum(not ok for _, _, ok in samples)
    per_minute = []
    for m in range(int(args.minutes)):
        lat = sorted(ms for t, ms, ok in samples if ok and start + m * 60 <= t < start + (m + 1) * 60)
        if lat:
            per_minute.append((m + 1, len(lat), statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]))
    warm = rss[0]
    lines = [
        f"# Soak: {args.minutes:g} min, concurrency {args.concurrency}, publish every minute, rollback every third",
        "",
        f"Machine: {bench.machine()}",
        "",
        f"- requests: {len(samples)}, failed: {failed}",
        f"- RSS after the first minute (warm): {warm:.0f} MB; at the end: {rss[-1]:.0f} MB "
        f"(growth {100 * (rss[-1] - warm) / warm:+.1f} %); per minute: {', '.join(f'{r:.0f}' for r in rss)}",
        "",
        "| minute | requests | p50 ms | p95 ms |",
        "|---|---|---|---|",
        *(f"| {m} | {n} | {p50:.1f} | {p95:.1f} |" for m, n, p50, p95 in per_minute),
        "",
        "| minute | action | status | seconds |",
        "|---|---|---|---|",
        *(f"| {m} | {a} | {s} | {d:.2f} |" for m, a, s, d in events),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
