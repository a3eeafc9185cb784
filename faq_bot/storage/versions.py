"""Published FAQ versions shared by replicas: stored in the database, one of them current.

A version is a build as ``retrieval.store`` saves it (manifest, TSV and the index's
files, packed as one tar), so a replica serves it after a download and a load, without
encoding anything. ``faq_current`` names the version every replica serves; it only moves
by compare-and-set (``make_current(build_id, expected=…)``): of two publishes that
started from the same version, one wins and the other gets ``PublishConflictError``.
On PostgreSQL the move notifies the other replicas (``NOTIFY faq_bot_versions``, sent
at commit), which follow it (``faq_bot.publishing.shared``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from faq_bot.errors import PublishConflictError
from faq_bot.storage.database import Database
from faq_bot.storage.schema import faq_current, faq_versions

#: The LISTEN/NOTIFY channel of version changes; the payload is the new current build id.
CHANNEL = "faq_bot_versions"
T = TypeVar("T")


@dataclass(frozen=True)
class StoredVersion:
    """A kept version's id and manifest (the files are fetched only when a replica needs them)."""

    build_id: str
    created: float
    manifest: dict[str, Any]


class VersionStore:
    """The versions table and the current pointer; every failure is a ``DatabaseError``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _run(self, work: Callable[[sa.Connection], T]) -> T:
        return self.db.run(work, "FAQ versions in")

    def current(self) -> str | None:
        """The build id every replica should serve; None before the first publish."""
        return self._run(lambda conn: conn.scalar(sa.select(faq_current.c.build_id).where(faq_current.c.id == 1)))

    def versions(self) -> list[StoredVersion]:
        """Kept versions, newest first."""
        query = sa.select(faq_versions.c.build_id, faq_versions.c.created, faq_versions.c.manifest)
        rows = self._run(lambda conn: conn.execute(query.order_by(faq_versions.c.build_id.desc())).all())
        return [StoredVersion(b, c, json.loads(m)) for b, c, m in rows]

    def files(self, build_id: str) -> tuple[bytes, bytes] | None:
        """A version's TSV and packed build, or None if it is not kept."""
        query = sa.select(faq_versions.c.tsv, faq_versions.c.build).where(faq_versions.c.build_id == build_id)
        row = self._run(lambda conn: conn.execute(query).first())
        return (bytes(row[0]), bytes(row[1])) if row else None

    def tsv(self, build_id: str) -> bytes | None:
        """A version's TSV alone (not its build), or None if it is not kept."""
        query = sa.select(faq_versions.c.tsv).where(faq_versions.c.build_id == build_id)
        value = self._run(lambda conn: conn.scalar(query))
        return bytes(value) if value is not None else None

    def publish(
        self, build_id: str, manifest: dict[str, Any], tsv: bytes, build: bytes, *, expected: str | None, keep: int
    ) -> None:
        """Store a new version and make it current in one transaction (``PublishConflictError``: nothing stored)."""

        def work(conn: sa.Connection) -> None:
            exists = conn.scalar(sa.select(faq_versions.c.build_id).where(faq_versions.c.build_id == build_id))
            if exists is None:
                conn.execute(
                    sa.insert(faq_versions).values(
                        build_id=build_id, created=time.time(), manifest=json.dumps(manifest, ensure_ascii=False),
                        tsv=tsv, build=build,
                    )
                )  # fmt: skip
            self._move(conn, build_id, expected)
            self._prune(conn, build_id, keep)

        self._run(work)

    def make_current(self, build_id: str, *, expected: str | None) -> None:
        """Serve a kept version (a rollback); ``PublishConflictError`` if the current one is not ``expected``."""
        self._run(lambda conn: self._move(conn, build_id, expected))

    def _move(self, conn: sa.Connection, build_id: str, expected: str | None) -> None:
        """Compare-and-set of the current pointer, and the notification (sent by PostgreSQL at commit)."""
        now = time.time()
        if expected is None:  # the first version of all: only if there is none yet
            insert = self.db.insert(faq_current).values(id=1, build_id=build_id, changed=now)
            moved = conn.execute(insert.on_conflict_do_nothing().returning(faq_current.c.id)).first() is not None
        else:
            update = (
                sa.update(faq_current)
                .where(faq_current.c.id == 1, faq_current.c.build_id == expected)
                .values(build_id=build_id, changed=now)
            )
            moved = conn.execute(update.returning(faq_current.c.id)).first() is not None
        if not moved:
            current = conn.scalar(sa.select(faq_current.c.build_id).where(faq_current.c.id == 1))
            raise PublishConflictError(expected, current)
        if self.db.shared:
            conn.execute(sa.select(sa.func.pg_notify(CHANNEL, build_id)))

    def _prune(self, conn: sa.Connection, current: str, keep: int) -> None:
        """Keep the newest ``keep`` versions (and always the current one)."""
        newest = sa.select(faq_versions.c.build_id).order_by(faq_versions.c.build_id.desc()).limit(keep)
        kept = set(conn.scalars(newest).all()) | {current}
        conn.execute(sa.delete(faq_versions).where(faq_versions.c.build_id.not_in(kept)))
