"""Editing one entry in the browser: the form, then the diff and the regression set, then the usual publish."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from faq_bot.content.faq import FaqEntry, dump, entry_contains, entry_fingerprint, entry_problems
from faq_bot.errors import EntryNotFoundError, FaqFormatError
from faq_bot.progress import Progress
from faq_bot.service.auth import AdminPageRoute
from faq_bot.service.deps import AuthDep, PublisherDep
from faq_bot.service.streaming import View, with_progress
from faq_bot.service.templating import render
from faq_bot.service.uploads import Staging

# As the other admin pages: the session is checked before a form's body is read (``AdminPageRoute``).
entry_pages = APIRouter(prefix="/admin", include_in_schema=False, route_class=AdminPageRoute)


@entry_pages.get("/entries", response_class=HTMLResponse)
async def entries_page(
    request: Request, auth: AuthDep, publisher: PublisherDep, q: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    """The entries of the live FAQ with a link to edit each; ``q``: only those that contain it (any field,
    widths and case ignored)."""
    entries = publisher.engine.current.index.entries
    matched = {e.id: where for e in entries if (where := entry_contains(e, q))} if q.strip() else {}
    found = [e for e in entries if e.id in matched] if q.strip() else list(entries)
    return await render(request, auth, "entries.html", "entries", entries=found, q=q.strip(), total=len(entries),
                        matched=matched)  # fmt: skip


@entry_pages.get("/entries/{entry_id}", response_class=HTMLResponse)
async def entry_page(request: Request, auth: AuthDep, publisher: PublisherDep, entry_id: str) -> HTMLResponse:
    """The form for one entry."""
    entry = publisher.engine.current.entry(entry_id)
    if entry is None:
        raise EntryNotFoundError(entry_id)
    return await render(
        request, auth, "entry.html", "entries", entry=entry, categories=publisher.engine.current.index.categories
    )


@entry_pages.post("/ui/entries/{entry_id}", response_class=HTMLResponse, response_model=None)
async def entry_preview(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    entry_id: str,
    question: Annotated[str, Form(max_length=2000)],
    answer: Annotated[str, Form(max_length=20000)],
    category: Annotated[str, Form(max_length=200)] = "",
    alternates: Annotated[str, Form(max_length=20000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The edited entry validated and built aside: its diff and regression changes, and the publish button."""
    auth.check_csrf(request, csrf)
    live = publisher.engine.current
    before = live.entry(entry_id)
    if before is None:
        raise EntryNotFoundError(entry_id)
    # One alternate per line; a pasted "|" list works too (the TSV's own separator).
    phrases = tuple(p.strip() for p in alternates.replace("|", "\n").splitlines() if p.strip())
    edited = FaqEntry(entry_id, category, question, answer, phrases)
    raw = dump(publisher.with_entry(edited)).encode("utf-8")
    source = f"FAQ {entry_id} の編集（管理画面）"
    context = {"entry": edited, "categories": live.index.categories}

    def work(progress: Progress) -> View:
        try:
            result = publisher.publish_bytes(raw, source, dry_run=True, progress=progress)
        except FaqFormatError as exc:
            return View("entry.html", {"format_error": exc, **context})
        staged = Staging(publisher.paths.index_dir).put(raw)
        return View("entry.html", {
            "preview": result.preview, "warnings": entry_problems(result.preview.faq, result.warnings, entry_id),
            "one_entry": True, "staged": staged, "base": live.faq_version, "entry_base": entry_fingerprint(before),
            "source_label": source, "title": f"FAQ {entry_id} の変更の確認", **context,
        })  # fmt: skip

    return await with_progress(request, auth, "entries", f"FAQ {entry_id} の変更を確認しています", work)
