"""Editing, adding or deleting one entry in the browser: the form, then the diff and the regression set, then the
usual publish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from faq_bot.content.faq import FaqEntry, Found, dump, entry_contains, entry_fingerprint, entry_problems, id_of, next_id
from faq_bot.errors import EntryNotFoundError, FaqFormatError
from faq_bot.progress import Progress
from faq_bot.publishing.publisher import Publisher
from faq_bot.service.auth import AdminAuth, AdminPageRoute
from faq_bot.service.deps import AuthDep, LogWriterDep, PublisherDep, StagingDep
from faq_bot.service.offload import in_background
from faq_bot.service.pages.logged import carried_from_log
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

    def search() -> dict[str, Found]:
        return {e.id: found for e in entries if (found := entry_contains(e, wanted))}

    matched = await in_background(search) if wanted else {}  # off the event loop: 2,000 long answers take a while
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
    log_writer: LogWriterDep,  # (read as it is: a group's wordings need no flush of the latest questions)
    log: Annotated[str, Query(max_length=1000)] = "",
) -> HTMLResponse:
    """The form for a new entry (its id, category, question, answer, alternates); ``log``: made from a logged
    question (``faq_bot.service.pages.logged``), which is then its question."""
    live = publisher.engine.current
    logged, context = await carried_from_log(staging, log_writer.store, log)
    if log and logged is None:
        context |= {"message": LOGGED_GONE, "warn": True}
    elif logged is not None and (masked := masked_parts(logged.text)):
        context |= {"message": MASKED_IN_LOGGED.format(parts="、".join(masked)), "warn": True}
    blank = FaqEntry(next_id(e.id for e in live.index.entries), "", logged.text if logged else "", "", ())
    return await render(request, auth, "entry.html", "log" if logged else "entries", entry=blank, new=True,
                        categories=live.index.categories, **context)  # fmt: skip


#: The new entry's form when the logged question it was to be made from is not kept (any more).
LOGGED_GONE = (
    "質問ログから引き継いだ質問が見つかりません（時間が経ったか、アドレスが正しくありません）。"
    "必要なら、質問ログからもう一度開いてください。"
)
MASKED_IN_LOGGED = "この質問には伏せた個人情報（{parts}）が含まれます。質問の文面から除いてから確認してください。"
#: An entry's question or alternate with a placeholder the log put in place of personal data: refused, as the
#: log's 言い換えとして追加 refuses it (it would become the FAQ's wording).
MASKED_IN_ENTRY = (
    "質問・言い換えに伏せた個人情報（{parts}）が含まれています。"
    "FAQの文面になるため、除いてからもう一度確認してください。"
)


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


#: What the entry form takes of a field: well past the FAQ's own limit (``MAX_FIELD_CHARS``), so that a longer
#: paste comes back in its form with the FAQ's message and nothing cut (the boxes have no maxlength: a browser cuts
#: a paste at it without a word).
FORM_FIELD_CHARS = 200_000


def _entry_fields(
    question: Annotated[str, Form(max_length=FORM_FIELD_CHARS)],
    answer: Annotated[str, Form(max_length=FORM_FIELD_CHARS)],
    category: Annotated[str, Form(max_length=200)] = "",
    alternates: Annotated[str, Form(max_length=FORM_FIELD_CHARS)] = "",
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
    log_writer: LogWriterDep,  # (read as it is: a group's wordings need no flush of the latest questions)
    fields: EntryFieldsDep,
    entry_id: Annotated[str, Form(max_length=64)],
    csrf: Annotated[str, Form()] = "",
    log: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """A new entry validated and built aside (a taken id is reported as a duplicate): diff, regression set, 公開.

    ``log``: made from a logged question (``faq_bot.service.pages.logged``): 公開 then settles the questions it
    stands for."""
    auth.check_csrf(request, csrf)
    entry = fields.entry(id_of(entry_id))
    _, logged = await carried_from_log(staging, log_writer.store, log)
    return await _preview_entry(request, auth, publisher, staging, entry, new=True, logged=logged)


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
    return await _preview_entry(request, auth, publisher, staging, edited, before=before)


async def _preview_entry(
    request: Request, auth: AdminAuth, publisher: Publisher, staging: Staging, entry: FaqEntry,
    *, before: FaqEntry | None = None, new: bool = False, logged: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    """The FAQ with one entry edited or added, validated and built aside: the entry's form with its diff, the
    regression set and the publish button (or its problems: a placeholder of masked personal data among its
    question and alternates is one)."""
    live = publisher.engine.current
    what = "追加" if new else "編集"
    source = f"FAQ {entry.id} の{what}（管理画面）"
    base = entry_fingerprint(before) if before is not None else ""
    # The form as the editor sent it: the page's script keeps it as the draft until it is published.
    context = {"entry": entry, "new": new, "categories": live.index.categories, "sent": True, "draft_base": base,
               **(logged or {})}  # fmt: skip
    if logged:  # 公開 then settles the logged questions the new entry answers
        context["dismiss_entry"] = entry.id
    active = "log" if logged and "dismiss" in logged else "entries"
    # (only wording this edit adds: an entry published with a placeholder before can still have its answer edited)
    had = {before.question, *before.alternates} if before is not None else set()
    if masked := masked_parts("\n".join(t for t in (entry.question, *entry.alternates) if t not in had)):
        message = MASKED_IN_ENTRY.format(parts="、".join(masked))
        return await render(request, auth, "entry.html", active, **context, message=message, warn=True)
    raw = dump(publisher.with_new_entry(entry) if new else publisher.with_entry(entry)).encode("utf-8")

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

    return await with_progress(request, auth, active, f"FAQ {entry.id} の{what}を確認しています", work)


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
            "one_entry": True, "deleting": entry_id,
        })  # fmt: skip

    return await with_progress(request, auth, "entries", f"{heading}を確認しています", work)
