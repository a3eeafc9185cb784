"""The conversation log: every visitor question, suggestion click and feedback.

What is stored per question: time, the question text (e-mail addresses, phone, card
and postal numbers masked when ``log_mask_personal_data`` is on, the default), the
categories it was restricted to, the decision, the answering entry, the
confidence, the FAQ version and the widget's random session id; per reply at most
one 👍/👎 with an optional comment; which suggestions were opened. No IP
addresses, cookies or user agents. Rows older than ``log_retention_days`` are
deleted.

``ChatLog`` is the store, on a ``Database``: a SQLite file on one machine, PostgreSQL
shared by every replica (so that staff see the questions all of them answered). It is
synchronous and opened on first use (so an unusable database does not stop the bot from
starting). The service does not write through it on the request path:
``faq_bot.storage.logwriter`` queues the rows and writes them from a background thread.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import groupby
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from faq_bot.content.queries import LabelledQuery
from faq_bot.errors import DatabaseError, LogUnavailableError
from faq_bot.localtime import DEFAULT_ZONE, local_time
from faq_bot.retrieval.decision import Decision, decision_label
from faq_bot.spreadsheet import BOM, csv_line
from faq_bot.storage.database import Database, reason
from faq_bot.storage.masking import mask_personal_data, masked_parts
from faq_bot.storage.schema import chats, clicks, dismissals, feedback, put_back, question_vectors

#: Why staff took a logged question off its list (``Dismissal``).
Reason = Literal["alternate", "dismissed", "confirmed"]
#: The reasons an undo takes back (対応不要 and 確認済み; not an alternate or entry that was published).
UNDOABLE: tuple[Reason, ...] = ("dismissed", "confirmed")
#: At most this many confirmed answers are asked again before each publish (each new wording costs an encoding once).
CONFIRMED_LIMIT = 100
#: What a confirmed answer is, as a regression question's source.
CONFIRMED_SOURCE = "確認済みの回答"

#: What a failing database raises, whichever the backend (the driver's own errors may escape SQLAlchemy's).
DB_ERRORS: tuple[type[BaseException], ...] = (sa.exc.SQLAlchemyError, sqlite3.Error, DatabaseError, OSError)
TABLES = {
    "chats": chats,
    "clicks": clicks,
    "feedback": feedback,
    "dismissals": dismissals,
    "question_vectors": question_vectors,
    "put_back": put_back,
}
#: Decisions that leave a question possibly unanswered (escalated; suggestions, until one is opened).
UNSETTLED = ("escalate", "suggest")


def pack_vector(vector: npt.NDArray[np.float32]) -> bytes:
    """An embedding as stored: float16 (half the size; grouping does not need more)."""
    return np.asarray(vector, dtype="<f2").tobytes()


def unpack_vectors(blobs: Sequence[bytes]) -> npt.NDArray[np.float32]:
    """Stored embeddings as unit-length float32 rows."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    out = np.stack([np.frombuffer(b, dtype="<f2") for b in blobs]).astype(np.float32)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


@dataclass(frozen=True)
class ChatRecord:
    """One answered question, as stored."""

    request_id: str
    message: str
    decision: str
    entry_id: str | None  # the top entry (the answer for ANSWER, the closest one otherwise)
    confidence: float
    faq_version: str
    categories: tuple[str, ...] = ()
    session_id: str | None = None
    created: float = field(default_factory=lambda: time.time())  # when asked, not when written
    vector: bytes | None = None  # the question's embedding (float16) when it went unsettled, for grouping
    model: str = ""  # the encoder of ``vector``


@dataclass(frozen=True)
class Click:
    """A suggestion of a logged reply was opened (the question counts as resolved)."""

    request_id: str
    entry_id: str
    created: float = field(default_factory=lambda: time.time())


@dataclass(frozen=True)
class Feedback:
    """👍/👎 and an optional comment on a logged reply."""

    request_id: str
    rating: str
    comment: str | None
    created: float = field(default_factory=lambda: time.time())


@dataclass(frozen=True)
class Dismissal:
    """Logged questions staff have dealt with: ``alternate`` (now answered by the entry they were added to),
    ``dismissed`` (対応不要: nothing for the FAQ) or ``confirmed`` (確認済み: an answer checked and found right, which
    takes the place of a 対応不要 made before)."""

    request_ids: tuple[str, ...]
    reason: Reason
    created: float = field(default_factory=lambda: time.time())


