"""The database behind the log, the sessions and (on PostgreSQL) the published versions: one code path.

``Database`` holds one SQLAlchemy engine: a SQLite file on one machine (the default, as
``make run`` uses it), or PostgreSQL (``FAQ_BOT_DATABASE_URL``) shared by replicas on
several machines. The schema is kept by Alembic (``faq_bot/storage/migrations``): the
first use of a database brings it to the newest revision, under a lock, so replicas
starting together migrate once. A SQLite log made before Alembic (its ``PRAGMA
user_version`` counted the old migrations) is stamped at the revision it matches and
migrated on from there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy.dialects import postgresql, sqlite

from faq_bot.errors import DatabaseError

T = TypeVar("T")

MIGRATIONS = Path(__file__).parent / "migrations"
#: The revision each ``PRAGMA user_version`` of the pre-Alembic SQLite log matches.
LEGACY_REVISIONS = {1: "0001_log", 2: "0002_dismissals"}
#: What pre-Alembic faq-bot expects in ``user_version``: kept, so an older release can still open the log.
LEGACY_USER_VERSION = 2
#: Any fixed number: replicas take this PostgreSQL advisory lock while migrating.
MIGRATION_LOCK = 0x46414251


def postgres_url(url: str) -> str:
    """A ``postgresql://`` URL with psycopg 3 as its driver (``postgresql+psycopg://``)."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"not a postgresql:// URL: {sa.make_url(url).render_as_string(hide_password=True)}")


class Database:
    """One engine, migrated on first use; ``DatabaseError`` (retried on the next call) when it cannot be."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 1000, connect_timeout: float = 5.0) -> None:
        self.url = sa.make_url(url)
        self.busy_timeout_ms = busy_timeout_ms
        self.connect_timeout = connect_timeout
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()

    @classmethod
    def sqlite(cls, path: Path, busy_timeout_ms: int = 1000) -> Database:
        """A SQLite file (made, with its folder, on first use)."""
        return cls(f"sqlite+pysqlite:///{path}", busy_timeout_ms=busy_timeout_ms)

    @property
    def shared(self) -> bool:
        """True for PostgreSQL: replicas on several machines see the same data."""
        return self.url.get_backend_name() == "postgresql"

    def insert(self, table: sa.Table) -> Any:
        """INSERT with ON CONFLICT (do nothing / do update), in this database's dialect (both speak it)."""
        return (postgresql if self.shared else sqlite).insert(table)

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for PostgreSQL."""
        return None if self.shared or not self.url.database else Path(self.url.database)

    def libpq_url(self) -> str:
        """The URL for a plain psycopg connection (the follower's LISTEN connection)."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def __str__(self) -> str:
        # Never the password: this names the database in log lines and errors.
        return str(self.path) if self.path else self.url.render_as_string(hide_password=True)

    @property
    def engine(self) -> sa.Engine:
        """The engine, created and migrated on first use."""
        with self._lock:
            if self._engine is None:
                engine = self._create()
                try:
                    migrate(engine)
                except (sa.exc.SQLAlchemyError, CommandError, OSError) as exc:
                    engine.dispose()
                    raise DatabaseError(f"{self} cannot be opened: {reason(exc)}") from exc
                self._engine = engine
            return self._engine

    def _create(self) -> sa.Engine:
        if self.shared:
            return sa.create_engine(
                self.url,
                pool_pre_ping=True,  # a restarted PostgreSQL leaves dead connections in the pool
                pool_size=4,
                max_overflow=8,
                connect_args={"connect_timeout": max(1, round(self.connect_timeout)), "application_name": "faq-bot"},
            )
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"{self} cannot be opened: {exc}") from exc
        engine = sa.create_engine(
            self.url, connect_args={"timeout": self.busy_timeout_ms / 1000, "check_same_thread": False}
        )
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine

    def writer(self) -> sa.Connection:
        """A connection for a write transaction (SQLite: ``BEGIN IMMEDIATE``, the write lock taken first).

        A deferred SQLite transaction that reads and then writes fails at once with "database is
        locked" when another process wrote in between; taking the lock first waits instead.
        """
        return self.engine.connect().execution_options(sqlite_begin="BEGIN IMMEDIATE")

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """A connection in a write transaction (committed at the end, rolled back on an error)."""
        with self.writer() as conn, conn.begin():
            yield conn

    def run(self, work: Callable[[sa.Connection], T], what: str) -> T:
        """``work`` in a write transaction; a failure of the database is a ``DatabaseError`` naming ``what``.

        Errors ``work`` raises itself (a conflict, a ``DatabaseError``) pass through unchanged.
        """
        try:
            with self.begin() as conn:
                return work(conn)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise DatabaseError(f"{what} {self}: {reason(exc)}") from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # SQLAlchemy's recipe: let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
    dbapi_conn.isolation_level = None
    dbapi_conn.execute("PRAGMA journal_mode=WAL")
    dbapi_conn.execute("PRAGMA synchronous=NORMAL")


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


def reason(exc: BaseException) -> str:
    """A database error in one line: the driver's own words, without SQLAlchemy's statement and link lines."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def alembic_config(conn: sa.Connection) -> Config:
    """Alembic's configuration for this package's migrations, running on ``conn``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def migrate(engine: sa.Engine) -> None:
    """Bring the database to the newest revision (stamping a pre-Alembic SQLite log first), under a lock."""
    sqlite = engine.dialect.name == "sqlite"
    # SQLite: BEGIN IMMEDIATE takes the write lock; PostgreSQL: an advisory lock held until commit.
    with engine.connect().execution_options(sqlite_begin="BEGIN IMMEDIATE") as conn, conn.begin():  # see writer()
        if not sqlite:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        cfg = alembic_config(conn)
        if MigrationContext.configure(conn).get_current_revision() is None and sqlite:
            legacy = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
            if legacy in LEGACY_REVISIONS and sa.inspect(conn).has_table("chats"):
                command.stamp(cfg, LEGACY_REVISIONS[legacy])
        command.upgrade(cfg, "head")
        if sqlite and int(conn.exec_driver_sql("PRAGMA user_version").scalar_one()) < LEGACY_USER_VERSION:
            conn.exec_driver_sql(f"PRAGMA user_version = {LEGACY_USER_VERSION}")
