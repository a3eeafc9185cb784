"""The unanswered questions of the log, grouped by meaning and kept up to date as visitors ask.

A question the bot escalated or answered with suggestions is logged with the embedding
its chat computed anyway, so the staff pages encode nothing: a page load reads only the
rows logged since the last one, adds them to the groups (``QuestionGrouper``) and shows
one page of the groups that are still unanswered (no suggestion opened, not dealt with).
Questions logged without an embedding (before this existed, or by another encoder) are
encoded once, in the background on the lowest-priority bulk encoder, and stored; until
then the page says how many are waiting.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from itertools import islice

from faq_bot.errors import DatabaseError, LogUnavailableError
from faq_bot.quality.grouping import GROUP_SIMILARITY, Kept, QuestionGroup, QuestionGrouper, search_key, summary
from faq_bot.retrieval.decision import Decision, Reply
from faq_bot.retrieval.engine import Engine
from faq_bot.storage.chatlog import ChatLog, Dismissal, LoggedQuestion, LogRow, Undismissal, pack_vector, unpack_vectors
from faq_bot.storage.history import PublishEvent

log = logging.getLogger("faq_bot.quality")
#: Rows are written a little after they are asked (a queue per replica): each refresh reads again
#: this many seconds before the newest row it has seen, skipping the rows it has.
LAG_SECONDS = 600.0
#: Questions encoded per bulk call when filling in missing embeddings (between calls, visitors go first).
BACKFILL_BATCH = 64
#: A page's window of days moves in steps of this many seconds (pages in between reuse their groups).
WINDOW_STEP = 60.0
#: The longest words staff look for in the list (longer: cut).
FIND_CHARS = 100
#: Pages of summarised groups kept for paging back (cleared when more are asked for).
PAGES_KEPT = 50
#: Lists kept at once (the whole list and a few filters staff are using, each with its pages): a colleague's
#: filter does not make the next page of another's list group the log again.
LISTS_KEPT = 4


@dataclass(frozen=True)
class GroupPage:
    """One page of unanswered groups, biggest first."""

    groups: list[QuestionGroup]
    page: int
    pages: int
    total_groups: int
    total_questions: int
    waiting: int  # logged questions not grouped yet (their embeddings are being computed)


#: A page of a list as summarised: its number, the groups per page, the 👎 under もしかして it counted (a hash).
PageKey = tuple[int, int, int]


class UnansweredQuestions:
    """Grouped unanswered questions of one log (thread-safe; one per process)."""

    def __init__(self, chatlog: ChatLog, engine: Engine, similarity: float = GROUP_SIMILARITY) -> None:
        self.chatlog = chatlog
        self.engine = engine
        self._grouper = QuestionGrouper(similarity)
        self._model = ""
        self._after = 0.0  # rows asked at or after this are read again (those seen are skipped by id)
        self._waiting: dict[str, LoggedQuestion] = {}
        self._lock = threading.Lock()
        self._backfill: threading.Thread | None = None
        # The last lists (one per filter staff use: what the groups depend on), least recently used first: their
        # groups, and the pages summarised from them (page, per page, the turned-down ones seen).
        self._kept: OrderedDict[Hashable, tuple[list[Kept], dict[PageKey, list[QuestionGroup]]]] = OrderedDict()

    def refresh(self) -> None:
        """Add the rows logged since the last refresh (``LogUnavailableError`` if the log cannot be read)."""
        with self._lock:
            model = self.engine.embedder.model_id
            if model != self._model:  # another encoder: its embeddings are not comparable, start again
                self._grouper = QuestionGrouper(self._grouper.similarity)
                self._model, self._after, self._waiting = model, 0.0, {}
            rows = self.chatlog.unsettled(self._after, model)
            new = [
                (q, v) for q, v in rows if q.request_id not in self._grouper.seen and q.request_id not in self._waiting
            ]
            ready = [(q, v) for q, v in new if v is not None]
            if ready:
                self._grouper.add([q for q, _ in ready], unpack_vectors([v for _, v in ready if v is not None]))
            for q, v in new:
                if v is None:
                    self._waiting[q.request_id] = q
            if rows:
                self._after = max(self._after, rows[-1][0].created - LAG_SECONDS)
            start = bool(self._waiting) and (self._backfill is None or not self._backfill.is_alive())
            if start:
                self._backfill = threading.Thread(target=self._fill, name="faq-bot-log-grouping", daemon=True)
                self._backfill.start()

    def start(self) -> None:
        """Read the log now, in the background (the first staff page then finds the groups made)."""

        def first() -> None:
            try:
                self.refresh()
            except LogUnavailableError as exc:
                log.warning("unanswered questions not grouped yet: %s", exc)

        threading.Thread(target=first, name="faq-bot-log-grouping-start", daemon=True).start()

    def page(self, days: int = 30, page: int = 1, per_page: int = 30, containing: str = "", got: str = "") -> GroupPage:
        """Refresh, then one page of the groups still unanswered among the last ``days`` days (0: all); of their
        questions only those whose text has each word of ``containing`` (``search_key``) and that got ``got``
        (suggest: もしかして, escalate: a person; "": either)."""
        words = search_key(containing[:FIND_CHARS])
        self.refresh()
        clicked, dismissed = self.chatlog.settled()
        down = self.chatlog.rated_down()
        now = time.time()
        since = now - days * 86400 if days > 0 else 0.0
        retention = self.chatlog.retention_days
        if retention > 0:  # rows deleted by the retention purge are no longer shown
            since = max(since, now - retention * 86400)

        def unanswered(q: LoggedQuestion) -> bool:
            if q.created < since or q.request_id in dismissed or (got and q.decision != got):
                return False
            return q.decision == "escalate" or q.request_id not in clicked

        settled = (hash(frozenset(clicked)), hash(frozenset(dismissed)), int(since // WINDOW_STEP))
        turned = hash(frozenset(down.items()))  # only a page's summaries count them: the groups stay as they are
        with self._lock:
            # What the groups depend on: the questions grouped, the settled ones, the window (to the minute).
            key = (self._model, len(self._grouper.seen), *settled, words, got)
            if key not in self._kept:  # else: paging through an unchanged log (in one of a few filters)
                self._kept[key] = (self._grouper.kept(unanswered, words), {})
                while len(self._kept) > LISTS_KEPT:
                    self._kept.popitem(last=False)
            self._kept.move_to_end(key)
            groups, summaries = self._kept[key]
            waiting = len(self._waiting)
            pages = max(1, -(-len(groups) // per_page))
            page = min(max(page, 1), pages)
            if (page, per_page, turned) not in summaries:  # a page seen before shows the same groups
                if len(summaries) >= PAGES_KEPT:  # any page size may be asked for: keep a bounded few
                    summaries.clear()
                summaries[page, per_page, turned] = [
                    summary(kept, down) for kept in groups[(page - 1) * per_page : page * per_page]
                ]
            shown = list(summaries[page, per_page, turned])
        return GroupPage(shown, page, pages, len(groups), sum(len(kept) for kept in groups), waiting)

    def _fill(self) -> None:
        """Encode the waiting questions on the bulk encoder, store their embeddings, group them."""
        while True:
            with self._lock:
                batch = list(islice(self._waiting.values(), BACKFILL_BATCH))
                model = self._model
            if not batch:
                return
            try:
                retriever = self.engine.current.retriever
                vectors = self.engine.bulk.encode_queries([retriever.embedded_text(q.message) for q in batch])
                packed = {q.request_id: pack_vector(v) for q, v in zip(batch, vectors, strict=True)}
                self.chatlog.store_vectors(model, packed)
            except Exception as exc:
                log.warning("unanswered questions not grouped: %s", exc)
                return
            with self._lock:
                if model != self._model:
                    return
                self._grouper.add(batch, unpack_vectors(list(packed.values())))  # as a refresh would read them
                for q in batch:
                    self._waiting.pop(q.request_id, None)


@dataclass(frozen=True)
class Settled:
    """Logged questions asked again of the FAQ being served: those it answers now, and those it still does not."""

    answered: tuple[str, ...]  # request ids
    still_open: tuple[str, ...]


def settle_answered(
    engine: Engine, chatlog: ChatLog, request_ids: Sequence[str], entry_id: str | None = None
) -> Settled:
    """Ask these logged questions again (e.g. after one of them became an alternate of ``entry_id``) and take the
    ones the FAQ now answers (with that entry, if given) off the unanswered list, and off the answers to check
    (``faq_bot.quality.doubtful``: a question answered wrongly before is answered still, but by another entry);
    the others stay (a group's other wordings may still miss).

    Staff work: encoded on the lowest-priority bulk encoder, never in a visitor's way."""
    asked = chatlog.asked_of(request_ids)
    ids = [r for r in dict.fromkeys(request_ids) if r in asked]
    loaded = engine.current
    # Each asked again as the visitor asked it: in the categories they narrowed it to.
    searches = loaded.search_many([asked[r][0] for r in ids], engine.bulk, categories=[asked[r][1] for r in ids])
    answered = [r for r, s in zip(ids, searches, strict=True) if _answers(loaded.reply(s), entry_id)]
    if answered:
        chatlog.dismiss(answered, "alternate")
    done = set(answered)
    return Settled(tuple(answered), tuple(r for r in ids if r not in done))


#: How many questions settled since the version rolled back to are asked again (the most recently settled), and how
#: many put back by earlier rollbacks.
UNSETTLE_LIMIT = 2000


@dataclass(frozen=True)
class Rechecked:
    """What a rollback changed in the lists of the question log (request ids)."""

    restored: tuple[str, ...]  # settled by an alternate or entry the rollback took away: back on their list
    settled: tuple[str, ...]  # put back by an earlier rollback, answered again by the version served now: off it


def recheck(
    engine: Engine, chatlog: ChatLog, since: float, away: Callable[[float], bool] | None = None
) -> Rechecked | None:
    """After a rollback to a version built at ``since`` (epoch seconds): ask again the logged questions a publish
    since then took off their list (``settle_answered``) while another version was served (``away``: True for a
    time it was; None: any time), and put back the ones the FAQ served now no longer answers, or answers again with
    the entry the visitor got (an answer to check: the alternate or entry that answered it otherwise went with the
    rollback). Ask again, too, the questions an earlier rollback put back (``ChatLog.put_back_questions``): those
    the FAQ served now answers otherwise (rolled forward again) go off their list. Asked again, up to three times,
    when the FAQ served changes meanwhile; None if it kept changing (nothing written: not checked).

    Staff work: encoded on the lowest-priority bulk encoder, never in a visitor's way."""
    settled = chatlog.settled_since(since, UNSETTLE_LIMIT)
    back = chatlog.put_back_questions(UNSETTLE_LIMIT)
    asked = chatlog.asked_of([*(r for r, _ in settled), *back])
    ids = [r for r, t in settled if r in asked and (away is None or away(t))]
    back = [r for r in back if r in asked]
    again = [*ids, *back]
    if not again:
        return Rechecked((), ())
    got = chatlog.answered_with(again)
    for _ in range(3):
        loaded = engine.current
        searches = loaded.search_many(
            [asked[r][0] for r in again], engine.bulk, categories=[asked[r][1] for r in again]
        )
        lost = {r for r, search in zip(again, searches, strict=True) if _still_open(loaded.reply(search), got.get(r))}
        if engine.current is loaded:  # (else a colleague published meanwhile: asked of what is served now)
            restored = tuple(r for r in ids if r in lost)
            answered = tuple(r for r in back if r not in lost)
            rows: list[LogRow] = [Undismissal(restored, ("alternate",))] if restored else []
            chatlog.write([*rows, Dismissal(answered, "alternate")] if answered else rows)  # one transaction
            return Rechecked(restored, answered)
    return None


#: Said when a rollback's check of the question log failed (the rollback stands).
LOG_NOT_RECHECKED = (
    "質問ログを確かめられなかったため、このバージョンでは回答されない質問が質問ログの一覧から外れたまま、"
    "回答される質問が一覧に残ったままのことがあります。"
)


def rechecked_message(rechecked: Rechecked) -> str:
    """What a rollback changed in the question log's lists, for staff (empty when nothing)."""
    parts = []
    if rechecked.restored:
        parts.append(
            f"公開で回答されるようになっていた質問{len(rechecked.restored)}件は、このバージョンでは回答されない"
            "（または以前の回答に戻る）ため、質問ログの一覧に戻しました。"
        )
    if rechecked.settled:
        parts.append(
            f"以前にバージョンを戻したときに質問ログの一覧に戻した質問{len(rechecked.settled)}件は、"
            "このバージョンで回答されるため、一覧から外しました。"
        )
    return "".join(parts)


def recheck_after_rollback(
    engine: Engine,
    chatlog: ChatLog,
    version: str,
    built: float | None,
    history: Callable[[int], Sequence[PublishEvent] | None],
) -> Rechecked | None:
    """``recheck`` after a rollback to ``version``, built at ``built`` (epoch seconds; None: unknown, only what
    earlier rollbacks put back is asked), with the publish history (``history(limit)``, newest first) telling when
    another version was served. None when the log cannot be checked (a locked or full database, the encoder
    failing): the rollback stands whatever the log does."""
    if built is None:  # nothing settled is known to be since it; what earlier rollbacks put back is asked all the same
        built = math.inf
    try:
        try:
            events = history(HISTORY_READ)
        except DatabaseError as exc:  # without it: every question settled since the build is asked again
            log.warning("the publish history cannot be read: %s", exc)
            events = None
        return recheck(engine, chatlog, built, _served_otherwise(events, version) if events else None)
    except LogUnavailableError as exc:
        log.warning("rolled back, but the question log could not be checked again: %s", exc)
    except Exception:  # the encoder or a search failing: the FAQ is rolled back all the same
        log.exception("rolled back, but the question log could not be checked again")
    return None


#: Publish history events read to tell which version was served when (all that are kept).
HISTORY_READ = 500


def _served_otherwise(events: Sequence[PublishEvent], version: str) -> Callable[[float], bool]:
    """True for a time another version than ``version`` was served (or one before the history: not known)."""
    steps = sorted((e.created, e.faq_version) for e in events)
    times = [t for t, _ in steps]

    def away(moment: float) -> bool:
        at = bisect_right(times, moment) - 1
        return at < 0 or steps[at][1] != version

    return away


def _still_open(reply: Reply, got: str | None) -> bool:
    """True when a question belongs on its list after all: not answered, or answered with ``got``, the entry the
    visitor got when they asked (an answer to check again)."""
    return not _answers(reply, None) or (got is not None and reply.hit is not None and reply.hit.entry.id == got)


def _answers(reply: Reply, entry_id: str | None) -> bool:
    """True when a reply answers (with the entry ``entry_id``, if given)."""
    if reply.decision != Decision.ANSWER:
        return False
    return entry_id is None or (reply.hit is not None and reply.hit.entry.id == entry_id)
