"""The benchmark suite (``faq-bot bench`` / ``python -m benchmarks``): encoder backends, engine, HTTP under
load, start-up, scale.

Everything is measured in one run on the machine at hand, one part after the
other (never two loads at once), and reported as medians and percentiles.
"""

from __future__ import annotations

import json
import shutil
import statistics
from collections.abc import Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.harness import Timing, machine, questions, time_calls, unique
from benchmarks.load import ROUNDS, measure_service
from benchmarks.publishing import measure_publishing
from benchmarks.scale import measure_scale
from benchmarks.staff import measure_staff
from faq_bot.config import Settings


def _asked(qs: Sequence[str], i: int) -> str:
    """The i-th question as the HTTP series send it (made unique: a number appended)."""
    return unique(qs, len(qs) + i)


def _encode_one(enc: Any, qs: Sequence[str], i: int) -> object:
    return enc.encode_queries([_asked(qs, i)])


def _encode_batch(enc: Any, batch: Sequence[str], _i: int) -> object:
    return enc.encode_queries(batch)


def measure_encoders(settings: Settings, qs: Sequence[str], n: int) -> list[Timing]:
    """One query per call through each backend (ONNX first: torch's thread pool would fight it)."""
    from faq_bot.model.onnx import OnnxEmbedder, is_exported
    from faq_bot.model.sentence_transformer import SentenceTransformerEmbedder

    out = []
    if is_exported(settings.model_dir):
        for int8 in (False, True) if is_exported(settings.model_dir, int8=True) else (False,):
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
    out.append(time_calls("encoder torch fp32 (sentence-transformers)", partial(_encode_one, torch_enc, qs), n))
    return out


def measure_engine(settings: Settings, qs: Sequence[str], n: int) -> Timing:
    """The bare in-process ``Engine.ask`` with the default backend (no reply cache)."""
    from faq_bot.runtime import open_engine

    engine = open_engine(settings.model_copy(update={"reply_cache_size": 0}))
    return time_calls("engine.ask (in-process, default backend)", lambda i: engine.ask(_asked(qs, i)), n)


def run(quick: bool = False, sizes: Sequence[int] = (1_000, 10_000, 100_000)) -> dict[str, Any]:
    """The whole suite; ``quick`` (under a minute) skips the other backends, scale and long runs."""
    settings = Settings()  # the defaults and the environment; never a calibrated settings file
    qs = questions(settings)
    generator = "wrk (Debian package)" if shutil.which("wrk") else "httpx threads in this process (apt-get install wrk)"
    out: dict[str, Any] = {"machine": machine(), "quick": quick, "load_generator": generator}
    n = 60 if quick else 300
    if quick:
        from faq_bot.model.loader import load_embedder

        enc = load_embedder(settings.encoder_params(micro_batch=False))
        out["encoders"] = [time_calls("encoder (default backend)", partial(_encode_one, enc, qs), n)]
    else:
        out["encoders"] = measure_encoders(settings, qs, n)
    out["engine"] = measure_engine(settings, qs, n)
    out["service"] = measure_service(settings, qs, 4.0 if quick else 15.0, 2 if quick else 10)
    out["staff"] = measure_staff(settings, qs, 2_000 if quick else 10_000, 3.0 if quick else 8.0)
    out["publishing"] = measure_publishing(settings, quick)
    if not quick:
        from faq_bot.model.loader import load_embedder

        base = load_embedder(settings.encoder_params(micro_batch=False)).encode_queries(qs)
        out["scale"] = measure_scale(settings, sizes, base)
    return out


_EDIT_KEYS = ("cold_build_s", "dry_run_s", "publish_s", "publish_after_dry_run_s")


