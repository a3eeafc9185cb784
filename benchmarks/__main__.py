"""``python -m benchmarks`` (what ``faq-bot bench`` and ``make bench`` run)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.suite import main


def cli() -> int:
    """Parse the arguments of the benchmark run."""
    p = argparse.ArgumentParser(prog="python -m benchmarks", description="faq-bot のベンチマーク")
    p.add_argument("--quick", action="store_true", help="1分以内の簡易版（規模の測定なし）")
    p.add_argument("--json", action="store_true", help="要約を1つのJSONで表示")
    p.add_argument("--out", help="markdown の書き出し先（例: docs/benchmarks.md）")
    p.add_argument("--png", help="グラフの書き出し先（既定: --out と同名の .png）")
    args = p.parse_args()
    out = Path(args.out) if args.out else None
    png = Path(args.png) if args.png else (out.with_suffix(".png") if out else None)
    return main(args.quick, args.json, out, png)


if __name__ == "__main__":
    sys.exit(cli())
