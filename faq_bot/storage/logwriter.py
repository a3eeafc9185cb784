"""Writing the conversation log off the request path: a bounded queue and one background writer thread.

A visitor's answer never waits for the log and never fails because of it. With a retention
period, the thread also deletes the rows past it, at start and every ``PURGE_EVERY`` seconds. Rows go
into a bounded in-memory queue; one thread writes them in batches. When the log
refuses (disk full, locked by another process, unwritable folder) the thread keeps
the rows and retries with backoff (0.1 s doubling up to 2 s); a row still unwritten after ``retry_seconds``,
or one that arrives while the queue is full, is dropped and counted as lost, with a
warning. ``health()`` says which state the log is in, for ``/readyz``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

from faq_bot.errors import LogUnavailableError
from faq_bot.storage.chatlog import ChatLog, ChatRecord, Click, Feedback, LogRow, Purge

log = logging.getLogger("faq_bot.log")

#: Rows written per transaction at most.
BATCH = 500
#: How long the writer gathers questions after the first one before it writes them (seconds): one
#: transaction for a tenth of a second's questions, and the writer does not wake in the middle of
#: every next visitor's encoding (measured: concurrency-1 chat p50 -0.5 ms). Clicks, ratings and
#: purges are written at once (a staff page's purge must not wait, nor hold the log, behind it).
LINGER = 0.1
#: Seconds between the writer's retention purges (retention is counted in days; a purge per staff page
#: view cost ~15 % of a page's interpreter time while staff paged through a 10,000-question log).
PURGE_EVERY = 600.0
#: Retry delays grow from the first to the last (seconds).
BACKOFF = (0.1, 2.0)
#: This process's recent replies (request id → question), for feedback or a click arriving before its
#: row is written.
RECENT = 20_000


@dataclass(frozen=True)
class LogHealth:
    """The log as ``/readyz`` reports it: ``ok``, or ``degraded`` while writes fail (rows are being retried)."""

    status: Literal["ok", "degraded"]  # degraded: the last attempt to open or write the log failed
    queued: int  # waiting to be written
    written: int  # since start
    lost: int  # dropped since start: still failing after the retry period, or the queue was full
    reason: Literal["disk_full", "locked", "unavailable", "write_failed"] | None  # while degraded
    error: str | None  # the last failure in full, for operators (it names the path): not for public endpoints


def failure_reason(error: str) -> Literal["disk_full", "locked", "unavailable", "write_failed"]:
    """A short, path-free name for a log failure."""
    text = error.lower()
    if "disk is full" in text or "no space" in text:
        return "disk_full"
    if "locked" in text or "busy" in text:
        return "locked"
    if "cannot be opened" in text:
        return "unavailable"
    return "write_failed"


@dataclass(frozen=True)
class _Queued:
    row: LogRow
    since: float  # monotonic time it was queued


class LogWriter:
    """Queues log rows and writes them from a background thread; never blocks or fails the caller."""

    def __init__(
        self, store: ChatLog, capacity: int = 50_000, retry_seconds: float = 300.0, purge_every: float = PURGE_EVERY
    ) -> None:
        self.store = store
        self.retry_seconds = retry_seconds
        self.purge_every = purge_every
        self._queue: queue.Queue[_Queued | None] = queue.Queue(maxsize=capacity)
        self._pending: list[_Queued] = []  # taken from the queue, not yet written
        self._recent: OrderedDict[str, str] = OrderedDict()
        self._state = threading.Condition()
        self._unfinished = 0  # queued items not yet written or lost (what flush waits for)
        self._queued = 0  # of which log rows (a retention purge is not one)
        self._written = 0
        self._lost = 0
        self._error: str | None = None
        self._full_warned = False
        self._last_purge: float | None = None  # when a purge was last queued (monotonic); None: due
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faq-bot-log-writer", daemon=True)

    def start(self) -> None:
        """Open the log (a warning, not a failure, if it cannot be opened) and start the writer thread."""
        try:
            self.store.open()
        except LogUnavailableError as exc:
            self._set_error(str(exc))
            log.warning("%s; chat answers anyway, log rows are queued and retried", exc)
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop: one last attempt at everything queued (within ``timeout`` seconds), the rest counted as lost."""
        self._stop.set()
        with contextlib.suppress(queue.Full):  # the thread waits for rows only when the queue is not full
            self._queue.put_nowait(None)
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        left_over = [*self._pending, *(q for q in self._drain() if q is not None)]
        with self._state:
            left = _rows(left_over)
            self._lost += left
            self._unfinished = self._queued = 0
            self._state.notify_all()
        if left:
            log.warning("%d question log rows lost at shutdown: %s", left, self._error or "not written in time")
        self.store.close()

    def submit(self, row: LogRow) -> None:
        """Queue a row for writing; a full queue drops it (counted and warned about), it never blocks."""
        is_row = not isinstance(row, Purge)
        with self._state:
            self._unfinished += 1
            self._queued += is_row
        try:
            self._queue.put_nowait(_Queued(row, time.monotonic()))
        except queue.Full:
            with self._state:
                if isinstance(row, Purge):
                    self._last_purge = None  # not queued: due again
                self._unfinished -= 1
                self._queued -= is_row
                self._lost += is_row
                warn, self._full_warned = not self._full_warned, True
                self._state.notify_all()
            if warn:
                log.warning("question log queue is full (%d rows): new rows are dropped", self._queue.maxsize)

    def record_chat(self, rec: ChatRecord) -> None:
        """Queue a question and its decision."""
        with self._state:
            self._recent[rec.request_id] = rec.message
            if len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        self.submit(rec)

    def record_click(self, request_id: str, entry_id: str) -> None:
        """Queue an opened suggestion (ignored when the reply is not logged)."""
        self.submit(Click(request_id, entry_id))

    def record_feedback(self, request_id: str, rating: str, comment: str | None) -> bool:
        """Queue a rating; False when no such reply was logged (may read the log: call from a worker thread)."""
        if not self.knows(request_id):
            return False
        self.submit(Feedback(request_id, rating, comment))
        return True

    def knows(self, request_id: str) -> bool:
        """A reply with this id was logged or is queued (assumed so while the log cannot be read)."""
        with self._state:
            if request_id in self._recent:
                return True
        try:
            return self.store.known(request_id)
        except LogUnavailableError:
            return True  # the write itself only stores feedback for a logged reply

    def message_of(self, request_id: str) -> str | None:
        """The question of a reply, masked as the log stores it: from memory while recent, else from the log.

        May read the log (call from a worker thread); ``LogUnavailableError`` when it cannot be read.
        """
        with self._state:
            recent = self._recent.get(request_id)
        if recent is not None:
            return self.store.masked(recent)
        return self.store.message_of(request_id)

    def purge(self, unless_within: float = 0.0) -> None:
        """Queue the deletion of rows past the retention period; not again if one was queued less
        than ``unless_within`` seconds ago (the writer itself purges every ``purge_every`` seconds)."""
        with self._state:
            now = time.monotonic()
            if unless_within > 0 and self._last_purge is not None and now - self._last_purge < unless_within:
                return
            self._last_purge = now
        self.submit(Purge())

    def _purge_if_due(self) -> float | None:
        """Queue the retention purge if it is due; the seconds until the next one (None: no retention)."""
        if self.store.retention_days <= 0 or self.purge_every <= 0:
            return None
        self.purge(unless_within=self.purge_every)
        with self._state:
            last = self._last_purge
        return self.purge_every if last is None else max(0.0, last + self.purge_every - time.monotonic())

    def health(self) -> LogHealth:
        """Queued, written and lost counts, and whether writes are failing now."""
        with self._state:
            status: Literal["ok", "degraded"] = "degraded" if self._error else "ok"
            reason = failure_reason(self._error) if self._error else None
            return LogHealth(status, self._queued, self._written, self._lost, reason, self._error)

    def flush(self, timeout: float) -> bool:
        """Wait until every queued row is written or lost (at most ``timeout`` seconds); True if so."""
        with self._state:
            return self._state.wait_for(lambda: self._unfinished == 0, timeout)

    def _set_error(self, error: str | None) -> None:
        with self._state:
            self._error = error

    def _run(self) -> None:
        delay = BACKOFF[0]
        while not self._stop.is_set():
            self._take(block=not self._pending, timeout=self._purge_if_due())
            if not self._pending:
                continue
            if all(isinstance(q.row, ChatRecord) for q in self._pending):
                self._gather(time.monotonic() + LINGER)
            if self._stop.is_set():
                break
            if self._write_batch():
                delay = BACKOFF[0]
            else:
                self._stop.wait(delay)
                delay = min(delay * 2, BACKOFF[1])
        # Stopping: no more backoff, one last try at everything still here.
        while self._take(block=False):
            pass
        while self._pending and self._write_batch():
            pass

    def _write_batch(self) -> bool:
        """Write the oldest pending rows; False (rows kept, or lost if too old) when the log refuses."""
        batch = self._pending[:BATCH]
        try:
            self.store.write([q.row for q in batch])
        except LogUnavailableError as exc:
            self._failed(str(exc))
            return False
        del self._pending[: len(batch)]
        self._done(batch)
        return True

    def _gather(self, until: float) -> None:
        """Take more questions until ``until``; a click, a rating or a purge ends it at once (so does stopping)."""
        while not self._stop.is_set() and (left := until - time.monotonic()) > 0:
            try:
                item = self._queue.get(timeout=left)
            except queue.Empty:
                return
            if item is None:  # woken to stop
                return
            self._pending.append(item)
            if not isinstance(item.row, ChatRecord):
                self._take(block=False)
                return

    def _take(self, block: bool, timeout: float | None = None) -> bool:
        """Move queued rows into ``_pending`` (waiting for one if ``block``, at most ``timeout`` seconds);
        False when there were none."""
        try:
            first = self._queue.get(block=block, timeout=timeout if block else None)
        except queue.Empty:
            return False
        self._pending += [q for q in (first, *self._drain()) if q is not None]  # None only wakes the thread
        return True

    def _drain(self) -> list[_Queued | None]:
        items: list[_Queued | None] = []
        while len(items) < BATCH:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _done(self, batch: list[_Queued]) -> None:
        with self._state:
            self._written += _rows(batch)
            self._queued -= _rows(batch)
            self._unfinished -= len(batch)
            self._full_warned = False
            was, self._error = self._error, None
            self._state.notify_all()
        if was:
            log.warning("question log writes again (lost since start: %d rows)", self._lost)

    def _failed(self, error: str) -> None:
        with self._state:
            first = self._error is None
            self._error = error
            cutoff = time.monotonic() - self.retry_seconds
            expired = [q for q in self._pending if q.since <= cutoff]
            if any(isinstance(q.row, Purge) for q in expired):
                self._last_purge = None  # given up: due again
            if expired:
                self._pending = [q for q in self._pending if q.since > cutoff]
                self._lost += _rows(expired)
                self._queued -= _rows(expired)
                self._unfinished -= len(expired)
                self._state.notify_all()
        if first:
            log.warning("question log write failed, retrying (chat goes on): %s", error)
        if expired:
            log.warning(
                "%d question log rows lost after %g s of retries: %s", _rows(expired), self.retry_seconds, error
            )


def _rows(items: list[_Queued]) -> int:
    """How many of the items are log rows (a retention purge is not one)."""
    return sum(not isinstance(q.row, Purge) for q in items)
