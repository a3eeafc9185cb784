"""Scale-out benchmark (a report, not a CI test): replicas behind nginx with one PostgreSQL and one Redis.

    .venv/bin/python -m benchmarks.scale_out [--seconds 15] [--publishes 5] [--json docs/scale-out.json]

Prints the tables of docs/scale-out.md (markdown); ``--json`` keeps the raw figures.

Everything runs on this machine, on loopback (``benchmarks/cluster.py``): three `faq-bot
serve` replicas (one encoder thread each), nginx with ``deploy/nginx/faq-bot.conf``,
PostgreSQL 15 with its default durability, Redis. Measured: how soon every replica
serves a version published on replica 1 under chat load (and whether any reply failed
or mixed versions); a replica SIGKILLed under load and restarted; throughput through
nginx with three replicas and with one (wrk); the cost of a log write on PostgreSQL and
SQLite; how a replica gets a published build (``benchmarks/storage_costs.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from benchmarks.cluster import ADMIN, Cluster, Visitors, answers_by_version, failed, mixed
from benchmarks.harness import machine, questions
from benchmarks.load import measure_http, measure_wrk
from benchmarks.storage_costs import log_write_costs, version_transfer
from faq_bot.config import Settings
from faq_bot.content import faq as faq_table


def variant(shipped: bytes, tag: str) -> bytes:
    """The shipped FAQ with every answer marked, so that a reply shows which version wrote it."""
    entries = faq_table.read_bytes(shipped, "faq.tsv").entries
    return faq_table.dump([replace(e, answer=f"{e.answer}（{tag}）") for e in entries]).encode("utf-8")


def follow_times(cluster: Cluster, version: str, timeout: float = 60.0) -> list[float]:
    """Seconds from now until each replica's /readyz names ``version`` (polled every 5 ms, one thread each)."""
    started = time.monotonic()
    out = [float("nan")] * len(cluster.servers)

    def poll(i: int) -> None:
        while time.monotonic() - started < timeout:
            if cluster.version_of(cluster.servers[i]) == version:
                out[i] = time.monotonic() - started
                return
            time.sleep(0.005)

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(len(cluster.servers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def publishes_under_load(cluster: Cluster, shipped: bytes, qs: list[str], publishes: int) -> dict[str, Any]:
    """Publish variants on replica 1 while visitors chat through nginx."""
    variants = [variant(shipped, f"v{i}") for i in range(publishes)]
    visitors = Visitors(cluster.url, qs, concurrency=4, verify=cluster.verify).start()
    rounds = []
    try:
        time.sleep(3)
        for tsv in variants:
            t = time.monotonic()
            version = cluster.publish(cluster.servers[0], tsv)
            took = time.monotonic() - t
            rounds.append({"publish_s": took, "follow_s": follow_times(cluster, version)})
            time.sleep(2)
    finally:
        replies = visitors.stop()
    answers = answers_by_version(shipped, *variants)
    return {"rounds": rounds, "replies": len(replies), "failed": len(failed(replies)),
            "mixed": len(mixed(replies, answers))}  # fmt: skip


def kill_under_load(cluster: Cluster, qs: list[str], seconds: float) -> dict[str, Any]:
    """SIGKILL replica 2 under load, keep chatting, restart it; what the visitors saw."""
    victim = cluster.servers[1]
    assert cluster.nginx is not None
    visitors = Visitors(cluster.url, qs, concurrency=8, verify=cluster.verify).start()
    try:
        time.sleep(seconds / 3)
        before_kill = visitors.count()
        victim.kill()
        time.sleep(seconds / 3)
        restart_s = victim.start()
        current = cluster.version_of(cluster.servers[0])
        caught_up = cluster.version_of(victim) == current
        time.sleep(seconds / 3)
    finally:
        replies = visitors.stop()
    retried = cluster.nginx.error_log().count("upstream")
    return {"replies": len(replies), "failed": len(failed(replies)), "before_kill": before_kill,
            "restart_to_ready_s": restart_s, "caught_up": caught_up, "nginx_upstream_errors": retried}  # fmt: skip


def shared_state(shipped: bytes, limit: int = 30) -> dict[str, Any]:
    """One visitor over the limit through nginx, and a question asked on each replica read back on each."""
    cluster = Cluster(3, shipped, rate_limit=f"{limit}/minute").start()
    try:
        visitor = {"X-Forwarded-For": "203.0.113.7"}
        codes = [
            httpx.post(cluster.url + "/api/chat", json={"message": "支払い方法について教えてください"}, headers=visitor,
                       timeout=30, verify=cluster.verify).status_code
            for _ in range(limit + 20)
        ]  # fmt: skip
        tag = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])  # digits could be masked
        asked = [f"請求書はいつ発行されますか {tag} {s.name}" for s in cluster.servers]
        for server, message in zip(cluster.servers, asked, strict=True):
            httpx.post(server.url + "/api/chat", json={"message": message}, timeout=30).raise_for_status()
        time.sleep(1)  # each replica's log writer writes within milliseconds
        logs = [httpx.get(s.url + "/admin/log.csv", headers=ADMIN, timeout=30).text for s in cluster.servers]
        seen = [sum(m in log for m in asked) for log in logs]
    finally:
        cluster.stop()
    return {"limit": limit, "sent": len(codes), "ok": codes.count(200), "limited": codes.count(429),
            "log_questions_seen": seen}  # fmt: skip


