"""Faults the soak injects from outside the servers: a full log disk, a locked log database, a restart.

Nothing here is mocked: the log lives on a small tmpfs that is really filled up, the
lock is a real ``BEGIN EXCLUSIVE`` from another process's connection, and a restart is
a SIGTERM (uvicorn's graceful shutdown) and a new ``faq-bot serve``.
"""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx


class LogDisk:
    """A tmpfs for the question log that can be filled up (mounting needs root)."""

    def __init__(self, folder: Path, size_mb: int = 256) -> None:
        self.folder = folder
        self.filler = folder / "filler"
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(folder)], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"cannot mount a tmpfs for the log (root needed): {done.stderr.strip()}")

    def fill(self) -> int:
        """Take every free byte; returns how many were taken."""
        taken = 0
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            for size in (1 << 20, 4096, 1):  # big writes first, then down to the very last byte
                chunk = b"\0" * size
                while True:
                    try:
                        taken += os.write(fd, chunk)
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
        finally:
            os.close(fd)
        return taken

    def free(self) -> None:
        """Give the space back."""
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        """Unmount (the log on it is gone with it)."""
        subprocess.run(["umount", "-l", str(self.folder)], check=False)


class LogLock:
    """Another process's exclusive transaction on the question log: writers must wait until it ends."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self.db.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        """End the transaction and close."""
        self.db.execute("COMMIT")
        self.db.close()


class Server:
    """One `faq-bot serve` child process on a fixed port; stderr appended to a log file."""

    def __init__(self, name: str, port: int, env: dict[str, str], log_file: Path) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = env
        self.log_file = log_file
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start and wait until ready; the seconds it took."""
        started = time.monotonic()
        with self.log_file.open("ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "faq_bot.cli", "serve", "--port", str(self.port)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={**os.environ, **self.env},
            )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {self.name} exited with {self.proc.returncode}; see {self.log_file}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server {self.name} not ready after 300 s")

    def stop(self) -> int:
        """SIGTERM (uvicorn finishes the requests in flight) and wait; the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=120)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no log flush, connections reset."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.proc is not None
        return self.proc.pid
