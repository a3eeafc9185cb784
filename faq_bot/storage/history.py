"""What went live when: each publish and each rollback, with what it changed (the admin page's 公開の履歴).

The kept versions say which builds exist; the history says in which order they were served, from which file,
and what each step added, changed or removed, including a rollback and a publish that followed it. It lives in
the log's database (a SQLite file on one machine, PostgreSQL shared by replicas, so that every replica shows
the publishes of all). A publish never waits on it: the publisher records after the switch and only warns if
the database cannot take the row (``DatabaseError``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Literal

import sqlalchemy as sa

from faq_bot.errors import DatabaseError
from faq_bot.storage.database import Database, reason
from faq_bot.storage.schema import publish_events

#: Events kept: the oldest beyond these are deleted when one is recorded.
KEEP = 500
Action = Literal["publish", "rollback"]


@dataclass(frozen=True)
class PublishEvent:
    """One step of the live FAQ: a publish or a rollback, and what it changed against what was served before."""

    action: Action
    build_id: str
    faq_version: str
    source: str  # the file or action it came from (``Version.source``'s wording)
    entries: int
    added: int = 0
    changed: int = 0
    removed: int = 0
    moved: int = 0  # entries kept that moved against the others (the order is the category buttons')
    created: float = 0.0  # epoch seconds; 0: now, when recorded

    @property
    def label(self) -> str:
        """The step as editors read it."""
        return "公開" if self.action == "publish" else "バージョンを戻す"


class PublishHistory:
    """The publish_events table; every failure is a ``DatabaseError``."""

    def __init__(self, db: Database, keep: int = KEEP) -> None:
        self.db = db
        self.keep = keep

    def record(self, event: PublishEvent) -> None:
        """Add an event (now, unless it says when) and forget those beyond the newest ``keep``."""
        values = {**asdict(event), "created": event.created or time.time()}

        def work(conn: sa.Connection) -> None:
            conn.execute(sa.insert(publish_events).values(**values))
            kept = sa.select(publish_events.c.id).order_by(publish_events.c.id.desc()).limit(self.keep)
            conn.execute(sa.delete(publish_events).where(publish_events.c.id.not_in(kept.scalar_subquery())))

        self.db.run(work, "the publish history in")

    def recent(self, limit: int = 20) -> list[PublishEvent]:
        """The newest ``limit`` events, newest first."""
        columns = [publish_events.c[name] for name in PublishEvent.__dataclass_fields__]
        query = sa.select(*columns).order_by(publish_events.c.id.desc()).limit(limit)
        try:  # a read: not the write lock the log's writer takes turns on (an admin page must not hold it up)
            with self.db.engine.connect() as conn:
                rows = conn.execute(query).all()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise DatabaseError(f"the publish history in {self.db}: {reason(exc)}") from exc
        return [PublishEvent(*row) for row in rows]