@dataclass(frozen=True)
class Undismissal:
    """Put questions dealt with for one of ``reasons`` back on their list: staff's undo of 対応不要 or 確認済み, or a
    rollback taking away the alternate or entry that answered them (``alternate``: recorded in ``put_back``)."""

    request_ids: tuple[str, ...]
    reasons: tuple[Reason, ...] = UNDOABLE
    created: float = field(default_factory=lambda: time.time())


@dataclass(frozen=True)
class Purge:
    """Delete the rows older than the retention period."""


#: What can be written to the log.
LogRow = ChatRecord | Click | Feedback | Dismissal | Undismissal | Purge
T = TypeVar("T")


@dataclass(frozen=True)
class LoggedQuestion:
    """A question as the staff pages list it."""

    request_id: str
    created: float
    message: str
    decision: str
    entry_id: str | None
    confidence: float
    faq_version: str
    rating: str | None
    comment: str | None
    clicked: str | None
    categories: str = ""  # the categories the question was restricted to, "|"-separated


@dataclass(frozen=True)
class ConfirmedAnswer:
    """Answers staff confirmed as right (``ChatLog.confirmed_rows``): the same words answered with the same entry,
    counted once."""

    message: str
    entry_id: str
    count: int
    confirmed: float  # when it was last confirmed
    request_ids: tuple[str, ...]
    categories: tuple[str, ...] = ()  # the categories the visitor narrowed the question to (none: the whole FAQ)


@dataclass(frozen=True)
class DismissedQuestion:
    """Questions staff marked 対応不要 (``ChatLog.dismissed_rows``): the same words in the same categories, given the
    same reply, counted once."""

    message: str
    decision: str  # what the visitor got: answer, suggest or escalate
    entry_id: str | None  # the entry answered with (an answer's)
    count: int
    dismissed: float  # when it was last marked
    request_ids: tuple[str, ...]
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class DoubtfulAnswer:
    """An answered question to check (``ChatLog.doubtful_answers``): the same words, answered with the same entry in
    the same categories, counted once."""

    message: str
    entry_id: str
    categories: tuple[str, ...]  # the categories the visitor narrowed the question to (none: the whole FAQ)
    confidence: float  # the lowest probability it was answered with
    count: int
    down: int  # 👎 ratings
    comments: tuple[str, ...]  # what visitors wrote with their 👎
    last_seen: float
    request_ids: tuple[str, ...]
    up: int = 0  # 👍 ratings


@dataclass(frozen=True)
class EntryStats:
    """How often an entry answered, was picked from suggestions, and how it was rated."""

    entry_id: str
    answered: int
    clicked: int
    up: int
    down: int
    comments: tuple[tuple[str, str], ...]  # (the visitor's question, their comment on the reply)


def stored_categories(stored: str | None) -> tuple[str, ...]:
    """The categories of a logged question as stored (「請求|見積」; "" or none: the whole FAQ)."""
    return tuple(c for c in (stored or "").split("|") if c)


def _triples(query: sa.Select[Any], conn: sa.Connection) -> list[tuple[str, str, str]]:
    """The rows of a query of three text columns."""
    return [(str(row[0]), str(row[1]), str(row[2] or "")) for row in conn.execute(query)]


