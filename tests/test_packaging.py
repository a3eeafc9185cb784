"""A plain (non-editable) install carries everything the service needs, templates and widget included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from faq_bot.config import PROJECT_ROOT
from tests.servers import free_port, wait_ready

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_wheel_install_serves_the_widget_page_from_any_folder(tmp_path: Path) -> None:
    wheels, site, work = tmp_path / "wheels", tmp_path / "site", tmp_path / "work"
    work.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(PROJECT_ROOT)],
                   check=True, capture_output=True)  # fmt: skip
    wheel = next(wheels.glob("faq_bot-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)
    shutil.copy(PROJECT_ROOT / "data" / "faq.tsv", work / "faq.tsv")
    env = {
        **os.environ,
        "PYTHONPATH": str(site),  # ahead of the editable checkout
        "FAQ_BOT_FAQ_PATH": str(work / "faq.tsv"),
        "FAQ_BOT_INDEX_DIR": str(work / "index"),
        "FAQ_BOT_LOG_PATH": str(work / "log.sqlite3"),
    }
    where = subprocess.run([sys.executable, "-c", "import faq_bot; print(faq_bot.__file__)"], env=env, cwd=work,
                           check=True, capture_output=True, text=True).stdout  # fmt: skip
    assert where.startswith(str(site)), where
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "faq_bot.cli", "serve", "--port", str(port)], env=env, cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        url = wait_ready(port, proc)
        page = httpx.get(url + "/")
        assert page.status_code == 200 and "/widget.js" in page.text
        widget = httpx.get(url + "/widget.js")
        assert widget.status_code == 200 and "shadow" in widget.text.lower()
        assert httpx.get(url + "/static/widget.css").status_code == 200
        assert httpx.post(url + "/api/chat", json={"message": "請求書はダウンロードできますか"}).json()["entry"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
