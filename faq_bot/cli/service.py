"""Running and measuring the service: ``serve`` and ``bench``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from faq_bot.cli.common import say
from faq_bot.errors import FaqBotError
from faq_bot.memory import limit_arenas


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
    if not args.host.strip():
        # uvicorn would listen on every interface: e.g. a unit's --host ${FAQ_BOT_LISTEN_HOST} with the variable unset.
        say(
            "--host が空です。待ち受けるアドレス（127.0.0.1、このマシンのプライベートアドレスなど）を指定してください。"
        )
        return 2
    import uvicorn

    from faq_bot.config import load_settings

    limit_arenas()
    # uvicorn would otherwise replace the peer address with X-Forwarded-For from any loopback peer;
    # the app reads forwarded addresses itself, from FAQ_BOT_TRUSTED_PROXIES only.
    # On SIGTERM uvicorn stops accepting, lets requests in flight finish (at most shutdown_seconds),
    # then the app's lifespan writes out the log queue and closes its connections.
    options: dict[str, Any] = {
        "host": args.host, "port": args.port, "proxy_headers": False, "log_config": serve_log_config(),
        "timeout_graceful_shutdown": load_settings().shutdown_seconds,
    }  # fmt: skip
    if args.workers > 1:
        uvicorn.run("faq_bot.service.app:create_app", factory=True, workers=args.workers, **options)
    else:
        from faq_bot.service.app import create_app

        uvicorn.run(create_app(), **options)
    return 0