def throughput(cluster: Cluster, qs: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
    """Unique questions through nginx over https (wrk if installed: the client then hardly competes for the cores).

    wrk does not verify certificates (nothing to configure); the httpx clients trust nginx's alone.
    """
    if shutil.which("wrk"):
        measure_wrk(cluster.url, qs, 4, 2.0)  # warm-up
        t = measure_wrk(cluster.url, qs, concurrency, seconds)
        tool = "wrk"
    else:
        measure_http(cluster.url, qs, 4, 2.0, offset=900_000, verify=cluster.verify)
        t = measure_http(cluster.url, qs, concurrency, seconds, verify=cluster.verify)
        tool = "httpx threads"
    return {"tool": tool, "rps": t.rps, "p50_ms": t.p50, "p95_ms": t.p95, "p99_ms": t.p99, "failed": t.failures}


#: The throughput set-ups: (replicas, encoder threads per replica; 0 = one per core), by report key.
SETUPS = {"1 replica, 2 encoder threads": (1, 0), "1 replica, 1 encoder thread": (1, 1),
          "3 replicas, 1 encoder thread each": (3, 1)}  # fmt: skip


def throughputs(shipped: bytes, qs: list[str], seconds: float, concurrency: int, rounds: int) -> dict[str, Any]:
    """Each set-up ``rounds`` times, taking turns, and the median round of each.

    All set-ups run at once (an idle replica costs nothing), so that whatever else the
    machine does weighs on each alike.
    """
    clusters = {name: Cluster(n, shipped, fast_postgres=False, threads=t) for name, (n, t) in SETUPS.items()}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in SETUPS}
    try:
        for c in clusters.values():
            c.start()
        for _ in range(rounds):
            for name, c in clusters.items():
                runs[name].append(throughput(c, qs, seconds, concurrency))
    finally:
        for c in clusters.values():
            c.stop()
    out = {}
    for name, series in runs.items():
        ordered = sorted(series, key=lambda t: t["rps"])
        out[name] = {**ordered[len(ordered) // 2], "rps_all": [t["rps"] for t in series]}
    return out


def run(seconds: float, publishes: int, concurrency: int, rounds: int) -> dict[str, Any]:
    """Every measurement of the report."""
    settings = Settings()
    shipped = settings.faq_path.read_bytes()
    qs = questions(settings)
    # This machine may run other work too: the load average before and after says how quiet it was.
    out: dict[str, Any] = {"machine": machine(), "loadavg_before": os.getloadavg()[0]}
    out["log_write"] = log_write_costs()
    out["versions"] = version_transfer()
    out["shared_state"] = shared_state(shipped)
    cluster = Cluster(3, shipped, fast_postgres=False, threads=1)
    t = time.monotonic()
    cluster.start()
    out["start_s"] = time.monotonic() - t
    try:
        out["publish"] = publishes_under_load(cluster, shipped, qs, publishes)
        out["kill"] = kill_under_load(cluster, qs, seconds)
    finally:
        cluster.stop()
    out["throughput"] = throughputs(shipped, qs, seconds, concurrency, rounds)
    out["loadavg_after"] = os.getloadavg()[0]
    return out


def report(r: dict[str, Any], seconds: float, concurrency: int) -> str:
    """The measurements as the markdown tables of docs/scale-out.md."""
    lines = [f"Machine: {r['machine']}; 1-minute load average {r['loadavg_before']:.1f} before the run, "
             f"{r['loadavg_after']:.1f} after. Cluster start (PostgreSQL, Redis, 3 replicas, nginx): "
             f"{r['start_s']:.1f} s.", ""]  # fmt: skip
    p = r["publish"]
    lines += ["### Publish on replica 1 under chat load (4 visitors through nginx)", "",
              "| publish | upload answered | replica 1 | replica 2 | replica 3 |", "|---|---|---|---|---|"]  # fmt: skip
    for i, rnd in enumerate(p["rounds"], 1):
        f = " | ".join(f"{s * 1000:.0f} ms" for s in rnd["follow_s"])
        lines.append(f"| {i} | {rnd['publish_s']:.2f} s | {f} |")
    lines += ["", f"Replies during the publishes: {p['replies']}, failed: {p['failed']}, mixing two versions: "
              f"{p['mixed']}. Replica times are counted from the upload's answer (replica 1 swaps before it answers).",
              ""]  # fmt: skip
    k = r["kill"]
    lines += ["### Replica 2 SIGKILLed under load (8 visitors through nginx), restarted", "",
              f"Replies: {k['replies']}, failed: {k['failed']}; nginx logged {k['nginx_upstream_errors']} upstream "
              f"errors (each retried on another replica); restart to ready: {k['restart_to_ready_s']:.1f} s; "
              f"serving the current version once ready: {'yes' if k['caught_up'] else 'NO'}.", ""]  # fmt: skip
    st = r["shared_state"]
    lines += ["### Shared state", "",
              f"One visitor sent {st['sent']} questions through nginx (round robin over 3 replicas) with a limit of "
              f"{st['limit']}/minute: {st['ok']} answered, {st['limited']} refused with 429 — the limit, not three "
              f"times it. A question asked directly on each replica: each replica's staff log (`/admin/log.csv`) "
              f"showed {', '.join(f'{n} of 3' for n in st['log_questions_seen'])}.", ""]  # fmt: skip
    tp = r["throughput"]
    tool = next(iter(tp.values()))["tool"]
    lines += [f"### Throughput through nginx ({tool}, {concurrency} connections, {seconds:.0f} s per round, "
              "unique questions; the median of the rounds)", "",
              "| set-up | requests/s | every round | p50 | p95 | p99 | failed |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, t in tp.items():
        every = ", ".join(f"{x:.0f}" for x in t["rps_all"])
        lines.append(f"| {name} | {t['rps']:.1f} | {every} | {t['p50_ms']:.0f} ms | {t['p95_ms']:.0f} ms "
                     f"| {t['p99_ms']:.0f} ms | {t['failed']} |")  # fmt: skip
    lines += ["", "### A question log write", "", "| backend | 1 row per transaction, p50 | p95 | 500 rows per "
              "transaction, per row |", "|---|---|---|---|"]  # fmt: skip
    for name, c in r["log_write"].items():
        lines.append(f"| {name} | {c['single_p50_ms']:.3f} ms | {c['single_p95_ms']:.3f} ms | "
                     f"{c['batched_us_per_row']:.1f} µs |")  # fmt: skip
    lines += ["", "### How a replica gets a published version", "",
              "| FAQ | entries | TSV | texts encoded once | packed build (stored per version) | cache rows | "
              "unpack + load | rebuild from cached vectors + analyses |",
              "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for v in r["versions"]:
        name = "shipped" if v["entries"] < 100 else "synthetic"
        lines.append(f"| {name} | {v['entries']} | {v['tsv_kb']:.0f} KB | {v['texts']} | {v['packed_kb']:.0f} KB | "
                     f"{v['cache_kb']:.0f} KB | {v['unpack_load_s'] * 1000:.0f} ms | "
                     f"{v['rebuild_from_cache_s'] * 1000:.0f} ms |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--publishes", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3, help="throughput rounds per set-up, taking turns")
    ap.add_argument("--json", type=Path, help="write the raw figures here")
    args = ap.parse_args()
    r = run(args.seconds, args.publishes, args.concurrency, args.rounds)
    text = report(r, args.seconds, args.concurrency)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(r, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
