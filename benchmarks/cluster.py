"""Several replicas as deployed: `faq-bot serve` processes behind nginx, one PostgreSQL, one Redis, on loopback.

Used by the deployment test (``tests/test_deploy.py``) and the scale-out benchmark
(``benchmarks/scale_out.py``). Each replica has a "machine" of its own: its own FAQ
file, index folder and SQLite paths (unused: the database is PostgreSQL), as on
separate hosts; only PostgreSQL and Redis are shared. nginx runs the shipped site
configuration (``deploy/nginx/faq-bot.conf``) with loopback addresses and a self-signed
certificate filled in: ``Cluster.url`` is https, and clients pass ``verify=cluster.verify``
(an SSL context that trusts that certificate alone). ``Visitors`` is the chat load: threads
that post questions through nginx and keep every reply, to check afterwards that none
failed and none mixed two FAQ versions.
"""

from __future__ import annotations

import itertools
import random
import shutil
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.faults import Server
from benchmarks.harness import TOKEN
from benchmarks.load import own_context
from benchmarks.services import Nginx, Postgres, Redis, free_port
from faq_bot.content import faq as faq_table

ADMIN = {"Authorization": f"Bearer {TOKEN}"}


class Cluster:
    """Replicas behind nginx with a shared PostgreSQL and Redis; ``start()`` returns once nginx serves."""

    def __init__(
        self, replicas: int, faq: bytes, *, rate_limit: str = "", fast_postgres: bool = True, threads: int = 1
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="faq-bot-cluster-"))
        self.faq = faq
        self.postgres = Postgres(fast=fast_postgres)
        self.redis = Redis()
        self.rate_limit = rate_limit
        self.threads = threads
        self.servers: list[Server] = []
        self.count = replicas
        self.nginx: Nginx | None = None

    def env(self, name: str) -> dict[str, str]:
        """The environment of one replica (its own machine's paths; the shared services)."""
        home = self.folder / name
        return {
            "FAQ_BOT_FAQ_PATH": str(home / "faq.tsv"),
            "FAQ_BOT_INDEX_DIR": str(home / "index"),
            "FAQ_BOT_LOG_PATH": str(home / "unused-log.sqlite3"),
            "FAQ_BOT_SESSION_PATH": str(home / "unused-sessions.sqlite3"),
            "FAQ_BOT_DATABASE_URL": self.database_url,
            "FAQ_BOT_REDIS_URL": self.redis.url,
            "FAQ_BOT_TRUSTED_PROXIES": "127.0.0.1",  # nginx, as the replicas see it
            "FAQ_BOT_ADMIN_TOKEN": TOKEN,
            "FAQ_BOT_RATE_LIMIT": self.rate_limit,
            "FAQ_BOT_ENCODER_THREADS": str(self.threads),  # several replicas share this machine's cores
            "FAQ_BOT_SHUTDOWN_SECONDS": "10",
        }

    @property
    def database_url(self) -> str:
        """The shared database."""
        return self.postgres.url("faq_bot")

    def start(self) -> Cluster:
        """PostgreSQL, Redis, replica 1 (it builds the first version), the others (they download it), nginx."""
        self.postgres.start()
        self.postgres.create_database("faq_bot")
        self.redis.start()
        for i in range(1, self.count + 1):
            name = f"r{i}"
            (self.folder / name).mkdir()
            (self.folder / name / "faq.tsv").write_bytes(self.faq)
            self.servers.append(Server(name, free_port(), self.env(name), self.folder / f"{name}.log"))
        self.servers[0].start()
        starting = [threading.Thread(target=s.start) for s in self.servers[1:]]
        for t in starting:
            t.start()
        for t in starting:
            t.join()
        for s in self.servers:
            if s.proc is None or s.proc.poll() is not None:
                raise RuntimeError(f"replica {s.name} did not start; see {s.log_file}")
        self.nginx = Nginx([s.port for s in self.servers]).start()
        return self

    @property
    def url(self) -> str:
        """nginx: where visitors go (https)."""
        assert self.nginx is not None
        return self.nginx.url

    @property
    def verify(self) -> ssl.SSLContext:
        """For httpx's ``verify=`` on ``url``: trusts nginx's self-signed certificate and nothing else."""
        assert self.nginx is not None
        return self.nginx.verify

    def version_of(self, server: Server) -> str | None:
        """The FAQ version a replica serves (None while it does not answer)."""
        try:
            return str(httpx.get(server.url + "/readyz", timeout=2).json().get("faq_version"))
        except (httpx.HTTPError, ValueError):
            return None

    def publish(self, server: Server, tsv: bytes) -> str:
        """Upload a FAQ to one replica (not through nginx); the version it serves afterwards."""
        res = httpx.post(server.url + "/admin/faq", headers=ADMIN, files={"file": ("faq.tsv", tsv)}, timeout=600)
        res.raise_for_status()
        return str(res.json()["version"]["faq_version"])

    def stop(self) -> None:
        """Stop everything and remove the folders."""
        if self.nginx is not None:
            self.nginx.stop()
        for s in self.servers:
            if s.proc is not None and s.proc.poll() is None:
                s.stop()
        self.redis.stop()
        self.postgres.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def answers_by_version(*tsvs: bytes) -> dict[str, dict[str, str]]:
    """For each FAQ file: its version id → entry id → answer (what a consistent reply must say)."""
    out = {}
    for raw in tsvs:
        parsed = faq_table.read_bytes(raw, "faq.tsv")
        out[parsed.sha256[:12]] = {e.id: e.answer for e in parsed.entries}
    return out


