"""Measuring and fitting: ``eval`` (figures per style and category) and ``calibrate`` (the decision model)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from faq_bot.cli.common import engine_for, say, settings_from, writable

if TYPE_CHECKING:
    from faq_bot.config import Settings
    from faq_bot.content.queries import LabelledQuery
    from faq_bot.retrieval.engine import Loaded


def cmd_eval(args: argparse.Namespace) -> int:
    from faq_bot.content.queries import read_queries
    from faq_bot.quality.evaluate import METRIC_NAMES, evaluate, miss_line, ranking_line, report_dict

    settings = settings_from(args, aside=True)
    queries = read_queries(Path(args.queries))
    writable([p for p in (args.rankings, args.html, args.csv) if p])  # before the work, not after it
    engine = engine_for(settings, quiet=args.json)
    check(Path(args.queries), queries, settings, engine.current)
    report = evaluate(engine, queries, top_k=args.top_k)
    if args.rankings:
        with Path(args.rankings).open("w", encoding="utf-8") as fh:
            for o in report.outcomes:
                fh.write(json.dumps(ranking_line(o), ensure_ascii=False) + "\n")
    if args.html or args.csv:
        from faq_bot.quality import report as batch_report
        from faq_bot.quality.calibrate import proposal_for
        from faq_bot.quality.evaluate import scored

        if args.html:
            proposal = proposal_for(scored(report.outcomes))  # the bars the report names
            decision = settings.retrieval_params().decision
            html = batch_report.render_html(report, decision, Path(args.queries).name, proposal)
            Path(args.html).write_text(html, encoding="utf-8")
            say(f"報告を書き出しました: {args.html}")
        if args.csv:
            table = batch_report.rows(report, settings.retrieval_params().decision)
            Path(args.csv).write_text(batch_report.to_csv(table), encoding="utf-8")
            say(f"結果一覧を書き出しました: {args.csv}")
    if args.json:
        print(json.dumps(report_dict(report), ensure_ascii=False))
        return 0
    for key, value in report.metrics.items():
        print(f"{key:>20}: {value:<8}  {METRIC_NAMES.get(key, '')}".rstrip())
    if report.styles:
        print_styles("\n文体別:", report.styles, report.metrics)
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


def check(path: Path, queries: Sequence[LabelledQuery], settings: Settings, live: Loaded) -> None:
    """Refuse a file whose questions name a gold id or a category the FAQ measured does not have
    (``check_labels``)."""
    from faq_bot.content.queries import check_labels

    faq = f"FAQ「{settings.faq_path.name}」"
    check_labels(queries, str(path), live.entry_ids, live.index.categories, faq, live.category_of)


def _figures_line(label: str, m: Mapping[str, object]) -> str:
    cells = [f"{k}={m[k]}" for k in ("n", *SHOWN) if k in m]
    return f"  {label:<14} " + "  ".join(cells)


#: The figures printed per style (those that apply to a group are shown).
SHOWN = ("top1", "answered_correctly", "helpful", "wrong_answers", "oos_rejection", "near_oos_safe")


def print_styles(title: str, rows: Sequence[Mapping[str, object]], overall: Mapping[str, object]) -> None:
    """A figures table: overall, then one line per style."""
    print(title)
    print(_figures_line("(全体)", overall))
    for row in rows:
        print(_figures_line(str(row["style"]), row))


def cmd_calibrate(args: argparse.Namespace) -> int:
    from faq_bot.config import DEFAULT_MODEL_FILE, settings_file, write_settings
    from faq_bot.content.queries import read_queries
    from faq_bot.errors import ConfigError
    from faq_bot.quality.evaluate import by_source
    from faq_bot.quality.fitting import calibrate

    settings = settings_from(args, aside=True)
    if args.write:  # said before the fit (minutes on a big FAQ), not after it
        target = settings_file()
        if not os.access(target if target.exists() else target.parent, os.W_OK):  # (a missing folder: False)
            raise ConfigError(f"設定ファイル {target} に書き込めません（フォルダーと書き込み権限を確かめてください）。")
    sets = [(Path(p), read_queries(Path(p))) for p in args.queries]  # a file given twice counts twice, as before
    engine = engine_for(settings, quiet=True)
    for path, read in sets:
        check(path, read, settings, engine.current)
    queries = [q for _, read in sets for q in read]
    result = calibrate(
        engine, queries, folds=args.folds, max_wrong=args.max_wrong, min_escalated=args.min_escalated,
        use_faq=not args.no_faq, progress=say,
    )  # fmt: skip
    t = result.thresholds
    print(f"判定モデル: ラベル付き {result.labelled}問 + FAQ自身の質問 {result.from_faq}問で学習")
    if not result.topic_refitted:
        kept = "現在のものをそのまま使います" if result.model.topic is not None else "候補の確率の合計で判定します"
        print("もしかしての判定モデルは作れませんでした（ラベル付きの質問に、FAQが答えるものと範囲外のものの"
              f"両方が必要です）。{kept}。")  # fmt: skip
    kept = "" if t.suggest_proposed else "（この質問では決められないため今の値のまま）"
    print(f"提案するしきい値: 回答 ≥ {t.answer:.3f}（確率）、"
          f"もしかして: 上位の候補のどれかが答えである確率 ≥ {t.suggest:.3f}{kept}")  # fmt: skip
    print_styles(f"\n交差検証（{args.folds}分割、FAQ項目ごと）:", result.cross_validated.styles,
                 result.cross_validated.metrics)  # fmt: skip
    files = by_source(result.cross_validated.outcomes)
    if len(files) > 1:  # the wrong-answer bar holds in each file: which one set the answer threshold
        print("\nファイル別（交差検証）:")
        for row in files:
            print(_figures_line(Path(str(row["source"])).name, row))
    print_styles("\n学習データそのもの（参考）:", result.in_sample.styles, result.in_sample.metrics)
    if args.model_out:
        result.model.save(Path(args.model_out))
        print(f"\n判定モデルを書き出しました: {args.model_out}")
    if args.write:
        out = Path(args.model_out) if args.model_out else DEFAULT_MODEL_FILE
        if not args.model_out:
            out.parent.mkdir(parents=True, exist_ok=True)
            result.model.save(out)
        written = write_settings({
            "decision_model_path": str(out.resolve()),
            "answer_threshold": f"{t.answer:.4f}",
            "suggest_threshold": f"{t.suggest:.4f}",
        })  # fmt: skip
        print(f"{written} に書き込みました（サーバーの再起動で反映されます）。")
    return 0
