"""Editing, adding or deleting one entry in the browser: the form, then the diff and the regression set, then the
usual publish."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from faq_bot.content.faq import FaqEntry, dump, entry_contains, entry_fingerprint, entry_problems, next_id
from faq_bot.errors import EntryNotFoundError, FaqFormatError, NotFoundError
from faq_bot.progress import Progress
from faq_bot.publishing.publisher import Publisher
from faq_bot.service.auth import AdminAuth, AdminPageRoute
from faq_bot.service.deps import AuthDep, PublisherDep, StagingDep
from faq_bot.service.offload import in_background
from faq_bot.service.streaming import View, with_progress
from faq_bot.service.templating import render
from faq_bot.storage.masking import masked_parts
from faq_bot.storage.staging import Staging

# As the other admin pages: the session is checked before a form's body is read (``AdminPageRoute``).
entry_pages = APIRouter(prefix="/admin", include_in_schema=False, route_class=AdminPageRoute)


@entry_pages.get("/entries", response_class=HTMLResponse)
async def entries_page(
    request: Request, auth: AuthDep, publisher: PublisherDep, q: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    """The entries of the live FAQ with a link to edit each; ``q``: only those that contain it (any field,
    widths and case ignored)."""
    entries = publisher.engine.current.index.entries
    wanted = q.strip()
    matched = {e.id: where for e in entries if (where := entry_contains(e, wanted))} if wanted else {}
    found = [e for e in entries if e.id in matched] if wanted else list(entries)
    return await render(request, auth, "entries.html", "entries", entries=found, q=wanted, total=len(entries),
                        matched=matched)  # fmt: skip


@entry_pages.get("/entries/{entry_id}", response_class=HTMLResponse)
async def entry_page(request: Request, auth: AuthDep, publisher: PublisherDep, entry_id: str) -> HTMLResponse:
    """The form for one entry."""
    entry = publisher.engine.current.entry(entry_id)
    if entry is None:
        raise EntryNotFoundError(entry_id)
    return await render(
        request, auth, "entry.html", "entries", entry=entry, categories=publisher.engine.current.index.categories,
        draft_base=entry_fingerprint(entry),  # a draft kept of another text of this entry is not restored unasked
    )  # fmt: skip


@entry_pages.get("/new-entry", response_class=HTMLResponse)
async def new_entry_page(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    staging: StagingDep,
    log: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """The form for a new entry (its id, category, question, answer, alternates); ``log``: made from a logged
    question (``stage_logged``), which is then its question."""
    live = publisher.engine.current
    logged = await in_background(read_logged, staging, log) if log else None
    if log and logged is None:
        context: dict[str, Any] = {"message": LOGGED_GONE, "warn": True}
    else:
        context = from_log(log, logged)
    question = logged.text if logged else ""
    blank = FaqEntry(next_id(e.id for e in live.index.entries), "", question, "", ())
    return await render(request, auth, "entry.html", "entries", entry=blank, new=True, categories=live.index.categories,
                        **context)  # fmt: skip


#: The new entry's form when the logged question it was to be made from is no longer kept.
LOGGED_GONE = (
    "質問ログから引き継いだ質問が見つかりません（時間が経って消えました）。"
    "必要なら、質問ログからもう一度開いてください。"
)
_LOGGED = {"prefix": "from-log-", "suffix": ".json"}
#: The log's lists a logged question is added to the FAQ from: address -> (the list's name, the way back to it).
LOG_LISTS = {"/admin/answers": ("確認したい回答", "確認したい回答に戻る"), "/admin/log": ("未回答", "質問ログに戻る")}


@dataclass(frozen=True)
class LoggedQuestion:
    """A logged question a new entry is made from: its words, the ids of the questions it stands for
    (comma-separated: a group's), and the list they are on (its address, at the page it was on)."""

    text: str
    ids: str
    back: str


def stage_logged(staging: Staging, question: LoggedQuestion) -> str:
    """Keep a logged question for the new entry's form (a group may hold thousands of ids: not in its address);
    the key its address names (``/admin/new-entry?log=``)."""
    data = json.dumps({"text": question.text, "ids": question.ids, "back": question.back}, ensure_ascii=False)
    return staging.put(data.encode("utf-8"), length=32, **_LOGGED)


def read_logged(staging: Staging, key: str) -> LoggedQuestion | None:
    """The logged question kept under ``key``, or None once it is not (expired, or a key made up)."""
    try:
        kept = json.loads(staging.get(key, **_LOGGED))
        return LoggedQuestion(str(kept["text"]), str(kept["ids"]), str(kept["back"]))
    except (NotFoundError, ValueError, KeyError, TypeError):
        return None


def log_list(back: str) -> tuple[str, str] | None:
    """The log's list at this address (its name and the way back to it), or None for any other address."""
    return next((names for path, names in LOG_LISTS.items() if back.startswith(path)), None)


def log_draft(key: str) -> str:
    """The draft key of a new entry made from a logged question (its ``stage_logged`` key): one per question, apart
    from the draft of a new entry written from scratch, so that neither is put back in place of the other."""
    return f"new:log:{key}"


def from_log(key: str, logged: LoggedQuestion | None) -> dict[str, Any]:
    """What the new entry's form, its preview and its 公開 carry of the logged question it is made from (``key``:
    its ``stage_logged`` key): nothing for a new entry written from scratch."""
    names = log_list(logged.back) if logged else None
    if logged is None or names is None:
        return {}
    carried: dict[str, Any] = {"log_key": key, "dismiss": logged.ids, "back": logged.back, "draft_key": log_draft(key),
                               "log_list": names[0], "back_label": names[1]}  # fmt: skip
    if masked := masked_parts(logged.text):
        carried["warn"] = True
        carried["message"] = (
            f"この質問には伏せた個人情報（{'、'.join(masked)}）が含まれます。公開する前に、質問の文面から除いてください。"
        )
    return carried


@dataclass(frozen=True)
class EntryFields:
    """What the entry form sends (its id aside): category, question, answer, alternates."""

    category: str
    question: str
    answer: str
    alternates: tuple[str, ...]

    def entry(self, entry_id: str) -> FaqEntry:
        """The entry with this id."""
        return FaqEntry(entry_id, self.category, self.question, self.answer, self.alternates)


def _entry_fields(
    question: Annotated[str, Form(max_length=2000)],
    answer: Annotated[str, Form(max_length=20000)],
    category: Annotated[str, Form(max_length=200)] = "",
    alternates: Annotated[str, Form(max_length=20000)] = "",
) -> EntryFields:
    # One alternate per line; a pasted "|" list works too (the TSV's own separator).
    phrases = tuple(p.strip() for p in alternates.replace("|", "\n").splitlines() if p.strip())
    return EntryFields(category, question, answer, phrases)


EntryFieldsDep = Annotated[EntryFields, Depends(_entry_fields)]


@entry_pages.post("/ui/new-entry", response_class=HTMLResponse, response_model=None)
async def new_entry_preview(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    staging: StagingDep,
    fields: EntryFieldsDep,
    entry_id: Annotated[str, Form(max_length=64)],
    csrf: Annotated[str, Form()] = "",
    log: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """A new entry validated and built aside (a taken id is reported as a duplicate): diff, regression set, 公開.

    ``log``: made from a logged question (``stage_logged``): 公開 then settles the questions it stands for."""
    auth.check_csrf(request, csrf)
    entry = fields.entry(entry_id.strip())
    entries = publisher.with_new_entry(entry)
    logged = from_log(log, await in_background(read_logged, staging, log)) if log else {}
    return await _preview_entry(request, auth, publisher, staging, entry, entries, new=True, logged=logged)


@entry_pages.post("/ui/entries/{entry_id}", response_class=HTMLResponse, response_model=None)
async def entry_preview(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    staging: StagingDep,
    entry_id: str,
    fields: EntryFieldsDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The edited entry validated and built aside: its diff and regression changes, and the publish button."""
    auth.check_csrf(request, csrf)
    live = publisher.engine.current
    before = live.entry(entry_id)
    if before is None:
        raise EntryNotFoundError(entry_id)
    edited = fields.entry(entry_id)
    return await _preview_entry(request, auth, publisher, staging, edited, publisher.with_entry(edited), before=before)


async def _preview_entry(
    request: Request, auth: AdminAuth, publisher: Publisher, staging: Staging, entry: FaqEntry,
    entries: list[FaqEntry], *, before: FaqEntry | None = None, new: bool = False, logged: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    """The FAQ with one entry edited or added, validated and built aside: the entry's form with its diff, the
    regression set and the publish button (or its problems)."""
    live = publisher.engine.current
    raw = dump(entries).encode("utf-8")
    what = "追加" if new else "編集"
    source = f"FAQ {entry.id} の{what}（管理画面）"
    base = entry_fingerprint(before) if before is not None else ""
    # The form as the editor sent it: the page's script keeps it as the draft until it is published.
    context = {"entry": entry, "new": new, "categories": live.index.categories, "sent": True, "draft_base": base,
               **{k: v for k, v in (logged or {}).items() if k not in ("message", "warn")}}  # fmt: skip
    if logged:  # 公開 then settles the logged questions the new entry answers
        context["dismiss_entry"] = entry.id

    def work(progress: Progress) -> View:
        try:
            result = publisher.publish_bytes(raw, source, dry_run=True, progress=progress)
        except FaqFormatError as exc:
            return View("entry.html", {"format_error": exc, **context})
        staged = staging.put(raw)
        return View("entry.html", {
            "preview": result.preview, "warnings": entry_problems(result.preview.faq, result.warnings, entry.id),
            "one_entry": True, "staged": staged, "base": live.faq_version,
            "entry_base": base,
            "source_label": source, "title": f"FAQ {entry.id} の{what}の確認", **context,
        })  # fmt: skip

    return await with_progress(request, auth, "entries", f"FAQ {entry.id} の{what}を確認しています", work)


@entry_pages.post("/ui/entries/{entry_id}/delete", response_class=HTMLResponse, response_model=None)
async def delete_preview(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    staging: StagingDep,
    entry_id: str,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """What deleting one entry would change (the regression set too), and the button that publishes it."""
    auth.check_csrf(request, csrf)
    raw = dump(publisher.without_entry(entry_id)).encode("utf-8")
    source = f"FAQ {entry_id} の削除（管理画面）"
    heading = f"FAQ {entry_id} の削除"
    back = f"/admin/entries/{quote(entry_id)}"
    base = publisher.engine.current.faq_version

    def work(progress: Progress) -> View:
        result = publisher.publish_bytes(raw, source, dry_run=True, progress=progress)
        staged = staging.put(raw)
        return View("preview.html", {
            "heading": heading, "preview": result.preview, "staged": staged, "base": base,
            "source_label": source, "back": back, "title": "削除したときの差分と回帰テスト", "warnings": (),
        })  # fmt: skip

    return await with_progress(request, auth, "entries", f"{heading}を確認しています", work)
