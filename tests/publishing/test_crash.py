"""Crash safety: SIGKILL in the middle of a publish or an index build loses nothing (real server, real model)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from benchmarks import synthetic
from faq_bot.config import PROJECT_ROOT
from faq_bot.retrieval import store
from faq_bot.retrieval.store import list_builds

pytestmark = pytest.mark.integration
TOKEN = "crash-test-token-0123456789"


def env_for(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "FAQ_BOT_FAQ_PATH": str(tmp / "faq.tsv"),
        "FAQ_BOT_INDEX_DIR": str(tmp / "index"),
        "FAQ_BOT_LOG_PATH": str(tmp / "log.db"),
        "FAQ_BOT_ADMIN_TOKEN": TOKEN,
        "FAQ_BOT_RATE_LIMIT": "",
    }


def serve(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "faq_bot.cli", "serve", "--port", str(port)],
        env=env_for(tmp),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("server did not start")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigkill_during_a_publish_keeps_the_last_good_version(tmp_path: Path) -> None:
    shipped = (PROJECT_ROOT / "data" / "faq.tsv").read_bytes()
    (tmp_path / "faq.tsv").write_bytes(shipped)
    big = tmp_path / "big.tsv"
    synthetic.write(big, 2000)
    port = free_port()
    proc = serve(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    before = httpx.get(f"{url}/readyz").json()["faq_version"]
    versions = [bid for bid, _ in list_builds(tmp_path / "index")]

    def upload() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies under it
            httpx.post(f"{url}/admin/faq", files={"file": ("big.tsv", big.read_bytes())},
                       headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)  # fmt: skip

    import threading

    t = threading.Thread(target=upload)
    t.start()
    time.sleep(3.0)  # the 2,000-entry build is under way (it takes far longer than this)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    t.join()

    assert (tmp_path / "faq.tsv").read_bytes() == shipped  # the file on disk is whole and unchanged
    assert [bid for bid, _ in list_builds(tmp_path / "index")] == versions
    proc = serve(tmp_path, port)
    try:
        assert httpx.get(f"{url}/readyz").json()["faq_version"] == before
        listed = httpx.get(f"{url}/admin/versions", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert [v["build_id"] for v in listed] == versions and listed[0]["current"]
        reply = httpx.post(f"{url}/api/chat", json={"message": "請求書はダウンロードできますか"}).json()
        assert reply["entry"]["id"] == "31"
    finally:
        proc.terminate()
        proc.wait()


def test_sigkill_during_a_cli_index_build_leaves_the_previous_build_current(tmp_path: Path) -> None:
    faq = tmp_path / "faq.tsv"
    faq.write_bytes((PROJECT_ROOT / "data" / "faq.tsv").read_bytes())
    env = env_for(tmp_path)
    subprocess.run([sys.executable, "-m", "faq_bot.cli", "build-index"], env=env, check=True, capture_output=True)
    good = store.current_build(tmp_path / "index")
    assert good is not None
    synthetic.write(faq, 2000)  # a big change: its build takes long
    proc = subprocess.Popen([sys.executable, "-m", "faq_bot.cli", "build-index"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stderr is not None
    proc.stderr.readline()  # it has read the file and started
    time.sleep(2.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert store.current_build(tmp_path / "index") == good
    store.load(good)  # whole and loadable
    assert [bid for bid, _ in list_builds(tmp_path / "index")] == [good.name]
