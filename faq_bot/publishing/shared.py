"""Publishing across replicas: versions in PostgreSQL, changes announced with LISTEN/NOTIFY.

A publish (or rollback) on any replica, or from the CLI, stores the build in the
database and moves the current pointer by compare-and-set (``storage.versions``);
PostgreSQL notifies every replica, whose ``Follower`` has it loaded and swapped by the
``Publisher`` (requests in flight finish on the old version). The local index folder
stays what it was: a cache of the builds this replica has served. A replica that
starts, or whose listening connection comes back after a database outage, catches up
with the current version first; while it cannot listen, ``/readyz`` says so.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import psycopg

from faq_bot.errors import DatabaseError, IndexMismatchError, VersionNotFoundError
from faq_bot.files import fsync_dir, temp_dir
from faq_bot.priority import mark_staff_thread
from faq_bot.retrieval.index import FaqIndex, Manifest
from faq_bot.retrieval.store import TSV_FILE
from faq_bot.storage.database import reason
from faq_bot.storage.versions import CHANNEL, StoredVersion, VersionStore

log = logging.getLogger("faq_bot.publishing")
#: Seconds between reconnection attempts of the listener, growing from the first to the last.
RECONNECT = (0.2, 5.0)
#: How often the listener wakes to see whether it should stop, and checks its connection (seconds).
WAKE_SECONDS = 0.25
PING_SECONDS = 2.0


def pack(folder: Path) -> bytes:
    """A build folder's files as one uncompressed tar (vectors do not compress)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                tar.add(path, arcname=path.name)
    return buffer.getvalue()


def unpack(data: bytes, index_dir: Path, build_id: str) -> Path:
    """Write a packed build as ``builds/<build_id>`` (temporary folder, then rename: never half there)."""
    builds = index_dir / "builds"
    final = builds / build_id
    if (final / "manifest.json").is_file():
        return final
    builds.mkdir(parents=True, exist_ok=True)
    tmp = temp_dir(builds)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            tar.extractall(tmp, filter="data")
        fsync_dir(tmp)
        os.rename(tmp, final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if (final / "manifest.json").is_file():
            return final  # another worker of this machine unpacked it first
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


class SharedVersions:
    """The Publisher's view of the shared versions: store a build, fetch one, move the current pointer."""

    def __init__(self, versions: VersionStore, index_dir: Path, keep: int) -> None:
        self.versions = versions
        self.index_dir = index_dir
        self.keep = keep

    def current(self) -> str | None:
        """The build id every replica should serve (``DatabaseError`` when the database cannot be reached)."""
        return self.versions.current()

    def publish(self, index: FaqIndex, tsv: bytes, *, expected: str | None) -> None:
        """Store a saved build and make it current, unless the current version is no longer ``expected``."""
        assert index.path is not None, "save the build first"
        manifest = asdict(index.manifest)
        self.versions.publish(index.path.name, manifest, tsv, pack(index.path), expected=expected, keep=self.keep)

    def make_current(self, build_id: str, *, expected: str | None) -> None:
        """Serve a kept version (a rollback), unless the current version is no longer ``expected``."""
        self.versions.make_current(build_id, expected=expected)

    def local(self, build_id: str) -> Path:
        """The build's folder in the local index folder, downloaded if this replica has not got it."""
        folder = self.index_dir / "builds" / build_id
        if (folder / "manifest.json").is_file():
            return folder
        files = self.versions.files(build_id)
        if files is None:
            raise VersionNotFoundError(f"バージョン {build_id[:60]} は保存されていません。")
        return unpack(files[1], self.index_dir, build_id)

    def tsv(self, build_id: str) -> bytes | None:
        """A kept version's TSV alone (not its build), from this replica's folder or the database."""
        local = self.index_dir / "builds" / build_id / TSV_FILE
        if local.is_file():
            return local.read_bytes()
        return self.versions.tsv(build_id)

    def listing(self) -> list[StoredVersion]:
        """Kept versions, newest first."""
        return self.versions.versions()

    def builds(self) -> list[tuple[str, Manifest]]:
        """Kept versions, newest first, as ``retrieval.store.list_builds`` gives a folder's: id and manifest."""
        return [(v.build_id, Manifest(**v.manifest)) for v in self.listing()]


class Follower:
    """Listens for version changes (its own connection) and calls ``on_change``; catches up on every (re)connect."""

    def __init__(self, url: str, on_change: Callable[[], object]) -> None:
        self.url = url  # a libpq URL (postgresql://…)
        self.on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faq-bot-follower", daemon=True)
        self._lock = threading.Lock()
        self._connected = False
        self._error: str | None = "not connected yet"
        self._caught_up = threading.Event()

    def start(self) -> None:
        """Start listening in a daemon thread."""
        self._thread.start()

    def wait_caught_up(self, timeout: float) -> bool:
        """Wait until the listener has connected and caught up once (at most ``timeout`` seconds)."""
        return self._caught_up.wait(timeout)

    def stop(self) -> None:
        """Stop listening and close the connection."""
        self._stop.set()
        self._thread.join(timeout=10)

    @property
    def connected(self) -> bool:
        """The listening connection is up: this replica hears about publishes."""
        with self._lock:
            return self._connected

    @property
    def error(self) -> str | None:
        """Why the listener is not connected (for operators)."""
        with self._lock:
            return self._error

    def _set(self, connected: bool, error: str | None) -> None:
        with self._lock:
            was, self._connected, self._error = self._connected, connected, error
        if was and not connected:
            log.error("lost the database connection, reconnecting (publishes are not followed meanwhile): %s", error)
        elif connected and not was:
            log.info("listening for FAQ publishes on %s", CHANNEL)

    def _run(self) -> None:
        mark_staff_thread()  # a followed publish reads with the staff's janome tokenizer, not the visitors'
        delay = RECONNECT[0]
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._set(True, None)
                    delay = RECONNECT[0]
                    self._changed()  # catch up with what was published while not listening
                    self._caught_up.set()
                    pinged = time.monotonic()
                    while not self._stop.is_set():
                        if list(conn.notifies(timeout=WAKE_SECONDS, stop_after=1)):
                            self._changed()
                        elif time.monotonic() - pinged > PING_SECONDS:
                            conn.execute("SELECT 1")  # a dead server shows here, not only at the next publish
                            pinged = time.monotonic()
            except (psycopg.Error, OSError) as exc:
                self._set(False, reason(exc))
                self._stop.wait(delay)
                delay = min(delay * 2, RECONNECT[1])
        self._set(False, "stopped")

    def _changed(self) -> None:
        try:
            self.on_change()
        except (DatabaseError, IndexMismatchError) as exc:
            log.error("could not follow the published FAQ version: %s", exc)
        except Exception:  # the listener must survive anything; the served version keeps serving
            log.exception("follower error")