def summary_json(results: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` object."""
    http = {t.name.rsplit(" ", 1)[-1]: t for t in results["service"]["http"]}
    svc = results["service"]
    staff = results["staff"]
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
        "rss_after_publishes_mb": round(svc["rss_after_publishes_mb"], 1),
        "rss_anon_mb": round(svc["rss_anon_mb"], 1),
        "rss_anon_after_publishes_mb": round(svc["rss_anon_after_publishes_mb"], 1),
        "chat_ms_p95_idle": round(svc["idle"].p95, 3),
        "chat_ms_p95_while_publishing": round(svc["while_publishing"].p95, 3),
        **{f"{k}_{t.entries}": round(getattr(t, k), 3) for t in results["publishing"] for k in _EDIT_KEYS},
        "log_questions": staff.logged,
        "log_first_page_s": round(staff.first_page_s, 3),
        "log_page_s": round(staff.page_s, 3),
        "answers_page_s": round(staff.answers_page_s, 3),
        "chat_ms_p95_staff_idle": round(staff.idle.p95, 3),
        "chat_ms_p95_while_log_pages": round(staff.while_log_pages.p95, 3),
        "chat_ms_p95_while_batch_test": round(staff.while_batch_test.p95, 3),
    }


#: How the HTTP rows were measured, said under the table and in the page's header.
ROUNDS_SAID = f"each concurrency's HTTP row is the run of median throughput of {ROUNDS}, measured in alternating rounds"


def markdown(results: dict[str, Any]) -> str:
    """The report as markdown tables."""
    lines = [
        f"Machine: {results['machine']}",
        f"HTTP load generator: {results.get('load_generator', 'httpx')}",
        "",
        "| series | n | p50 ms | p95 ms | p99 ms | req/s | failed |",
        "|---|---|---|---|---|---|---|",
    ]
    svc = results["service"]
    staff = results["staff"]
    series = [
        *results["encoders"],
        results["engine"],
        *svc["http"],
        svc["cached"],
        svc["idle"],
        svc["while_publishing"],
        staff.idle,
        staff.while_log_pages,
        staff.while_batch_test,
    ]
    for t in series:
        lines.append(f"| {t.name} | {t.n} | {t.p50:.2f} | {t.p95:.2f} | {t.p99:.2f} | {t.rps:.1f} | {t.failures} |")
    s = summary_json(results)
    lines += [
        "",
        f"- chat p50 at concurrency 1 / engine.ask p50: {s['chat_ms_p50_c1'] / s['engine_ms_p50']:.2f}; "
        f"/ bare encoder p50: {s['chat_ms_p50_c1'] / s['encoder_ms_p50']:.2f}",
        f"- throughput at concurrency 32 / at concurrency 1: {s['rps_c32'] / max(s['rps_c1'], 1e-9):.2f} "
        f"({ROUNDS_SAID})",
        f"- cold start to /readyz: {s['cold_start_s']:.2f} s; server RSS after warm-up: {s['rss_mb']:.0f} MB, of which "
        f"the process's own (anonymous) {s['rss_anon_mb']:.0f} MB; the rest is pages of the encoder's weight file, "
        "mapped read-only (shared by both encoders and every process, the kernel's to drop)",
        f"- publish of the 47-entry FAQ under chat load (concurrency 8): median {s['publish_s']:.2f} s "
        f"({len(svc['reload'].publish_seconds)} publishes), {svc['reload'].chats} chats meanwhile, "
        f"{svc['reload'].failed} failed; server RSS after them: {s['rss_after_publishes_mb']:.0f} MB "
        f"({s['rss_after_publishes_mb'] / s['rss_mb']:.2f}× after warm-up), anonymous "
        f"{s['rss_anon_after_publishes_mb']:.0f} MB ({s['rss_anon_after_publishes_mb'] / s['rss_anon_mb']:.2f}×)",
        f"- chat p95 of one visitor while an editor publishes one-entry edits / idle: "
        f"{s['chat_ms_p95_while_publishing'] / s['chat_ms_p95_idle']:.2f}",
        f"- question log of {staff.logged:,} questions ({staff.unsettled:,} escalated or given suggestions): first "
        f"log page after start-up {staff.first_page_s:.2f} s, later pages {staff.page_s:.2f} s (median); a page of the "
        f"answers to check ({staff.answers:,} answered under 80 %) {staff.answers_page_s:.2f} s (median); chat p95 of "
        f"one visitor while staff page through both lists / idle: "
        f"{s['chat_ms_p95_while_log_pages'] / s['chat_ms_p95_staff_idle']:.2f}, while a batch test runs / idle: "
        f"{s['chat_ms_p95_while_batch_test'] / s['chat_ms_p95_staff_idle']:.2f}",
        "",
        "Publishing (in this process, default encoder, private copies): the 2,000-entry FAQ is synthetic "
        "(`benchmarks/synthetic.py`, answers of a real municipal FAQ's size: median ~290 characters, longest "
        "~1,600, no categories); a cold build starts from an empty index folder; an edit changes one answer; "
        "every publish and dry run also runs the regression set.",
        "",
        "| FAQ | answer chars | cold build s | dry run of a one-entry edit s | its publish after the dry run s "
        "| publish of a one-entry edit s |",
        "|---|---|---|---|---|---|",
    ]
    for t in results["publishing"]:
        lines.append(
            f"| {t.entries:,} entries | {t.answer_chars:,} | {t.cold_build_s:.1f} | {t.dry_run_s:.2f} | "
            f"{t.publish_after_dry_run_s:.2f} | {t.publish_s:.2f} |"
        )
    if "scale" in results:
        lines += [
            "",
            "Scale (synthetic FAQs, 20 categories, 3-sentence answers; vectors are noisy mixtures of real mE5 "
            "embeddings of the FAQ's questions, because encoding 100k entries with the real model takes hours on "
            "2 cores; search time is past encoding: janome + BM25 + FAISS + exact hybrid re-scoring, HNSW "
            "re-scoring capped by `hnsw_rescore_cap`; recall@10 is the HNSW hybrid top 10 against the flat one).",
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


#: What follows this line in the markdown file is written by people, and kept when the figures are rerun.
NOTES = "<!-- notes: kept by faq-bot bench -->"


def _notes(out: Path) -> str:
    try:
        old = out.read_text(encoding="utf-8")
    except OSError:
        return ""
    at = old.find(NOTES)
    return "\n" + old[at:] if at >= 0 else ""


def main(quick: bool, as_json: bool, out: Path | None, png: Path | None) -> int:
    """``faq-bot bench``."""
    results = run(quick=quick)
    if as_json:
        print(json.dumps(summary_json(results)))
    else:
        print(markdown(results))
    if out is not None:
        header = f"# Benchmarks\n\n`faq-bot bench` (one run, one part after the other; {ROUNDS_SAID}).\n\n"
        text = header + markdown(results) + "\n"
        if png is not None:
            text += f"\n![latency and throughput]({png.name})\n"
        text += _notes(out)
        out.write_text(text, encoding="utf-8")
        (out.with_suffix(".json")).write_text(json.dumps(to_jsonable(results), indent=1), encoding="utf-8")
    if png is not None:
        plot(results, png)
    return 0
