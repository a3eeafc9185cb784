"""PostgreSQL, Redis and nginx from Debian's packages, started on loopback in temporary folders.

For tests and benchmarks (``make services`` installs the packages; nothing is downloaded
here). PostgreSQL refuses to run as root: as root, ``initdb`` and the server run as the
``postgres`` user, on a data folder it owns, with a socket folder and port of their own.
Each ``start()`` waits until the service answers; ``stop()`` ends it and removes its folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from faq_bot.config import PROJECT_ROOT

#: The deployment's nginx site, tested as it is shipped (only addresses are filled in).
NGINX_SITE = PROJECT_ROOT / "deploy" / "nginx" / "faq-bot.conf"
START_TIMEOUT = 60.0


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.02)
    raise RuntimeError(f"{what} not listening on {port} after {START_TIMEOUT} s: {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return log.read_text(encoding="utf-8", errors="replace")[-2000:]
    except OSError:
        return ""


def _folder(prefix: str) -> Path:
    # Not under pytest's tmp folders: those are private to root, and the postgres user must reach its own.
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


def postgres_bin(name: str) -> str:
    """A PostgreSQL server program (Debian keeps them in /usr/lib/postgresql/<version>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if found:
        return str(found[-1])
    on_path = shutil.which(name)
    if on_path is None:
        raise RuntimeError(f"PostgreSQL's {name} is missing: run `make services`")
    return on_path


class Postgres:
    """A throwaway PostgreSQL server on 127.0.0.1 (``fast``: no fsync, for tests; off for measurements)."""

    def __init__(self, fast: bool = True) -> None:
        self.fast = fast
        self.port = free_port()
        self.folder = _folder("faq-bot-pg-")
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        # As root, the programs run as the postgres user (their own process, so signals reach the server).
        self._user: dict[str, str] = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL of a database on this server (trust authentication, loopback only)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> Postgres:
        """initdb, then the server; returns once it accepts connections."""
        if self._user:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(
            [postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
             "--locale=C.UTF-8", "--no-sync"],
            check=True, capture_output=True, cwd=self.folder, **self._user,  # type: ignore[call-overload]
        )  # fmt: skip
        return self.start_server()

    def start_server(self) -> Postgres:
        """Start the server on the existing data folder (again, after ``stop_server``)."""
        options = ["-c", "listen_addresses=127.0.0.1", "-c", f"port={self.port}",
                   "-c", f"unix_socket_directories={self.folder}", "-c", "max_connections=200"]  # fmt: skip
        if self.fast:
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [postgres_bin("postgres"), "-D", str(self.data), *options],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, **self._user,  # type: ignore[call-overload]
            )  # fmt: skip
        _wait_port(self.port, self.proc, "PostgreSQL", self.log)
        self._wait_accepting()
        return self

    def _wait_accepting(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:  # listening, but still starting up
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop_server(self) -> None:
        """Fast shutdown (SIGINT: clients are disconnected), keeping the data."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        self.stop_server()
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    """A throwaway Redis on 127.0.0.1, nothing persisted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = _folder("faq-bot-redis-")
        self.log = self.folder / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its ``redis://`` URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        """Start it; returns once it listens."""
        redis = shutil.which("redis-server")
        if redis is None:
            raise RuntimeError("redis-server is missing: run `make services`")
        argv = [redis, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder), "--save", "",
                "--appendonly", "no", "--logfile", str(self.log)]  # fmt: skip
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait_port(self.port, self.proc, "Redis", self.log)
        return self

    def stop(self) -> None:
        """Stop it and remove its folder."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def nginx_site(upstreams: list[int], port: int) -> str:
    """``deploy/nginx/faq-bot.conf`` with its replica and listen addresses replaced by loopback ports."""
    site = NGINX_SITE.read_text(encoding="utf-8")
    servers = re.findall(r"^( *)server [0-9.]+:\d+( .*);$", site, flags=re.M)
    if not servers:
        raise RuntimeError(f"no upstream server lines in {NGINX_SITE}")
    indent, options = servers[0]
    lines = "\n".join(f"{indent}server 127.0.0.1:{p}{options};" for p in upstreams)
    site = re.sub(r"(^ *server [0-9.]+:\d+ .*;\n)+", lines + "\n", site, count=1, flags=re.M)
    return re.sub(r"^( *)listen \d+;", rf"\g<1>listen 127.0.0.1:{port};", site, count=1, flags=re.M)


class Nginx:
    """nginx in front of replicas on loopback ports, with the deployment's site configuration."""

    def __init__(self, upstreams: list[int]) -> None:
        self.port = free_port()
        self.folder = _folder("faq-bot-nginx-")
        self.upstreams = upstreams
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        """Write the configuration, check it (``nginx -t``) and start nginx in the foreground."""
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise RuntimeError("nginx is missing: run `make services`")
        f = self.folder
        (f / "faq-bot.conf").write_text(nginx_site(self.upstreams, self.port), encoding="utf-8")
        (f / "nginx.conf").write_text(
            f"worker_processes 1;\npid {f}/nginx.pid;\nerror_log {f}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n  access_log {f}/access.log;\n"
            + "".join(
                f"  {kind}_temp_path {f}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  include {f}/faq-bot.conf;\n}}\n",
            encoding="utf-8",
        )
        argv = [nginx, "-p", str(f), "-c", str(f / "nginx.conf"), "-g", "daemon off;"]
        subprocess.run([*argv[:-2], "-t"], check=True, capture_output=True)
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait_port(self.port, self.proc, "nginx", f / "error.log")
        return self

    def error_log(self) -> str:
        """What nginx logged (upstream failures it retried on another replica are there)."""
        return _tail(self.folder / "error.log")

    def stop(self) -> None:
        """Stop it and remove its folder."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
