"""Crash safety: SIGKILL in the middle of saving a build, during a publish or an index build, loses nothing.

Real processes with the real model. Each test waits until the process is observably mid-save (a
temporary build folder ``index/builds/.tmp-*`` exists), kills it there, and checks afterwards that
the folder was left behind (the kill did land before the build was complete) and is never used.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from benchmarks import synthetic
from faq_bot.config import PROJECT_ROOT
from faq_bot.retrieval import store
from faq_bot.retrieval.store import list_builds
from tests.conftest import ADMIN_AUTH, ADMIN_TOKEN
from tests.servers import free_port, wait_ready

pytestmark = [pytest.mark.integration, pytest.mark.slow]
#: Entries of the FAQ whose build gets killed: a few seconds of encoding, then a save of several files.
BIG = 60
BUILD_TIMEOUT = 600.0


def env_for(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "FAQ_BOT_FAQ_PATH": str(tmp / "faq.tsv"),
        "FAQ_BOT_INDEX_DIR": str(tmp / "index"),
        "FAQ_BOT_LOG_PATH": str(tmp / "log.db"),
        "FAQ_BOT_ADMIN_TOKEN": ADMIN_TOKEN,
        "FAQ_BOT_RATE_LIMIT": "",
    }


def serve(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    """``faq-bot serve`` on the port, once ready (its log in ``tmp/server.log``)."""
    with (tmp / "server.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "faq_bot.cli", "serve", "--port", str(port)],
            env=env_for(tmp),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        wait_ready(port, proc)
    except AssertionError as exc:
        proc.kill()
        proc.wait()
        tail = (tmp / "server.log").read_text(encoding="utf-8", errors="replace")[-2000:]
        raise AssertionError(f"{exc}\n{tail}") from None
    return proc


def half_builds(index_dir: Path) -> list[Path]:
    """Temporary build folders: a build being saved (or left by a crash while it was)."""
    builds = index_dir / "builds"
    return sorted(p for p in builds.glob(".tmp-*") if p.is_dir()) if builds.is_dir() else []


def kill_while_saving_a_build(proc: subprocess.Popen[bytes], index_dir: Path, before: list[Path]) -> Path:
    """SIGKILL the process as soon as it starts saving a new build; returns that build's temporary folder."""
    deadline = time.monotonic() + BUILD_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the process ended (exit {proc.returncode}) before it saved a build")
        started = [p for p in half_builds(index_dir) if p not in before]
        if started:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            assert started[0].is_dir(), "the kill landed after the build was complete: not a mid-save crash"
            return started[0]
        time.sleep(0.0005)  # a save takes milliseconds: look often
    proc.kill()
    pytest.fail(f"no build was being saved within {BUILD_TIMEOUT} s")


def test_sigkill_during_a_publish_keeps_the_last_good_version(tmp_path: Path) -> None:
    shipped = (PROJECT_ROOT / "data" / "faq.tsv").read_bytes()
    (tmp_path / "faq.tsv").write_bytes(shipped)
    big = tmp_path / "big.tsv"
    synthetic.write(big, BIG)
    index_dir = tmp_path / "index"
    port = free_port()
    proc = serve(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    before = httpx.get(f"{url}/readyz").json()["faq_version"]
    current = store.current_build(index_dir)
    versions = [bid for bid, _ in list_builds(index_dir)]
    assert current is not None and versions == [current.name]
    replies: list[httpx.Response | httpx.HTTPError] = []

    def upload() -> None:
        try:
            replies.append(
                httpx.post(
                    f"{url}/admin/faq",
                    files={"file": ("big.tsv", big.read_bytes())},
                    headers=ADMIN_AUTH,
                    timeout=BUILD_TIMEOUT,
                )
            )
        except httpx.HTTPError as exc:
            replies.append(exc)

    uploader = threading.Thread(target=upload)
    uploader.start()
    half = kill_while_saving_a_build(proc, index_dir, half_builds(index_dir))
    uploader.join(timeout=60)
    assert not uploader.is_alive()
    [reply] = replies
    assert isinstance(reply, httpx.TransportError), f"the upload got a reply from a killed server: {reply!r}"

    assert (tmp_path / "faq.tsv").read_bytes() == shipped  # the file on disk is whole and unchanged
    assert store.current_build(index_dir) == current  # CURRENT never moved to the half build
    store.load(current)  # whole and loadable
    assert [bid for bid, _ in list_builds(index_dir)] == versions  # the half build is not a version
    proc = serve(tmp_path, port)
    try:
        assert httpx.get(f"{url}/readyz").json()["faq_version"] == before
        listed = httpx.get(f"{url}/admin/versions", headers=ADMIN_AUTH).json()
        assert [v["build_id"] for v in listed] == versions and listed[0]["current"]
        assert half.name not in {v["build_id"] for v in listed}
        reply_after = httpx.post(f"{url}/api/chat", json={"message": "請求書はダウンロードできますか"})
        assert reply_after.status_code == 200 and reply_after.json()["entry"]["id"] == "31"
        # The killed publish left no lock behind: the next publish (of the file on disk) takes it and finishes.
        reloaded = httpx.post(f"{url}/admin/reload", headers=ADMIN_AUTH, timeout=BUILD_TIMEOUT)
        assert reloaded.status_code == 200 and not reloaded.json()["published"], reloaded.text  # nothing changed
        assert store.current_build(index_dir) == current
    finally:
        proc.terminate()
        proc.wait()


def test_sigkill_during_a_cli_index_build_leaves_the_previous_build_current(tmp_path: Path) -> None:
    faq = tmp_path / "faq.tsv"
    faq.write_bytes((PROJECT_ROOT / "data" / "faq.tsv").read_bytes())
    index_dir = tmp_path / "index"
    env = env_for(tmp_path)
    subprocess.run([sys.executable, "-m", "faq_bot.cli", "build-index"], env=env, check=True, capture_output=True)
    good = store.current_build(index_dir)
    assert good is not None
    synthetic.write(faq, BIG)  # a different FAQ: a new build
    log = tmp_path / "build.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "faq_bot.cli", "build-index"], env=env, stdout=subprocess.DEVNULL, stderr=err
        )
    half = kill_while_saving_a_build(proc, index_dir, half_builds(index_dir))
    said = log.read_text(encoding="utf-8")
    assert "語を解析しています" in said and "索引を保存しました" not in said  # built, never finished saving
    assert store.current_build(index_dir) == good
    store.load(good)  # whole and loadable
    assert [bid for bid, _ in list_builds(index_dir)] == [good.name]  # the half build is not listed
    assert half.is_dir()  # left behind by the crash, and ignored
