"""Running and measuring the service: ``serve`` and ``bench``."""

from __future__ import annotations

import argparse
import sys

from faq_bot.errors import FaqBotError


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


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    limit_malloc_arenas()
    if args.workers > 1:
        uvicorn.run(
            "faq_bot.service.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers
        )
    else:
        from faq_bot.service.app import create_app

        uvicorn.run(create_app(), host=args.host, port=args.port)
    return 0
