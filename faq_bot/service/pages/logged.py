"""Logged questions taken into the FAQ from the staff's two lists of the question log (the unanswered groups, the
answers to check): where in the lists a row's form was sent from, and the logged question a new entry is made from,
kept between the row's button and the entry's 公開 (``/admin/new-entry?log=<key>``)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Form

from faq_bot.errors import LogUnavailableError, NotFoundError
from faq_bot.quality.doubtful import REVIEW_BELOW
from faq_bot.quality.unanswered import FIND_CHARS
from faq_bot.service.offload import in_background
from faq_bot.storage.chatlog import ChatLog
from faq_bot.storage.staging import Staging, is_key

#: Which list an action on a logged question came from (and goes back to).
LogView = Literal["log", "answers"]


@dataclass(frozen=True)
class LogList:
    """One of the log's two lists: its address, its name in messages, the way back to it."""

    path: str
    name: str
    back_label: str


UNANSWERED = LogList("/admin/log", "未回答", "質問ログに戻る")
TO_CHECK = LogList("/admin/answers", "確認したい回答", "確認したい回答に戻る")


def log_list(address: str) -> LogList | None:
    """The log's list at this address (any page of it), or None for any other address."""
    path = urlsplit(address).path
    return next((lst for lst in (UNANSWERED, TO_CHECK) if path == lst.path and address.startswith(path)), None)


#: What the unanswered list can be narrowed to by what the visitor got: its value in the address, its name.
GOT = {"suggest": "「もしかして」を出した質問", "escalate": "担当者へ案内した質問"}


@dataclass(frozen=True)
class LogFilter:
    """What the unanswered list is narrowed to: questions with these words, and what the visitor got."""

    find: str = ""
    got: str = ""  # a key of GOT, or "" for either

    @classmethod
    def of(cls, find: str, got: str) -> LogFilter:
        """From the address or a form, as typed (an unknown ``got``: either; words cut at ``FIND_CHARS``)."""
        return cls(find.strip()[:FIND_CHARS], got if got in GOT else "")

    def query(self) -> str:
        """The filter as address parameters after others (``&q=…&got=…``; "" for none)."""
        pairs = [(k, v) for k, v in (("q", self.find), ("got", self.got)) if v]
        return f"&{urlencode(pairs)}" if pairs else ""

    def __bool__(self) -> bool:
        return bool(self.find or self.got)


NO_FILTER = LogFilter()


@dataclass(frozen=True)
class ListPlace:
    """Where in the log's two lists a row's form was sent from: the list, its period, page and (the answers to
    check) level."""

    view: LogView
    days: int
    page: int
    below: int
    filters: LogFilter = NO_FILTER  # (the unanswered list's)

    def address(self) -> str:
        """The address of that list, at that page."""
        if self.view == "answers":
            return f"{TO_CHECK.path}?days={self.days}&below={self.below}&page={self.page}"
        return f"{UNANSWERED.path}?days={self.days}{self.filters.query()}&page={self.page}"


def _list_place(
    days: Annotated[int, Form(ge=0, le=3650)] = 30,
    page: Annotated[int, Form(ge=1)] = 1,
    view: Annotated[LogView, Form()] = "log",
    below: Annotated[int, Form(ge=1, le=100)] = round(REVIEW_BELOW * 100),
    q: Annotated[str, Form(max_length=1000)] = "",
    got: Annotated[str, Form(max_length=20)] = "",
) -> ListPlace:
    return ListPlace(view, days, page, below, LogFilter.of(q, got))


ListPlaceDep = Annotated[ListPlace, Depends(_list_place)]


@dataclass(frozen=True)
class LoggedQuestion:
    """A logged question a new entry is made from: its words, the ids of the questions it stands for
    (comma-separated: a group's), and the list they are on (its address, at the page it was on)."""

    text: str
    ids: str
    back: str


_LOGGED = {"prefix": "from-log-", "suffix": ".json"}


def stage_logged(staging: Staging, question: LoggedQuestion) -> str:
    """Keep a logged question for the new entry's form (a group may hold thousands of ids: not in its address);
    the key its address names."""
    data = json.dumps({"text": question.text, "ids": question.ids, "back": question.back}, ensure_ascii=False)
    return staging.put(data.encode("utf-8"), length=32, **_LOGGED)


def read_logged(staging: Staging, key: str) -> LoggedQuestion | None:
    """The logged question kept under ``key``, or None once it is not (expired, or any other string)."""
    try:
        kept = json.loads(staging.get(key, **_LOGGED))
        logged = LoggedQuestion(str(kept["text"]), str(kept["ids"]), str(kept["back"]))
    except (NotFoundError, ValueError, KeyError, TypeError):
        return None
    return logged if log_list(logged.back) is not None else None


def log_draft(key: str) -> str:
    """The draft key of a new entry made from a logged question (its ``stage_logged`` key): one per question, apart
    from the draft of a new entry written from scratch, so that neither is put back in place of the other."""
    return f"new:log:{key}"


def from_log(key: str, logged: LoggedQuestion | None) -> dict[str, Any]:
    """What the new entry's form, its preview and its 公開 carry of the logged question it is made from: its key
    and draft (kept even once the question is gone: what was typed is still put back), the questions to settle
    and their list. Nothing for a new entry written from scratch (or a ``key`` no key is made like)."""
    if not is_key(key):
        return {}
    carried: dict[str, Any] = {"log_key": key, "draft_key": log_draft(key)}
    target = log_list(logged.back) if logged else None
    if logged is not None and target is not None:
        carried |= {"dismiss": logged.ids, "back": logged.back, "log_list": target.name,
                    "back_label": target.back_label}  # fmt: skip
    return carried


#: A new entry made from a question group shows at most this many of the group's other wordings, read from at most
#: this many of its questions (a group may hold thousands).
OTHER_WORDINGS = 10
WORDINGS_READ = 2000


async def other_wordings(chatlog: ChatLog, logged: LoggedQuestion) -> list[str]:
    """The other wordings of the group a new entry is made from, the most asked first: beside its question on the
    form and in its preview, so that staff see which ask the same before 公開 (none when the log cannot be read)."""
    try:
        asked = await in_background(chatlog.messages_of, logged.ids.split(",")[:WORDINGS_READ])
    except LogUnavailableError:
        return []
    counts = Counter(text for text in asked.values() if text != logged.text)
    return [text for text, _ in counts.most_common(OTHER_WORDINGS)]


async def carried(chatlog: ChatLog, key: str, logged: LoggedQuestion | None) -> dict[str, Any]:
    """What a new entry's pages carry of the logged question it is made from: ``from_log``, and the group's other
    wordings."""
    out = from_log(key, logged)
    if logged is not None:
        out["other_wordings"] = await other_wordings(chatlog, logged)
    return out


async def carried_from_log(
    staging: Staging, chatlog: ChatLog, key: str
) -> tuple[LoggedQuestion | None, dict[str, Any]]:
    """The logged question kept under ``key`` (None if it is not) and what its new entry's pages carry of it."""
    logged = await in_background(read_logged, staging, key) if key else None
    return logged, await carried(chatlog, key, logged)
