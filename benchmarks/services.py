"""PostgreSQL, Redis and nginx from Debian's packages, started on loopback in temporary folders.

For tests and benchmarks (``make services`` installs the packages; nothing is downloaded
here). PostgreSQL refuses to run as root: as root, ``initdb`` and the server run as the
``postgres`` user, on a data folder it owns, with a socket folder and port of their own.
nginx serves https with a self-signed certificate made by the ``openssl`` command for the
run; clients trust that certificate alone (``Nginx.verify``), verification is never off.
Each ``start()`` waits until the service answers; ``stop()`` ends it and removes its folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from faq_bot.config import PROJECT_ROOT

#: The deployment's nginx site, tested as it is shipped (only addresses and the certificate are filled in).
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


def _replace_line(site: str, pattern: str, line: str) -> str:
    """``site`` with its one line matching ``pattern`` (after the indent) replaced by ``line``, same indent.

    A line that is missing or repeated raises: a changed shipped site must fail the tests, not be
    tested half-filled (e.g. still pointing at /etc/ssl).
    """
    out, n = re.subn(rf"^( *){pattern}$", lambda m: m.group(1) + line, site, flags=re.M)
    if n != 1:
        raise RuntimeError(f"{NGINX_SITE}: expected one line matching {pattern!r}, found {n}")
    return out


def nginx_site(upstreams: list[int], port: int, http_port: int, certificate: Path, key: Path) -> str:
    """``deploy/nginx/faq-bot.conf`` with loopback addresses and a test certificate filled in.

    The replicas become loopback ports, the https server listens on ``port``, the redirecting
    plain http server on ``http_port``, and the certificate and key paths name ``certificate``
    and ``key``. Everything else is as shipped; a line that is no longer there raises.
    """
    site = NGINX_SITE.read_text(encoding="utf-8")
    servers = re.findall(r"^( *)server [0-9.]+:\d+( .*);$", site, flags=re.M)
    if not servers:
        raise RuntimeError(f"no upstream server lines in {NGINX_SITE}")
    indent, options = servers[0]
    lines = "\n".join(f"{indent}server 127.0.0.1:{p}{options};" for p in upstreams)
    site = re.sub(r"(^ *server [0-9.]+:\d+ .*;\n)+", lines + "\n", site, count=1, flags=re.M)
    site = _replace_line(site, r"listen 80;", f"listen 127.0.0.1:{http_port};")
    site = _replace_line(site, r"listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    site = _replace_line(site, r"ssl_certificate \S+;", f"ssl_certificate {certificate};")
    return _replace_line(site, r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};")


class Nginx:
    """nginx in front of replicas on loopback ports, with the deployment's site configuration.

    It serves https on ``url`` with a self-signed certificate for 127.0.0.1 made at ``start()``
    (``certificate``; ``verify`` is an SSL context trusting it alone, for httpx's ``verify=``),
    and redirects plain http on ``http_url`` as the shipped site does.
    """

    def __init__(self, upstreams: list[int]) -> None:
        self.port = free_port()
        self.http_port = free_port()
        self.folder = _folder("faq-bot-nginx-")
        self.certificate = self.folder / "faq-bot.pem"
        self.key = self.folder / "faq-bot.key"
        self.upstreams = upstreams
        self.proc: subprocess.Popen[bytes] | None = None
        self._verify: ssl.SSLContext | None = None

    @property
    def url(self) -> str:
        """Its base URL (https)."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def http_url(self) -> str:
        """The plain http listener's base URL (it only redirects to https)."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def verify(self) -> ssl.SSLContext:
        """A client SSL context that trusts this nginx's certificate and nothing else (after ``start()``)."""
        if self._verify is None:
            raise RuntimeError("nginx has no certificate before start()")
        return self._verify

    def _make_certificate(self) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("openssl is missing: run `make services`")
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(self.key), "-out", str(self.certificate)],
            check=True, capture_output=True,
        )  # fmt: skip
        self._verify = ssl.create_default_context(cafile=str(self.certificate))

    def start(self) -> Nginx:
        """Make the certificate, write the configuration, check it (``nginx -t``) and start nginx in the foreground."""
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise RuntimeError("nginx is missing: run `make services`")
        self._make_certificate()
        f = self.folder
        site = nginx_site(self.upstreams, self.port, self.http_port, self.certificate, self.key)
        (f / "faq-bot.conf").write_text(site, encoding="utf-8")
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
        checked = subprocess.run([*argv[:-2], "-t"], capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the site: {checked.stderr[-2000:]}")
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait_port(self.port, self.proc, "nginx", f / "error.log")
        _wait_port(self.http_port, self.proc, "nginx", f / "error.log")
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
