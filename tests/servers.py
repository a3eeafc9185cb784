"""Helpers for tests that run a real server: free ports, readiness, uvicorn in a thread."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

READY_TIMEOUT = 300.0  # a first start may convert nothing but build an index: seconds, not minutes


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = READY_TIMEOUT) -> str:
    """Poll ``/readyz`` until 200 (or fail: the process died, or the deadline passed); returns the base URL."""
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise AssertionError(f"server exited with {proc.returncode}: {err[-2000:]}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return url
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"server on port {port} not ready after {timeout} s")


@contextmanager
def uvicorn_thread(app: FastAPI, **options: Any) -> Iterator[str]:
    """Serve an app on a free loopback port in a thread (with these uvicorn options); yields its base URL once ready."""
    port = free_port()
    options = {"log_level": "warning", **options, "host": "127.0.0.1", "port": port}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield wait_ready(port)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