@dataclass
class Reply:
    """One visitor request through nginx as the visitor saw it."""

    sent: float
    status: int  # 0: no HTTP answer at all
    decision: str | None = None
    faq_version: str | None = None
    entry_id: str | None = None
    answer: str | None = None
    error: str | None = None  # what the client saw instead of an HTTP answer


@dataclass
class Visitors:
    """``concurrency`` visitors chatting through nginx (each request from a different address) until stopped.

    ``verify`` is httpx's: ``Cluster.verify`` for the cluster's https URL.
    """

    url: str
    questions: list[str]
    concurrency: int = 4
    verify: ssl.SSLContext | bool = True
    replies: list[Reply] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Visitors:
        """Start the visitor threads."""
        counter = itertools.count()
        for _ in range(self.concurrency):
            t = threading.Thread(target=self._visit, args=(counter,), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _visit(self, counter: itertools.count[int]) -> None:
        rng = random.Random()
        # Longer than nginx's proxy_read_timeout (60 s): a stuck replica shows as nginx's 504, not a client timeout.
        with httpx.Client(base_url=self.url, timeout=120, verify=own_context(self.verify)) as http:
            while not self._stop.is_set():
                i = next(counter)
                address = f"198.18.{rng.randrange(256)}.{rng.randrange(1, 255)}"  # a visitor of its own
                sent = time.monotonic()
                try:
                    res = http.post(
                        "/api/chat",
                        json={"message": self.questions[i % len(self.questions)]},
                        headers={"X-Forwarded-For": address},
                    )
                    body = res.json() if res.status_code == 200 else {}
                    entry = body.get("entry") or {}
                    reply = Reply(
                        sent, res.status_code, body.get("decision"), body.get("faq_version"), entry.get("id"),
                        body.get("answer"),
                    )  # fmt: skip
                except (httpx.HTTPError, ValueError) as exc:
                    reply = Reply(sent, 0, error=f"{type(exc).__name__}: {exc}")
                with self._lock:
                    self.replies.append(reply)

    def count(self) -> int:
        """Replies so far."""
        with self._lock:
            return len(self.replies)

    def stop(self) -> list[Reply]:
        """Stop and return every reply."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout=120)
        return list(self.replies)


def failed(replies: list[Reply]) -> list[Reply]:
    """Requests that got no 200."""
    return [r for r in replies if r.status != 200]


def mixed(replies: list[Reply], answers: dict[str, dict[str, str]]) -> list[Reply]:
    """Replies naming an unknown version, or answering with another version's text of their entry."""
    return [
        r
        for r in replies
        if r.status == 200
        and (
            r.faq_version not in answers
            or (r.decision == "answer" and r.answer != answers[r.faq_version].get(r.entry_id or ""))
        )
    ]