def _chunks(ids: Sequence[str], size: int = 500) -> Iterator[list[str]]:
    """Ids in lists of at most ``size``: bounded IN lists (SQLite's parameter limit, PostgreSQL's plan cost)."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _pairs(query: sa.Select[Any], conn: sa.Connection) -> list[tuple[str, str]]:
    """The rows of a query of two text columns."""
    return [(str(row[0]), str(row[1])) for row in conn.execute(query)]


class ChatLog:
    """The log's store on a SQLite file or PostgreSQL (thread-safe; reads never wait behind a write)."""

    def __init__(self, db: Database, mask: bool = True, retention_days: int = 0) -> None:
        self.db = db
        self.mask = mask
        self.retention_days = retention_days

    def __str__(self) -> str:
        return f"question log {self.db}"

    def open(self) -> None:
        """Open (and migrate) the log now; ``LogUnavailableError`` if it cannot be."""
        try:
            self.db.engine  # noqa: B018 - connecting and migrating is the point
        except DatabaseError as exc:
            raise LogUnavailableError(f"question log {exc}") from exc

    def close(self) -> None:
        """Close the connections."""
        self.db.dispose()

    def write(self, rows: Sequence[LogRow]) -> None:
        """Store rows in one transaction, all or none; ``LogUnavailableError`` (retry later) if the log refuses."""
        try:
            with self.db.writer() as conn:
                try:
                    with conn.begin():
                        for _, group in groupby(rows, key=type):
                            self._apply(conn, list(group))
                except DB_ERRORS:
                    # A fresh connection next time: after a full disk or an I/O error this one may be unusable.
                    conn.invalidate()
                    raise
        except DatabaseError as exc:
            raise LogUnavailableError(f"question log {exc}") from exc
        except DB_ERRORS as exc:
            raise LogUnavailableError(f"{self}: {reason(exc)}") from exc

    def _apply(self, conn: sa.Connection, rows: list[LogRow]) -> None:
        """Write rows of one kind."""
        first = rows[0]
        if isinstance(first, ChatRecord):
            chat_rows = [r for r in rows if isinstance(r, ChatRecord)]
            stored = [self.masked(r.message) for r in chat_rows]
            values = [
                {"request_id": r.request_id, "created": r.created, "session_id": r.session_id,
                 "message": text, "categories": "|".join(r.categories), "decision": r.decision,
                 "entry_id": r.entry_id, "confidence": r.confidence, "faq_version": r.faq_version}
                for r, text in zip(chat_rows, stored, strict=True)
            ]  # fmt: skip
            conn.execute(self.db.insert(chats).on_conflict_do_nothing(), values)
            # The embedding of a message whose personal data was masked is the unmasked text's: not kept (the
            # staff pages encode the stored, masked text when they group it).
            vectors = [
                {"request_id": r.request_id, "model": r.model, "vector": r.vector}
                for r, text in zip(chat_rows, stored, strict=True)
                if r.vector is not None and text == r.message
            ]
            if vectors:
                conn.execute(self.db.insert(question_vectors).on_conflict_do_nothing(), vectors)
        elif isinstance(first, Click | Feedback | Dismissal):
            for row in rows:
                self._apply_reply_row(conn, row)
        elif isinstance(first, Undismissal):
            for row in rows:
                assert isinstance(row, Undismissal)
                self._undismiss(conn, row)
        elif self.retention_days > 0:  # Purge
            cutoff = time.time() - self.retention_days * 86400
            old = sa.select(chats.c.request_id).where(chats.c.created < cutoff).scalar_subquery()
            for table in (feedback, clicks, dismissals, question_vectors, put_back):
                conn.execute(sa.delete(table).where(table.c.request_id.in_(old)))
            # (and those whose question a replica of an older version purged without them)
            conn.execute(sa.delete(put_back).where(put_back.c.created < cutoff))
            conn.execute(sa.delete(chats).where(chats.c.created < cutoff))

    def _undismiss(self, conn: sa.Connection, row: Undismissal) -> None:
        """Delete the dismissals; those of reason ``alternate`` are recorded as put back (``put_back_questions``)."""
        ids = list(row.request_ids)
        if "alternate" in row.reasons:
            back = conn.scalars(sa.select(dismissals.c.request_id).where(
                dismissals.c.request_id.in_(ids), dismissals.c.reason == "alternate"
            )).all()  # fmt: skip
            if back:
                stmt = self.db.insert(put_back)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[put_back.c.request_id], set_={"created": stmt.excluded.created}
                )
                conn.execute(stmt, [{"request_id": r, "created": row.created} for r in back])
        conn.execute(
            sa.delete(dismissals).where(dismissals.c.request_id.in_(ids), dismissals.c.reason.in_(row.reasons))
        )

    def _apply_reply_row(self, conn: sa.Connection, row: LogRow) -> None:
        """A click, rating or dismissal: only for a logged reply (a replica's rows are written in order)."""
        if isinstance(row, Dismissal):
            ids = list(row.request_ids)
            logged = conn.scalars(sa.select(chats.c.request_id).where(chats.c.request_id.in_(ids))).all()
            if logged:
                values = [{"request_id": r, "reason": row.reason, "created": row.created} for r in logged]
                stmt = self.db.insert(dismissals)
                if row.reason == "confirmed":  # 確認済み after a 対応不要 (a colleague's, a page gone stale): now right
                    stmt = stmt.on_conflict_do_update(
                        index_elements=[dismissals.c.request_id],
                        set_={"reason": stmt.excluded.reason, "created": stmt.excluded.created},
                        where=dismissals.c.reason == "dismissed",
                    )
                else:
                    stmt = stmt.on_conflict_do_nothing()
                conn.execute(stmt, values)
                if row.reason == "alternate":  # answered again (a 対応不要 may be undone: the record stays)
                    conn.execute(sa.delete(put_back).where(put_back.c.request_id.in_(logged)))
            return
        assert isinstance(row, Click | Feedback)
        if conn.scalar(sa.select(chats.c.request_id).where(chats.c.request_id == row.request_id)) is None:
            return
        if isinstance(row, Click):
            click = {"request_id": row.request_id, "entry_id": row.entry_id, "created": row.created}
            conn.execute(self.db.insert(clicks).values(click).on_conflict_do_nothing())
            return
        stmt = self.db.insert(feedback).values(
            request_id=row.request_id, rating=row.rating, comment=self.masked(row.comment), created=row.created
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[feedback.c.request_id],
                set_={
                    "rating": stmt.excluded.rating,
                    # A new rating without a comment keeps the comment written before (👎 with a
                    # comment, then 👍: the visitor's words are not lost).
                    "comment": sa.func.coalesce(stmt.excluded.comment, feedback.c.comment),
                    "created": stmt.excluded.created,
                },
            )
        )

    def masked(self, text: str | None) -> str | None:
        """The text as the log stores it (personal data masked, when masking is on)."""
        return mask_personal_data(text) if text and self.mask else text

    def _read(self, query: Callable[[sa.Connection], T]) -> T:
        """Run a read; ``LogUnavailableError`` when the log cannot be read."""
        try:
            with self.db.engine.connect() as conn:
                return query(conn)
        except DatabaseError as exc:
            raise LogUnavailableError(f"question log {exc}") from exc
        except DB_ERRORS as exc:
            raise LogUnavailableError(f"{self}: {reason(exc)}") from exc

    def record_chat(self, rec: ChatRecord) -> None:
        """Store one question and the decision it got."""
        self.write([rec])

    def record_click(self, request_id: str, entry_id: str) -> bool:
        """A suggestion of a logged reply was opened (the question counts as resolved). False: unknown reply."""
        if not self.known(request_id):
            return False
        self.write([Click(request_id, entry_id)])
        return True

    def record_feedback(self, request_id: str, rating: str, comment: str | None) -> bool:
        """👍/👎 on a logged reply; one per reply (sending again replaces it). False: unknown reply."""
        if not self.known(request_id):
            return False
        self.write([Feedback(request_id, rating, comment)])
        return True

    def known(self, request_id: str) -> bool:
        """A question with this request id is stored."""
        query = sa.select(chats.c.request_id).where(chats.c.request_id == request_id)
        return self._read(lambda conn: conn.scalar(query) is not None)

    def message_of(self, request_id: str) -> str | None:
        """The logged question of a reply (masked as stored), or None."""
        query = sa.select(chats.c.message).where(chats.c.request_id == request_id)
        found = self._read(lambda conn: conn.scalar(query))
        return str(found) if found is not None else None

    def messages_of(self, request_ids: Sequence[str]) -> dict[str, str]:
        """The logged questions (masked as stored) of these replies, by request id (unknown ids left out)."""
        return {request_id: message for request_id, (message, _) in self.asked_of(request_ids).items()}

    def asked_of(self, request_ids: Sequence[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
        """The logged questions (masked as stored) of these replies and the categories they were narrowed to, by
        request id (unknown ids left out)."""
        out: dict[str, tuple[str, tuple[str, ...]]] = {}
        for chunk in _chunks(request_ids):
            query = sa.select(chats.c.request_id, chats.c.message, chats.c.categories)
            rows = self._read(partial(_triples, query.where(chats.c.request_id.in_(chunk))))
            out.update({r: (m, stored_categories(c)) for r, m, c in rows})
        return out

    def answered_with(self, request_ids: Sequence[str]) -> dict[str, str]:
        """The entry each of these replies answered with, by request id (replies that did not answer left out)."""
        out: dict[str, str] = {}
        for chunk in _chunks(request_ids):
            query = sa.select(chats.c.request_id, chats.c.entry_id).where(
                chats.c.request_id.in_(chunk), chats.c.decision == "answer", chats.c.entry_id.is_not(None)
            )
            out.update(self._read(partial(_pairs, query)))
        return out

    def count(self, table: str = "chats") -> int:
        """Rows in one of the log's tables."""
        if table not in TABLES:
            raise ValueError(table)
        query = sa.select(sa.func.count()).select_from(TABLES[table])
        return self._read(lambda conn: int(conn.scalar(query) or 0))

    def purge(self) -> int:
        """Delete rows older than the retention period; returns how many questions went."""
        if self.retention_days <= 0:
            return 0
        before = self.count()
        self.write([Purge()])
        return before - self.count()

    @staticmethod
    def _questions_query() -> sa.Select[Any]:
        first_click = (
            sa.select(sa.func.min(clicks.c.entry_id)).where(clicks.c.request_id == chats.c.request_id).scalar_subquery()
        )
        return sa.select(
            chats.c.request_id, chats.c.created, chats.c.message, chats.c.decision, chats.c.entry_id,
            chats.c.confidence, chats.c.faq_version, feedback.c.rating, feedback.c.comment, first_click,
            chats.c.categories,
        ).select_from(chats.outerjoin(feedback, feedback.c.request_id == chats.c.request_id))  # fmt: skip

    def questions(self, since: float = 0.0, limit: int = 100_000) -> list[LoggedQuestion]:
        """Logged questions, newest first."""
        query = self._questions_query().where(chats.c.created >= since).order_by(chats.c.created.desc()).limit(limit)
        rows = self._read(lambda conn: conn.execute(query).all())
        return [LoggedQuestion(*r) for r in rows]

    def unsettled(self, after: float, model: str) -> list[tuple[LoggedQuestion, bytes | None]]:
        """Escalated and suggested questions asked at or after ``after``, oldest first, with their
        embedding by ``model`` if one is stored (whether they are still unanswered: ``settled``)."""
        query = (
            self._questions_query()
            .add_columns(question_vectors.c.vector)
            .outerjoin(
                question_vectors,
                (question_vectors.c.request_id == chats.c.request_id) & (question_vectors.c.model == model),
            )
            .where(chats.c.created >= after, chats.c.decision.in_(UNSETTLED))
            .order_by(chats.c.created, chats.c.request_id)
        )
        rows = self._read(lambda conn: conn.execute(query).all())
        return [(LoggedQuestion(*r[:-1]), r[-1]) for r in rows]

    def settled(self) -> tuple[set[str], set[str]]:
        """Request ids with an opened suggestion, and those staff have dealt with (dismissals)."""

        def read(conn: sa.Connection) -> tuple[set[str], set[str]]:
            clicked = set(conn.scalars(sa.select(clicks.c.request_id).distinct()).all())
            return clicked, set(conn.scalars(sa.select(dismissals.c.request_id)).all())

        return self._read(read)

    def rated_down(self) -> dict[str, str | None]:
        """The replies that answered nothing rated 👎, by request id, with the visitor's comment: もしかして (the
        visitor chose 「どれにも当てはまらない」) and a person to ask."""
        query = (
            sa.select(feedback.c.request_id, feedback.c.comment)
            .join(chats, chats.c.request_id == feedback.c.request_id)
            .where(feedback.c.rating == "down", chats.c.decision.in_(("suggest", "escalate")))
        )
        return {str(r): c for r, c in self._read(lambda conn: conn.execute(query).all())}

    def store_vectors(self, model: str, vectors: dict[str, bytes]) -> None:
        """Keep embeddings computed later for logged questions (rows of questions since deleted are skipped)."""
        if not vectors:
            return
        ids = list(vectors)
        try:
            with self.db.writer() as conn, conn.begin():
                logged = conn.scalars(sa.select(chats.c.request_id).where(chats.c.request_id.in_(ids))).all()
                values = [{"request_id": r, "model": model, "vector": vectors[r]} for r in logged]
                if values:
                    conn.execute(self.db.insert(question_vectors).on_conflict_do_nothing(), values)
        except DatabaseError as exc:
            raise LogUnavailableError(f"question log {exc}") from exc
        except DB_ERRORS as exc:
            raise LogUnavailableError(f"{self}: {reason(exc)}") from exc

    def unanswered(self, since: float = 0.0, limit: int = 5000) -> list[LoggedQuestion]:
        """Questions the FAQ did not settle (escalated, or no suggestion opened) that staff have not dealt with."""
        done = set(self._read(lambda conn: conn.scalars(sa.select(dismissals.c.request_id)).all()))
        return [
            q
            for q in self.questions(since, limit * 4)
            if (q.decision == "escalate" or (q.decision == "suggest" and q.clicked is None))
            and q.request_id not in done
        ][:limit]

    def doubtful_answers(
        self, since: float, below: float, offset: int = 0, limit: int = 30
    ) -> tuple[list[DoubtfulAnswer], int, int]:
        """Answered questions asked at or after ``since`` that got a probability under ``below`` or a 👎, and that
        staff have not dealt with (confirmed, or added as an alternate): the same words answered with the same
        entry in the same categories as one row; rows with a 👎 first (however probable), then the least probable,
        then the most recently asked. One page of rows (``offset``, ``limit``), the rows in all pages and the
        questions in them: grouped and paged by the database (a month's log can hold thousands)."""
        down = sa.case((feedback.c.rating == "down", 1), else_=0)
        up = sa.case((feedback.c.rating == "up", 1), else_=0)
        dealt = sa.select(dismissals.c.request_id).where(dismissals.c.request_id == chats.c.request_id)
        grouped = (
            sa.select(
                chats.c.message, chats.c.entry_id, chats.c.categories,
                sa.func.min(chats.c.confidence).label("confidence"), sa.func.count().label("count"),
                sa.func.sum(down).label("down"), sa.func.sum(up).label("up"),
                sa.func.max(chats.c.created).label("last_seen"),
                sa.func.aggregate_strings(chats.c.request_id, ",").label("ids"),
            )
            .select_from(chats.outerjoin(feedback, feedback.c.request_id == chats.c.request_id))
            .where(chats.c.created >= since, chats.c.decision == "answer", ~dealt.exists())
            .group_by(chats.c.message, chats.c.entry_id, chats.c.categories)
            # a row when any of its questions is under the level or rated down; then all of them (their 👍 too)
            .having((sa.func.min(chats.c.confidence) < below) | (sa.func.sum(down) > 0))
        ).subquery()  # fmt: skip
        # The totals over every row ride along with the page (one grouping, not a second query's).
        page = (
            sa.select(
                grouped,
                sa.func.count().over().label("n_rows"),
                sa.func.sum(grouped.c.count).over().label("n_questions"),
            )
            .order_by(
                sa.case((grouped.c.down > 0, 0), else_=1), grouped.c.confidence, grouped.c.last_seen.desc(),
                grouped.c.message, grouped.c.entry_id, grouped.c.categories,
            )
            .offset(offset)
            .limit(limit)
        )  # fmt: skip
        totals = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(grouped.c.count), 0))

        def read(conn: sa.Connection) -> tuple[Sequence[Any], dict[str, str], tuple[int, int]]:
            rows = conn.execute(page).all()
            ids = [r for row in rows for r in str(row.ids).split(",")]
            comments: dict[str, str] = {}
            for chunk in _chunks(ids):  # (a question asked a thousand times)
                rated = sa.select(feedback.c.request_id, feedback.c.comment).where(
                    feedback.c.request_id.in_(chunk), feedback.c.rating == "down",
                    feedback.c.comment.is_not(None),
                )  # fmt: skip
                comments.update(_pairs(rated, conn))
            # A page past the last has no rows to carry the totals: counted on their own then.
            n_rows, n_questions = (rows[0].n_rows, rows[0].n_questions) if rows else conn.execute(totals).one()
            return rows, comments, (int(n_rows), int(n_questions or 0))

        rows, comments, (total_rows, total_questions) = self._read(read)
        out = []
        for row in rows:
            ids = tuple(sorted(str(row.ids).split(",")))
            out.append(DoubtfulAnswer(
                message=row.message, entry_id=row.entry_id or "",
                categories=stored_categories(row.categories),
                confidence=float(row.confidence), count=int(row.count), down=int(row.down or 0), up=int(row.up or 0),
                comments=tuple(comments[r] for r in ids if r in comments), last_seen=float(row.last_seen),
                request_ids=ids,
            ))  # fmt: skip
        return out, total_rows, total_questions

    def dismiss(self, request_ids: list[str], reason: Reason) -> tuple[str, ...]:
        """Take logged questions off their list (``Dismissal``); the ids this marked with ``reason`` (not those
        someone dealt with before: an undo takes back only these)."""
        ids = tuple(r.strip() for r in request_ids if r.strip())
        before = self._marked(ids, reason)
        self.write([Dismissal(ids, reason)])
        after = self._marked(ids, reason)
        return tuple(r for r in ids if r in after and r not in before)

    def _marked(self, ids: Sequence[str], reason: Reason) -> set[str]:
        """Which of ``ids`` are dealt with for this reason."""
        return set(self._read(lambda conn: conn.scalars(sa.select(dismissals.c.request_id).where(
            dismissals.c.request_id.in_(ids), dismissals.c.reason == reason
        )).all()))  # fmt: skip

    def settled_since(self, since: float, limit: int) -> list[tuple[str, float]]:
        """The questions taken off their list since ``since`` (epoch seconds) because a published alternate or entry
        answered them, and when, the most recent first (at most ``limit``): what a rollback past that publish may
        bring back."""
        query = (
            sa.select(dismissals.c.request_id, dismissals.c.created)
            .where(dismissals.c.reason == "alternate", dismissals.c.created >= since)
            .order_by(dismissals.c.created.desc(), dismissals.c.request_id)
            .limit(limit)
        )
        return [(str(r), float(t)) for r, t in self._read(lambda conn: conn.execute(query).all())]

    def put_back_questions(self, limit: int) -> list[str]:
        """The questions a rollback put back on their list (``undismiss`` of ``alternate``) and not dealt with now
        (a 対応不要 hides one until it is undone), the most recently put back first (at most ``limit``): what rolling
        forward again may take off."""
        dealt = sa.select(dismissals.c.request_id).where(dismissals.c.request_id == put_back.c.request_id)
        query = (
            sa.select(put_back.c.request_id)
            .where(~dealt.exists())
            .order_by(put_back.c.created.desc(), put_back.c.request_id)
            .limit(limit)
        )
        return [str(r) for r in self._read(lambda conn: conn.scalars(query).all())]

    def undismiss(self, request_ids: list[str], reasons: tuple[Reason, ...] = UNDOABLE) -> int:
        """Put questions dealt with for one of ``reasons`` back on their list (an undo of 対応不要 or 確認済み; a
        rollback's ``alternate``, recorded as put back)."""
        ids = tuple(r.strip() for r in request_ids if r.strip())
        before = self.count("dismissals")
        self.write([Undismissal(ids, reasons)])
        return before - self.count("dismissals")

    def _dealt_with(self, reason: Reason, limit: int | None, *where: sa.ColumnElement[bool]) -> list[DismissedQuestion]:
        """The questions dealt with for ``reason`` (and ``where``), the same words in the same categories given the
        same reply once, the most recently dealt with first (at most ``limit``)."""

        def query(conn: sa.Connection) -> list[DismissedQuestion]:
            latest = sa.func.max(dismissals.c.created)
            ids = sa.func.aggregate_strings(chats.c.request_id, ",")
            same = (chats.c.message, chats.c.categories, chats.c.decision, chats.c.entry_id)
            rows = conn.execute(
                sa.select(*same, sa.func.count(), latest, ids)
                .join(dismissals, dismissals.c.request_id == chats.c.request_id)
                .where(dismissals.c.reason == reason, *where)
                .group_by(*same)
                .order_by(latest.desc(), *same)
                .limit(limit)
            ).all()
            return [
                DismissedQuestion(message, decision, entry_id, count, when, tuple(sorted(ids.split(","))),
                                  tuple(sorted(set(stored_categories(categories)))))
                for message, categories, decision, entry_id, count, when, ids in rows
            ]  # fmt: skip

        return self._read(query)

    def dismissed_rows(self, limit: int | None = None) -> list[DismissedQuestion]:
        """The questions staff marked 対応不要, from either list, the most recently marked first (at most ``limit``)."""
        return self._dealt_with("dismissed", limit)

    def confirmed_rows(self, limit: int | None = None) -> list[ConfirmedAnswer]:
        """The answers staff confirmed as right (確認済み), the most recently confirmed first (at most ``limit``)."""
        rows = self._dealt_with("confirmed", limit, chats.c.decision == "answer", chats.c.entry_id.is_not(None))
        return [
            ConfirmedAnswer(r.message, r.entry_id, r.count, r.dismissed, r.request_ids, r.categories)
            for r in rows
            if r.entry_id is not None
        ]

    def confirmed_answers(self, limit: int = CONFIRMED_LIMIT) -> list[LabelledQuery]:
        """The confirmed answers as questions for a regression check (``confirmed_questions``)."""
        return confirmed_questions(self.confirmed_rows(), limit)

    def entry_stats(self) -> dict[str, EntryStats]:
        """Per-entry answer counts, suggestion clicks and ratings."""
        answered, clicked, ratings = self._read(self._stats)
        ids = set(answered) | set(clicked) | {r[0] for r in ratings if r[0]}
        out = {}
        for eid in ids:
            mine = [r for r in ratings if r[0] == eid]
            out[eid] = EntryStats(
                eid,
                int(answered.get(eid, 0)),
                int(clicked.get(eid, 0)),
                sum(r[1] == "up" for r in mine),
                sum(r[1] == "down" for r in mine),
                tuple((r[3], r[2]) for r in mine if r[2]),
            )
        return out

    @staticmethod
    def _stats(
        conn: sa.Connection,
    ) -> tuple[dict[str, int], dict[str, int], list[tuple[str | None, str, str, str]]]:
        n = sa.func.count()
        answered_q = sa.select(chats.c.entry_id, n).where(chats.c.decision == "answer").group_by(chats.c.entry_id)
        clicked_q = sa.select(clicks.c.entry_id, n).group_by(clicks.c.entry_id)
        first_click = (
            sa.select(sa.func.min(clicks.c.entry_id))
            .where(clicks.c.request_id == feedback.c.request_id)
            .scalar_subquery()
        )
        answered_entry = sa.case((chats.c.decision == "answer", chats.c.entry_id))
        ratings_q = sa.select(
            sa.func.coalesce(first_click, answered_entry), feedback.c.rating, feedback.c.comment, chats.c.message
        ).join(chats, chats.c.request_id == feedback.c.request_id)
        answered = {str(e): int(c) for e, c in conn.execute(answered_q).all() if e is not None}
        clicked = {str(e): int(c) for e, c in conn.execute(clicked_q).all()}
        ratings = [(r[0], r[1], r[2], r[3]) for r in conn.execute(ratings_q).all()]
        return answered, clicked, ratings

    def export_csv(self, zone: str = DEFAULT_ZONE) -> Iterator[str]:
        """Every logged question with its feedback, as CSV lines (BOM for Excel; no cell runs as a formula)."""
        yield BOM
        yield csv_line(csv_head(zone))
        for q in self.questions():
            yield csv_line(csv_row(q, zone))


