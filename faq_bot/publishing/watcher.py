"""Following publishes: other processes' (``CURRENT`` moved) and, if enabled, edits of the TSV file."""

from __future__ import annotations

import logging
import threading

from faq_bot.errors import FaqBotError
from faq_bot.priority import mark_staff_thread
from faq_bot.publishing.publisher import Publisher

log = logging.getLogger("faq_bot.publishing")


class Watcher:
    """Polls ``CURRENT`` (other workers' publishes) and, if enabled, the TSV file (debounced reload)."""

    def __init__(self, publisher: Publisher, watch_file: bool, interval: float) -> None:
        self.publisher = publisher
        self.watch_file = watch_file
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faq-bot-watcher", daemon=True)
        self._seen = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.publisher.paths.faq_path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def start(self) -> None:
        """Start polling in a daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        mark_staff_thread()  # its reloads read the FAQ with the staff's janome tokenizer, not the visitors'
        pending: tuple[int, int] | None = None
        while not self._stop.wait(self.interval):
            try:
                if self.publisher.shared is None:  # with a shared database the Follower hears of publishes
                    self.publisher.sync()
                if not self.watch_file:
                    continue
                now = self._stat()
                if now == self._seen or now is None:
                    pending = None
                    continue
                if now != pending:  # still changing (an editor's save in progress): wait one more tick
                    pending = now
                    continue
                self._seen, pending = now, None
                try:
                    self.publisher.reload()
                except FaqBotError as exc:
                    # Nobody previewed this file: its refusal is a failed publish, shown on the admin page.
                    self.publisher.last_error = str(exc)
                    log.error("watched FAQ not published: %s", exc)
            except Exception:  # the watcher must survive anything and keep the live FAQ serving
                log.exception("watcher error")
