"""The benchmark suite (``faq-bot bench``): encoder backends, engine, HTTP under load, start-up, scale.

Everything is measured in one run on the machine at hand, one part after the
other (never two loads at once), and reported as medians and percentiles.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from faq_bot.config import Settings
from faq_bot.embed import Vectors

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
    from faq_bot.faq import load

    out: list[str] = []
    for e in load(settings.faq_path).entries:
        out += [e.question, *e.alternates]
    return out


def unique(qs: Sequence[str], i: int) -> str:
    """The i-th question, made unique so that no reply cache can help."""
    return f"{qs[i % len(qs)]} ({i})" if i >= len(qs) else qs[i % len(qs)]


# ---------------------------------------------------------------- encoder and engine


def _encode_one(enc: Any, qs: Sequence[str], i: int) -> object:
    return enc.encode_queries([qs[i % len(qs)]])


def _encode_batch(enc: Any, batch: Sequence[str], _i: int) -> object:
    return enc.encode_queries(batch)


def _search(r: Any, texts: Sequence[str], vectors: Vectors, i: int) -> object:
    return r.search(texts[i % len(texts)], query_vector=vectors[i % len(texts)], k=10)


def measure_encoders(settings: Settings, qs: Sequence[str], n: int) -> list[Timing]:
    """One query per call through each backend (ONNX first: torch's thread pool would fight it)."""
    from faq_bot.embed import OnnxEmbedder, SentenceTransformerEmbedder
    from faq_bot.export import is_exported

    out = []
    if is_exported(settings.model_dir):
        for int8 in (False, True):
            enc = OnnxEmbedder(settings.model_dir, int8=int8)
            label = f"encoder onnx {'int8' if int8 else 'fp32'}"
            out.append(time_calls(label, partial(_encode_one, enc, qs), n))
            batch = [qs[i % len(qs)] for i in range(32)]
            t = time_calls("batch", partial(_encode_batch, enc, batch), max(3, n // 20), warmup=1)
            out.append(
                Timing(
                    f"{label}, per query in a batch of 32",
                    32,
                    t.p50 / 32,
                    t.p95 / 32,
                    t.p99 / 32,
                    0.0,
                )
            )
    torch_enc = SentenceTransformerEmbedder(settings.model_dir)
    out.append(
        time_calls(
            "encoder torch fp32 (sentence-transformers)", lambda i: torch_enc.encode_queries([qs[i % len(qs)]]), n
        )
    )
    return out


def measure_engine(settings: Settings, qs: Sequence[str], n: int) -> Timing:
    """The bare in-process ``Engine.ask`` with the default backend (no reply cache)."""
    from faq_bot.engine import Engine

    engine = Engine.open(settings.model_copy(update={"reply_cache_size": 0}))
    return time_calls("engine.ask (in-process, default backend)", lambda i: engine.ask(qs[i % len(qs)]), n)


# ---------------------------------------------------------------- HTTP


def measure_http(url: str, qs: Sequence[str], concurrency: int, seconds: float, offset: int = 0) -> Timing:
    """``POST /api/chat`` from ``concurrency`` clients for ``seconds`` (unique questions)."""
    samples: list[float] = []
    failures = 0
    lock = threading.Lock()
    counter = iter(range(offset, offset + 10_000_000))
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal failures
        with httpx.Client(base_url=url, timeout=30) as http:
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
  counter = 0
end
request = function()
  counter = counter + 1
  local q = qs[(counter % #qs) + 1]
  if REPEAT then q = qs[1] else q = q .. " (" .. tid .. "-" .. counter .. ")" end
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
               "-s", str(script), url, "--", str(tmp / "qs.txt")]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
        data = json.loads(next(ln for ln in out.splitlines() if ln.startswith("WRKJSON ")).split(" ", 1)[1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = int(data["errors"] + data["status"])
    rps = (data["requests"] - failed) / (data["us"] / 1e6)
    name = f"POST /api/chat, concurrency {concurrency}" + (" (one repeated question)" if repeat else "")
    return Timing(name, int(data["requests"]), data["p50"], data["p95"], data["p99"], rps, failed)


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


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


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
    took = []
    try:
        with httpx.Client(base_url=url, timeout=900, headers={"Authorization": f"Bearer {TOKEN}"}) as admin:
            for i in range(publishes):
                t = time.perf_counter()
                admin.post("/admin/faq", files={"file": ("faq.tsv", variants[i % len(variants)])}).raise_for_status()
                took.append(time.perf_counter() - t)
    finally:
        stop.set()
        for th in threads:
            th.join()
    return ReloadTiming(took, counts["ok"] + counts["failed"], counts["failed"])


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
                series = [measure_wrk(url, qs, c, seconds) for c in (1, 8, 32)]
                cached = measure_wrk(url, qs, 1, min(seconds, 3.0), repeat=True)
            else:
                measure_http(url, qs, 4, 2.0, offset=900_000)  # warm-up
                series = [measure_http(url, qs, c, seconds, offset=c * 100_000) for c in (1, 8, 32)]
                cached = measure_http(url, list(qs[:1]) * len(qs), 1, min(seconds, 3.0), offset=0)
            rss = rss_mb(proc.pid)
            variant = shipped.replace("毎月10日~15日頃".encode(), "毎月10日〜15日頃".encode())
            reload = measure_reload_under_load(url, [variant, shipped], qs, publishes)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        return {"cold_start_s": cold, "http": series, "rss_mb": rss, "cached": cached, "reload": reload}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- scale


class MixtureEmbedder:
    """Realistic synthetic vectors for scale runs: each text is a noisy mix of two real mE5 vectors.

    Encoding 100k long FAQ entries with the real model takes hours on two cores; search,
    memory and recall depend on the vectors' distribution, which this keeps clustered
    like real embeddings (base vectors are real encodings of varied FAQ questions).
    """

    def __init__(self, base: Vectors, noise: float = 0.03) -> None:
        self.base = base
        self.noise = noise

    @property
    def model_id(self) -> str:
        return "mixture-of-real-mE5-vectors"

    @property
    def dim(self) -> int:
        return int(self.base.shape[1])

    def _one(self, text: str) -> Vectors:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        rng = np.random.default_rng(seed)
        i, j = rng.integers(0, len(self.base), 2)
        w = rng.uniform(0.6, 0.9)
        v = w * self.base[i] + (1 - w) * self.base[j] + rng.normal(0, self.noise, self.dim)
        return np.asarray(v / np.linalg.norm(v), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        return self.encode_queries(texts)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def measure_scale(settings: Settings, sizes: Sequence[int], base: Vectors, queries: int = 200) -> list[dict[str, Any]]:
    """Build, save, load and search synthetic FAQs: flat vs HNSW, recall@10 of HNSW against flat."""
    from faq_bot import faq as faq_table
    from faq_bot import index as faq_index
    from faq_bot import synthetic
    from faq_bot.retrieve import Retriever
    from faq_bot.text import SynonymTable, TextAnalyzer

    emb = MixtureEmbedder(base)
    analyzer = TextAnalyzer(SynonymTable.load(settings.synonyms_path))
    rows = []
    for n in sizes:
        items = synthetic.entries(n, categories=20, answer_sentences=3)
        faq = faq_table.Faq(tuple(items), f"synthetic-{n}", "UTF-8", hashlib.sha256(str(n).encode()).hexdigest())
        qtexts = [synthetic.paraphrase(items[(i * 7919) % n]) for i in range(queries)]
        qvecs = emb.encode_queries(qtexts)
        result: dict[str, Any] = {"entries": n}
        ids: dict[str, list[list[str]]] = {}
        for kind in ("flat", "hnsw"):
            s = settings.model_copy(update={"index_type": kind, "candidates": 50})
            rss0 = rss_mb(os.getpid())
            t = time.perf_counter()
            built = faq_index.build(faq, emb, analyzer, s)
            build_s = time.perf_counter() - t
            tmp = Path(tempfile.mkdtemp(prefix="faq-bot-scale-"))
            try:
                folder = faq_index.save(built, tmp)
                size = _folder_bytes(folder)
                t = time.perf_counter()
                loaded = faq_index.load(folder)
                load_s = time.perf_counter() - t
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            r = Retriever(loaded, emb, analyzer, s)
            timing = time_calls(
                f"search {kind}",
                partial(_search, r, qtexts, qvecs),
                queries,
            )
            ids[kind] = [
                [h.entry.id for h in r.search(q, query_vector=v, k=10).hits] for q, v in zip(qtexts, qvecs, strict=True)
            ]
            result[kind] = {
                "build_s": round(build_s, 2),
                "load_s": round(load_s, 3),
                "index_mb": round(size / 1e6, 1),
                "rss_growth_mb": round(rss_mb(os.getpid()) - rss0, 1),
                "search_ms_p50": round(timing.p50, 3),
                "search_ms_p95": round(timing.p95, 3),
            }
            del built, loaded, r
        result["hnsw_recall_at_10"] = round(
            float(
                np.mean([len(set(a) & set(b)) / max(len(a), 1) for a, b in zip(ids["flat"], ids["hnsw"], strict=True)])
            ),
            4,
        )
        rows.append(result)
    return rows


# ---------------------------------------------------------------- suite


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


def run(quick: bool = False, sizes: Sequence[int] = (1_000, 10_000, 100_000)) -> dict[str, Any]:
    """The whole suite; ``quick`` (under a minute) skips the other backends, scale and long runs."""
    settings = Settings()
    qs = questions(settings)
    generator = "wrk (Debian package)" if shutil.which("wrk") else "httpx threads in this process (apt-get install wrk)"
    out: dict[str, Any] = {"machine": machine(), "quick": quick, "load_generator": generator}
    n = 60 if quick else 300
    if quick:
        from faq_bot.embed import load_embedder

        enc = load_embedder(settings)
        out["encoders"] = [time_calls("encoder (default backend)", lambda i: enc.encode_queries([qs[i % len(qs)]]), n)]
    else:
        out["encoders"] = measure_encoders(settings, qs, n)
    out["engine"] = measure_engine(settings, qs, n)
    out["service"] = measure_service(settings, qs, 4.0 if quick else 15.0, 1 if quick else 4)
    if not quick:
        from faq_bot.embed import load_embedder

        base = load_embedder(settings).encode_queries(qs)
        out["scale"] = measure_scale(settings, sizes, base)
    return out


def summary_json(results: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` object."""
    http = {t.name.rsplit(" ", 1)[-1]: t for t in results["service"]["http"]}
    return {
        "encoder_ms_p50": round(results["encoders"][0].p50, 3),
        "engine_ms_p50": round(results["engine"].p50, 3),
        "chat_ms_p50_c1": round(http["1"].p50, 3),
        "chat_ms_p95_c1": round(http["1"].p95, 3),
        "chat_ms_p50_c8": round(http["8"].p50, 3),
        "rps_c1": round(http["1"].rps, 1),
        "rps_c8": round(http["8"].rps, 1),
        "rps_c32": round(http["32"].rps, 1),
        "chat_ms_p50_cached": round(results["service"]["cached"].p50, 3),
        "cold_start_s": round(results["service"]["cold_start_s"], 2),
        "rss_mb": round(results["service"]["rss_mb"], 1),
        "publish_s": round(statistics.median(results["service"]["reload"].publish_seconds), 2),
        "failed_during_publish": results["service"]["reload"].failed,
    }


def markdown(results: dict[str, Any]) -> str:
    """The report as markdown tables."""
    lines = [
        f"Machine: {results['machine']}",
        f"HTTP load generator: {results.get('load_generator', 'httpx')}",
        "",
        "| series | n | p50 ms | p95 ms | p99 ms | req/s | failed |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in [*results["encoders"], results["engine"], *results["service"]["http"], results["service"]["cached"]]:
        lines.append(f"| {t.name} | {t.n} | {t.p50:.2f} | {t.p95:.2f} | {t.p99:.2f} | {t.rps:.1f} | {t.failures} |")
    s = summary_json(results)
    svc = results["service"]
    lines += [
        "",
        f"- chat p50 at concurrency 1 / engine.ask p50: {s['chat_ms_p50_c1'] / s['engine_ms_p50']:.2f}; "
        f"/ bare encoder p50: {s['chat_ms_p50_c1'] / s['encoder_ms_p50']:.2f}",
        f"- throughput at concurrency 32 / at concurrency 1: {s['rps_c32'] / max(s['rps_c1'], 1e-9):.2f}",
        f"- cold start to /readyz: {s['cold_start_s']:.2f} s; server RSS after warm-up: {s['rss_mb']:.0f} MB",
        f"- publish of the 47-entry FAQ under chat load (concurrency 8): median {s['publish_s']:.2f} s "
        f"({len(svc['reload'].publish_seconds)} publishes), {svc['reload'].chats} chats meanwhile, "
        f"{svc['reload'].failed} failed",
    ]
    if "scale" in results:
        lines += [
            "",
            "| entries | index | build s | load s | index MB | RSS growth MB | search p50 ms | search p95 ms "
            "| HNSW recall@10 |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in results["scale"]:
            for kind in ("flat", "hnsw"):
                r = row[kind]
                recall = row["hnsw_recall_at_10"] if kind == "hnsw" else "-"
                lines.append(
                    f"| {row['entries']:,} | {kind} | {r['build_s']} | {r['load_s']} | {r['index_mb']} | "
                    f"{r['rss_growth_mb']} | {r['search_ms_p50']} | {r['search_ms_p95']} | {recall} |"
                )
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> None:
    """A PNG: latency percentiles and throughput of the HTTP series."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    http = results["service"]["http"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    xs = [t.name.rsplit(" ", 1)[-1] for t in http]
    for key, color in (("p50", "#0b5cad"), ("p95", "#d97706"), ("p99", "#cf222e")):
        a.plot(xs, [getattr(t, key) for t in http], marker="o", label=key, color=color)
    a.axhline(results["encoders"][0].p50, color="#8c959f", linestyle="--", label="bare encoder p50")
    a.set_xlabel("concurrency")
    a.set_ylabel("ms")
    a.set_title("POST /api/chat latency")
    a.legend()
    b.bar(xs, [t.rps for t in http], color="#1a7f37")
    b.set_xlabel("concurrency")
    b.set_ylabel("requests / s")
    b.set_title("throughput")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def to_jsonable(results: dict[str, Any]) -> Any:
    """Results with dataclasses turned into dicts."""
    return json.loads(
        json.dumps(results, default=lambda o: asdict(o) if hasattr(o, "__dataclass_fields__") else str(o))
    )


def main(quick: bool, as_json: bool, out: Path | None, png: Path | None) -> int:
    """``faq-bot bench``."""
    results = run(quick=quick)
    if as_json:
        print(json.dumps(summary_json(results)))
    else:
        print(markdown(results))
    if out is not None:
        text = "# Benchmarks\n\n`faq-bot bench` (one run, one part after the other).\n\n" + markdown(results) + "\n"
        if png is not None:
            text += f"\n![latency and throughput]({png.name})\n"
        out.write_text(text, encoding="utf-8")
        (out.with_suffix(".json")).write_text(json.dumps(to_jsonable(results), indent=1), encoding="utf-8")
    if png is not None:
        plot(results, png)
    return 0