#: The visitor's rating as the CSV says it (in Japanese, as the other columns).
RATING_LABELS = {"up": "👍 役に立った", "down": "👎 役に立たなかった"}


def confirmed_questions(rows: Sequence[ConfirmedAnswer], limit: int = CONFIRMED_LIMIT) -> list[LabelledQuery]:
    """Confirmed answers (``ChatLog.confirmed_rows``, the most recent first) as questions for a regression check:
    each wording once in the categories the visitor narrowed it to, with the entry it was last confirmed with (at
    most ``limit``). Wordings the log masked are left out: asked again with 「[電話番号]」 in place of the number,
    they are not what the visitor asked (and may be answered otherwise). Whether a row is asked depends only on
    the rows before it: the first rows give the same answer for themselves as all of them."""
    kept: dict[tuple[str, tuple[str, ...]], str] = {}
    for row in rows:
        if len(kept) >= limit:
            break
        if (row.message, row.categories) not in kept and not masked_parts(row.message):
            kept[row.message, row.categories] = row.entry_id
    return [
        LabelledQuery(message, (entry_id,), line, source=CONFIRMED_SOURCE, categories=categories)
        for line, ((message, categories), entry_id) in enumerate(kept.items(), 1)
    ]


def csv_head(zone: str) -> list[str]:
    """The log CSV's header row."""
    return [f"日時({zone})", "質問", "分類", "判定", "回答したFAQ", "1位の候補", "1位の確率", "FAQ版", "評価",
            "コメント", "開いた候補"]  # fmt: skip


def csv_row(q: LoggedQuestion, zone: str) -> list[str]:
    """One logged question as a log CSV row (time in ``zone``, categories as 「請求、見積」)."""
    return [
        local_time(q.created, zone, with_zone=False),
        q.message,
        "、".join(stored_categories(q.categories)),
        decision_label(q.decision),
        (q.entry_id or "") if q.decision == Decision.ANSWER else "",  # only an answer answered with an entry
        q.entry_id or "",  # the best candidate, whatever was decided
        f"{q.confidence:.3f}",
        q.faq_version,
        RATING_LABELS.get(q.rating or "", q.rating or ""),
        q.comment or "",
        q.clicked or "",
    ]
