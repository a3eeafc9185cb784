"""The content editors' pages: upload → problems or diff preview → publish, versions and rollback, logout.

Every page needs a live session (the login pages are ``faq_bot.service.pages.login``), checked
before a form body is read (``AdminPageRoute``); each form post then checks its CSRF token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from faq_bot.content.diff import diff
from faq_bot.content.faq import FaqEntry, dump, entry_fingerprint, next_id, read_bytes, readable_text
from faq_bot.content.merge import Keep, renumbered
from faq_bot.content.workbook import ORIGIN_PATTERN, WorkbookOrigin, is_version_of, is_workbook, row_texts
from faq_bot.errors import DatabaseError, FaqBotError, FaqFormatError, NotFoundError, VersionNotFoundError
from faq_bot.localtime import local_time
from faq_bot.progress import Progress, Step
from faq_bot.publishing.publisher import Publisher, PublishResult, Version
from faq_bot.quality.unanswered import LOG_NOT_RECHECKED, recheck_after_rollback, rechecked_message
from faq_bot.service.auth import COOKIE, AdminPageRoute
from faq_bot.service.deps import AuthDep, ChatLogDep, PublisherDep, StagingDep
from faq_bot.service.handlers import form_page
from faq_bot.service.offload import in_background
from faq_bot.service.pages.logged import (
    TO_CHECK,
    UNANSWERED,
    carried,
    log_draft,
    log_list,
    read_logged,
)
from faq_bot.service.routes.staff import LOG_NOT_SETTLED, settle_after_publish
from faq_bot.service.streaming import View, with_progress
from faq_bot.service.templating import render
from faq_bot.service.uploads import as_tsv, as_uploaded, origin_of, read_upload
from faq_bot.storage.staging import content_key, is_key

#: The preview's form fields that settle a conflict (``keep:<entry id>``); the name a merged FAQ is checked as.
KEEP_FIELD = "keep:"
MERGED_SOURCE = "公開中のFAQへの反映"
MERGED_SUFFIX = "（公開中のFAQに変更だけを反映）"  # after the file's name: the version a merge published
MERGE_NO_ORIGIN = "どの版から作られたファイルか分からないため、反映できません。もう一度アップロードしてください。"
MERGE_NEW_CONFLICT = (
    "確認のあとで、ほかの人がFAQを公開しました。id {ids} は、その公開とこのファイルの両方で変わっています。"
    "下で、どちらを残すか選んでから、もう一度「反映する」を押してください。"
)

editor_pages = APIRouter(prefix="/admin", include_in_schema=False, route_class=AdminPageRoute)
log = logging.getLogger("faq_bot.service")


def _home_view(request: Request, publisher: Publisher, **context: Any) -> View:
    """The publishing page: status, upload, versions (and whatever ``context`` adds: a preview, a message)."""
    loaded = publisher.engine.current
    return View("admin.html", {
        "manifest": loaded.index.manifest, "faq_version": loaded.faq_version, "categories": loaded.index.categories,
        "versions": publisher.versions(), **_history(publisher), "watch": request.app.state.settings.faq_watch,
        "last_error": publisher.last_error, **context,
    })  # fmt: skip


def _history(publisher: Publisher) -> dict[str, Any]:
    """The publish history for the page, or that it cannot be read now (the database down: the page still shows)."""
    try:
        return {"history": publisher.recent(), "history_error": False}
    except DatabaseError as exc:
        log.warning("the publish history is unreadable: %s", exc)
        return {"history": None, "history_error": True}


async def _home(request: Request, auth: Any, publisher: Publisher, **context: Any) -> HTMLResponse:
    view = await in_background(_home_view, request, publisher, **context)  # the kept versions and the history: I/O
    return await render(request, auth, view.template, "publish", **view.context)


def _problems_view(request: Request, publisher: Publisher, exc: FaqFormatError, raw: bytes | None, **ctx: Any) -> View:
    """The publishing page with each problem next to the text of its line."""
    lines: dict[int, str] = {}
    if raw is not None and is_workbook(raw):
        lines = row_texts(raw)
    elif raw is not None:
        lines = dict(enumerate(readable_text(raw).splitlines(), start=1))
    problems = [(p, lines.get(p.line, "") if p.line else "") for p in exc.problems]
    return _home_view(request, publisher, format_error=exc, problems=problems, **ctx)


#: Said when the live FAQ changed between a preview and its confirmation (someone else published).
CHANGED_SINCE = "確認のあとで公開中のFAQが変わりました（別の人の公開など）。もう一度、差分を確認してください。"
#: An undo whose publish is no longer the live version: the rollback takes later publishes with it.
LATER_UNDONE = (
    "取り消す公開（バージョン {after}）のあとにも公開があり、いま公開中なのはバージョン {live} です。"
    "戻すと、そのあとの変更もすべて取り消されます。下の差分を確かめてください（ほかの人の変更だけを残すなら、"
    "FAQの編集で該当する項目を直して公開してください）。"
)
#: The publish form sent again (the page reloaded) after it published: nothing to do, and nothing went wrong.
ALREADY_PUBLISHED = "この内容はすでに公開されています（公開中のFAQと同じです）。"
CHANGED_SINCE_KEPT = (
    "確認のあとで公開中のFAQが変わりました（別の人の公開など）。あなたの編集は下に残しています。"
    "「差分と回帰テストを確認」で、今の公開内容との差分を確かめてから公開してください。"
)


CHANGED_SINCE_SAME_ENTRY = (
    "確認のあとで、このFAQ（id {id}）自体も別の人（または別のタブ）で変更・公開されました。フォームはあなたの編集の"
    "ままで、その変更は入っていません。下の「あとから公開された内容との違い」を見て、残したい変更をフォームに取り込んで"
    "から、もう一度確認してください。"
)
ENTRY_GONE = "確認のあとで、FAQ（id {id}）は別の人の公開で削除されました。編集は公開していません。"
NEW_ID_TAKEN = (
    "確認のあとで、ほかの人が id {id} のFAQを公開しました。この新しいFAQのidを次の空き番号に変えたので、"
    "「差分と回帰テストを確認」でもう一度確かめてから公開してください。"
)
DISK_CHANGED = (
    "確認のあとでディスク上のTSVが変わりました（サーバー上で編集されたなど）。公開していません。"
    "もう一度「ディスク上のTSVを確認して公開」から確かめてください。"
)


def is_workbook_source(source: str) -> bool:
    """True for a version published from a workbook (its name, or the merge of one)."""
    return source.lower().endswith(".xlsx") or source.endswith(MERGED_SUFFIX)


def _still_on_disk(path: Path, staged: str) -> bool:
    """True when the TSV on disk is still the file that was previewed (``Staging.put`` keys a file by its whole
    sha256, ``content_key``): publishing the preview would otherwise write an older file over an edit made on the
    server since."""
    try:
        return content_key(path.read_bytes()) == staged
    except OSError:
        return False


def _edited_entry(raw: bytes, entry_id: str) -> FaqEntry | None:
    """The entry as the editor left it, from the previewed file (None if it cannot be read back)."""
    try:
        return read_bytes(raw, "staged").by_id().get(entry_id)
    except FaqFormatError:
        return None


@editor_pages.post("/logout", response_model=None)
async def logout(request: Request, auth: AuthDep, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session, server-side too: the cookie stops working wherever it was copied."""
    auth.check_csrf(request, csrf)
    await in_background(auth.logout, request)
    response = RedirectResponse("/admin/login?logged_out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/admin")
    return response


@editor_pages.get("", response_class=HTMLResponse)
async def admin_home(request: Request, auth: AuthDep, publisher: PublisherDep) -> HTMLResponse:
    """Status, upload, versions."""
    return await _home(request, auth, publisher)


@editor_pages.post("/ui/upload", response_class=HTMLResponse, response_model=None)
async def ui_upload(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    staging: StagingDep,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Validate an uploaded file and show the diff preview (nothing is published yet), with progress."""
    auth.check_csrf(request, csrf)
    raw = await read_upload(file, publisher.paths.max_faq_bytes)
    name = file.filename or "upload.tsv"
    base = publisher.engine.current.faq_version

    def work(progress: Progress) -> View:
        try:
            tsv, book = as_tsv(raw, name)
            origin = origin_of(raw, publisher.paths.max_faq_bytes)
            result = publisher.publish_bytes(tsv, name, dry_run=True, progress=progress, origin=origin)
            result = as_uploaded(result, book)
        except FaqFormatError as exc:
            return _problems_view(request, publisher, exc, raw, filename=name)
        staged = staging.put(tsv)
        # the version the workbook carries, for 反映 (which reads the staged TSV, not the workbook)
        origin_file = staging.put(origin.tsv) if origin is not None and origin.tsv is not None else ""
        return _home_view(
            request, publisher, filename=name, preview=result.preview, warnings=result.warnings, staged=staged,
            base=base, origin_file=origin_file, source_label=name[:200],
        )  # fmt: skip

    return await with_progress(request, auth, "publish", "アップロードされたファイルを確認しています", work)


@editor_pages.post("/ui/merge", response_class=HTMLResponse, response_model=None)
async def ui_merge(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    staging: StagingDep,
    staged: Annotated[str, Form(max_length=200)],
    origin: Annotated[str, Form(max_length=64)],
    origin_file: Annotated[str, Form(max_length=200)] = "",
    filename: Annotated[str, Form(max_length=300)] = "",
    review: Annotated[bool, Form()] = False,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """A file made from an older version: only its own changes, applied to the live FAQ, previewed (not published).

    Each conflict is settled as the editor chose in the preview (``keep:<id>`` = live | file | both);
    ``origin_file``: the staged copy of the version the workbook carried (if it did). ``review`` (「選び直す」),
    or a conflict that came up after the preview and was never chosen, shows the file's preview again."""
    auth.check_csrf(request, csrf)
    if not ORIGIN_PATTERN.fullmatch(origin):
        return await _home(request, auth, publisher, message=MERGE_NO_ORIGIN, warn=True)
    try:
        raw = await in_background(staging.get, staged)
        carried = await in_background(staging.get, origin_file) if origin_file else None
    except NotFoundError as exc:
        return await _home(request, auth, publisher, message=str(exc), warn=True)
    if carried is not None and not is_version_of(carried, origin):
        carried = None  # (not that version's file: as if the workbook had carried none)
    made_from = WorkbookOrigin(origin, carried)
    form = await request.form()
    keep = {str(k)[len(KEEP_FIELD) :]: Keep(str(v)) for k, v in form.multi_items()
            if str(k).startswith(KEEP_FIELD) and str(v) in set(Keep)}  # fmt: skip
    base = publisher.engine.current.faq_version
    name = (filename or "upload.xlsx")[:100]
    again = {"staged": staged, "origin": origin, "origin_file": origin_file, "filename": name}  # 「選び直す」

    def work(progress: Progress) -> View:
        own = read_bytes(raw, MERGED_SOURCE).entries  # the staged file: the workbook's rows as TSV
        try:
            drifted, entries = publisher.merge_onto_live(made_from, own, keep)
        except VersionNotFoundError as exc:
            return _home_view(request, publisher, message=str(exc), warn=True)
        unchosen = [c.id for c in drifted.conflicts if c.id not in keep]
        if review or unchosen:  # the file's preview, with its choices, once more
            result = publisher.publish_bytes(raw, name, dry_run=True, progress=progress, origin=made_from)
            message = MERGE_NEW_CONFLICT.format(ids="、".join(unchosen)) if unchosen and not review else None
            return _home_view(
                request, publisher, filename=name, preview=result.preview, warnings=result.warnings, staged=staged,
                base=base, origin_file=origin_file, message=message, warn=bool(message),
            )  # fmt: skip
        tsv = dump(entries).encode("utf-8")
        source = f"{name}{MERGED_SUFFIX}"
        try:
            result = publisher.publish_bytes(tsv, source, dry_run=True, progress=progress)
        except FaqFormatError as exc:  # the file's changes clash with what was published since (one question twice …)
            exc.problems = [p.without_line() for p in exc.problems]  # no file's lines
            exc.encoding = ""  # nor its encoding: the editor's file was read, this is what the merge made
            heading = f"{name} の変更を公開中のFAQに反映した内容"
            return _problems_view(request, publisher, exc, None, filename=heading, again=again)
        choices = [(c, keep[c.id]) for c in drifted.conflicts]
        return _home_view(
            request, publisher, filename=name, preview=result.preview, warnings=result.warnings,
            staged=staging.put(tsv), base=base, merged=True, choices=choices, again=again,
            renumbered=renumbered(own, entries), source_label=source,
        )  # fmt: skip

    return await with_progress(request, auth, "publish", "このファイルでの変更を公開中のFAQに反映しています", work)


@editor_pages.post("/ui/publish", response_class=HTMLResponse, response_model=None)
async def ui_publish(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    staging: StagingDep,
    chatlog: ChatLogDep,
    staged: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    base: Annotated[str, Form(max_length=64)] = "",
    source: Annotated[str, Form(max_length=200)] = "管理画面からのアップロード",
    dismiss: Annotated[str, Form(max_length=2_000_000)] = "",
    dismiss_entry: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",  # a list address: its filter words percent-encoded
    edited: Annotated[str, Form(max_length=200)] = "",
    from_disk: Annotated[bool, Form()] = False,
    entry_base: Annotated[str, Form(max_length=64)] = "",
    log: Annotated[str, Form(max_length=64)] = "",
    new_entry: Annotated[bool, Form()] = False,
    deleted: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Publish the file previewed before (unless the live FAQ changed since: that preview is out of date).

    ``dismiss``: the logged questions the published alternate or new entry (``dismiss_entry``) answers now; the page
    then leads back to the list of the log they came from (``back``: the page of the unanswered questions or of the
    answers to check). ``log``: the new entry was made from a logged question (``stage_logged``); ``new_entry``: the
    entry previewed is a new one (should its id be taken meanwhile, its form comes back with the next free id);
    ``deleted``: the one entry the file deletes (the page then leads back to the entry list). A publish of one
    entry's change ends on a page that offers its undo: the rollback's preview of the version it replaced.
    """
    auth.check_csrf(request, csrf)
    # A new entry made from a logged question: its questions and their list as kept, not as sent.
    logged_question = await in_background(read_logged, staging, log) if log else None
    if logged_question is not None:
        dismiss, back = logged_question.ids, logged_question.back
    try:
        raw = await in_background(staging.get, staged)
    except NotFoundError as exc:
        if await in_background(_still_on_disk, publisher.paths.faq_path, staged):  # the page sent again (F5)
            return await _home(request, auth, publisher, message=ALREADY_PUBLISHED)
        return await _home(request, auth, publisher, message=str(exc))
    if from_disk and not await in_background(_still_on_disk, publisher.paths.faq_path, staged):
        return await _home(request, auth, publisher, message=DISK_CHANGED, warn=True)
    if base and base != publisher.engine.current.faq_version:
        kept = _edited_entry(raw, edited) if edited else None
        if kept is not None:  # one entry edited in the browser: its form again, with the edit in it
            live = publisher.engine.current
            now = live.entry(kept.id)
            if new_entry or (now is None and not entry_base):  # a new entry (from scratch or a logged question)
                logged = await carried(chatlog, log, logged_question)
                message = CHANGED_SINCE_KEPT
                if now is not None:  # its id was taken meanwhile: the next free one, with a word on it
                    message = NEW_ID_TAKEN.format(id=kept.id)
                    kept = replace(kept, id=next_id(e.id for e in live.index.entries))
                return await render(request, auth, "entry.html", "log" if "dismiss" in logged else "entries",
                                    entry=kept, new=True, warn=True, categories=live.index.categories, sent=True,
                                    message=message, **logged)  # fmt: skip
            if now is None:  # deleted meanwhile: nothing to edit any more
                return await _home(request, auth, publisher, message=ENTRY_GONE.format(id=kept.id), warn=True)
            same_entry = bool(entry_base) and entry_fingerprint(now) != entry_base
            message = CHANGED_SINCE_SAME_ENTRY.format(id=kept.id) if same_entry else CHANGED_SINCE_KEPT
            # what publishing the form as it is would do to the colleague's entry, marked as a preview marks it
            conflict = diff([now], [kept]) if same_entry else None
            return await render(request, auth, "entry.html", "entries", entry=kept, categories=live.index.categories,
                                message=message, warn=True, conflict=conflict, sent=True,
                                draft_base=entry_base)  # fmt: skip
        return await _home(request, auth, publisher, message=CHANGED_SINCE, warn=True)

    def work(progress: Progress) -> View:
        try:
            result = publisher.publish_bytes(raw, source, progress=progress)
        except FaqFormatError as exc:
            return _problems_view(request, publisher, exc, raw)
        staging.drop(staged)
        counts = result.preview.counts()
        message = (
            f"公開しました（追加 {counts['added']}件・削除 {counts['removed']}件・変更 {counts['changed']}件"
            + (f"・並び順 {counts['moved']}件" if counts["moved"] else "")
            + "）。"
            if result.published
            else "公開中の内容と同じため、変更はありません。"
        )
        if result.published and is_workbook_source(result.preview.faq.source):
            message += "Excelで続けて編集するときは、公開中のFAQをダウンロードし直してください。"
        if dismiss:  # added as an alternate, or a new entry: the questions the FAQ answers now with it leave the list
            progress(Step("質問ログの質問を、公開したFAQで確かめています"))
            settled = settle_after_publish(publisher, chatlog, dismiss.split(","), dismiss_entry or None)
            target = log_list(back) or UNANSWERED
            checking, listed, label = target is TO_CHECK, target.name, target.back_label
            by = f"FAQ {dismiss_entry} で" if dismiss_entry else ""
            if settled is None:
                message = LOG_NOT_SETTLED
            elif not settled.answered:
                subject = "この質問は、まだ" if checking else "このグループの質問は、まだどれも"
                message += f"{subject}{by}回答されません（一覧に残しています）。"
            else:
                message += f"{len(settled.answered)}件の質問に{by}回答するようになり、{listed}の一覧から外しました。"
                if settled.still_open:
                    message += (
                        f"{len(settled.still_open)}件はまだ{by}回答されないため、一覧に残しています"
                        "（別の言い換えとして追加するか、対応不要にしてください）。"
                    )
            to_list = back if log_list(back) else UNANSWERED.path
            view = {"message": message, "back": to_list, "back_label": label}
            if log and edited:  # a new entry made from the question: its draft is done with, and the entry a link away
                return View("notice.html", {
                    **view, "heading": f"FAQ {edited} を追加しました", "draft_done": log_draft(log),
                    "more": f"/admin/entries/{quote(edited)}", "more_label": f"FAQ {edited} を開く",
                    **_undo(result, "追加", to_list),
                })  # fmt: skip
            return View("notice.html", {**view, **_undo(result, "追加", to_list), "heading": "言い換えを追加しました"})
        if edited:  # one entry edited in the browser: back to where the editor works, the entry list
            return View("notice.html", {
                "heading": f"FAQ {edited} を公開しました" if result.published else f"FAQ {edited} は変わっていません",
                "message": message,
                "back": f"/admin/entries/{quote(edited)}", "back_label": f"FAQ {edited} をもう一度開く",
                "more": "/admin/entries", "more_label": "FAQの一覧に戻る",
                **_undo(result, "追加" if new_entry else "変更", f"/admin/entries/{quote(edited)}"),
                # the draft the editor's browser kept of the form (entry.html's data-draft) is done with
                "draft_done": f"entry:{edited}" if entry_base else log_draft(log) if is_key(log) else "new",
            })  # fmt: skip
        if deleted:  # one entry deleted in the browser: the entry list, where the editor was
            return View("notice.html", {
                "heading": f"FAQ {deleted} を削除しました" if result.published else f"FAQ {deleted} は削除済みです",
                "message": message, "back": "/admin/entries", "back_label": "FAQの一覧に戻る",
                **_undo(result, "削除", "/admin/entries"),
            })  # fmt: skip
        return _home_view(request, publisher, message=message, **_undo(result, "公開", "/admin"))

    section = "log" if dismiss else "entries" if edited or deleted else "publish"
    return await with_progress(request, auth, section, "公開しています", work)


def _undo(result: PublishResult, what: str, back: str) -> dict[str, str]:
    """The undo of a publish (nothing when nothing was published): the rollback's preview of the version it
    replaced, undone as any publish is; ``after`` names the version it published, so that the preview can say when
    later publishes would be undone with it; ``back``, the page its 「戻さずに…」 leads back to (``_way_back``)."""
    if result.replaced is None:
        return {}
    query = {"after": result.version.faq_version} if result.version is not None else {}
    return {
        "undo": f"/admin/rollback/{quote(result.replaced)}?{urlencode(query | {'back': back})}",
        "undo_label": f"この{what}を取り消す（{what}する前のバージョンに戻す…）",
    }


@editor_pages.post("/ui/reload", response_class=HTMLResponse, response_model=None)
async def ui_reload(
    request: Request, auth: AuthDep, publisher: PublisherDep, staging: StagingDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    """The TSV on disk validated and previewed like an upload (diff, regression set, then 公開), with progress."""
    auth.check_csrf(request, csrf)
    path = publisher.paths.faq_path
    base = publisher.engine.current.faq_version
    source = f"ディスク上のTSV（{path.name}）の再読み込み"

    def work(progress: Progress) -> View:
        try:
            raw = path.read_bytes()
        except OSError:
            return _home_view(request, publisher, message=f"ディスク上のTSV（{path}）を読めません（ファイルがないか、"
                              "読む権限がありません）。公開中のFAQはそのままです。", warn=True)  # fmt: skip
        try:
            result = publisher.publish_bytes(raw, str(path), dry_run=True, progress=progress)
        except FaqFormatError as exc:
            return _problems_view(request, publisher, exc, raw, filename=path.name)
        if result.preview.unchanged:
            return _home_view(request, publisher, message="ディスク上のTSVは公開中の内容と同じです。")
        staged = staging.put(raw)
        return _home_view(
            request, publisher, filename=path.name, preview=result.preview, warnings=result.warnings, staged=staged,
            base=base, source_label=source, from_disk=True,
        )  # fmt: skip

    return await with_progress(request, auth, "publish", "ディスク上のTSVを確認しています", work)


@editor_pages.get("/ui/{action}/{rest:path}", response_class=RedirectResponse)
@editor_pages.get("/ui/{action}", response_class=RedirectResponse)
async def form_result_again(request: Request) -> RedirectResponse:
    """A form's result address opened again: its page (``handlers.form_page``: a form result cannot be shown again
    without sending the form again, and a raw 405 is no page for an editor)."""
    return RedirectResponse(form_page(request.url.path, request.url.query)[0], status_code=303)


async def _check_kept(publisher: Publisher, build_id: str) -> Version:
    """The kept version with this id; ``VersionNotFoundError`` (404, before any progress is streamed) if none is."""
    kept = await in_background(publisher.versions)
    found = next((v for v in kept if v.build_id == build_id), None)
    if found is None:
        raise VersionNotFoundError.unknown(build_id)
    return found


def _way_back(back: str, served: Callable[[str], object | None]) -> tuple[str, str]:
    """Where a rollback's preview leads when the rollback is not made, and how the link says it: the page an undo
    was offered for (an entry ``served`` has, the entry list, a list of the question log), else FAQの公開. Only
    those addresses: the link never leads off the admin pages, and says no words but an entry's id."""
    path = urlsplit(back).path
    if back.startswith("/admin/") and "\\" not in back:
        if (listed := log_list(back)) is not None:
            return back, f"{listed.name if listed is TO_CHECK else '質問ログ'}へ"
        if path == "/admin/entries":
            return back, "FAQの一覧へ"
        if (entry := re.fullmatch(r"/admin/entries/([^/]+)", path)) is not None and served(unquote(entry[1])):
            return path, f"FAQ {unquote(entry[1])} の編集へ"
    return "/admin", "FAQの公開へ"


@editor_pages.get("/rollback/{build_id}", response_class=HTMLResponse, response_model=None)
async def rollback_preview(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    build_id: str,
    after: Annotated[str, Query(pattern="^[0-9a-f]{0,64}$")] = "",
    back: Annotated[str, Query(max_length=2_000)] = "",
) -> Response:
    """What rolling back to a kept version would change (entries, the regression set), and the button that does
    it (nothing changes yet), with progress: the regression set runs against the kept build. ``after``: an undo's
    (the version the publish being undone made): when another has been published since, the page says that the
    rollback would undo it too."""
    await _check_kept(publisher, build_id)
    live = publisher.engine.current.faq_version
    later = bool(after) and after != live

    def work(progress: Progress) -> View:
        try:
            version, preview = publisher.rollback_preview(build_id, progress)
        except FaqBotError as exc:  # no such version, an unreadable or incompatible one, the shared store unreachable
            return _home_view(request, publisher, message=f"このバージョンにできません: {exc}", warn=True)
        way_back, way_back_label = _way_back(back, publisher.engine.current.entry)
        context = {"version": version, "preview": preview, "changes": preview.changes, "faq_version": live,
                   "way_back": way_back, "way_back_label": way_back_label, "undo": bool(after)}  # fmt: skip
        if later and not version.current:  # an undo, with publishes after the one it undoes: they go too
            context |= {"message": LATER_UNDONE.format(after=after, live=live), "warn": True}
        return View("rollback.html", context)

    return await with_progress(request, auth, _section(back), "戻したときの変更を確認しています", work)


def _section(back: str) -> str:
    """The menu item marked on a rollback's pages: where its undo was offered (the log, the entries), else 公開."""
    path = urlsplit(back).path
    return "log" if log_list(back) else "entries" if path.startswith("/admin/entries") else "publish"


@editor_pages.post("/ui/rollback", response_class=HTMLResponse, response_model=None)
async def ui_rollback(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    chatlog: ChatLogDep,
    build_id: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    base: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Serve a kept version again, with progress (``base``: the version the preview compared against); the logged
    questions an alternate published since answered, and no longer does, go back on their list. ``back``: the page
    an undo was offered for, where the result leads (``_way_back``)."""
    auth.check_csrf(request, csrf)
    target = await _check_kept(publisher, build_id)
    live = publisher.engine.current
    zone = request.app.state.settings.timezone
    if await in_background(publisher.serves, build_id):  # done already (the result page reloaded)
        built = local_time(live.index.manifest.built_at, zone)
        return await _home(request, auth, publisher, message=f"バージョン {live.faq_version}（{built}）は公開中です。")
    if base and base != live.faq_version:
        return await _home(request, auth, publisher, message=CHANGED_SINCE, warn=True)

    def work(progress: Progress) -> View:
        try:
            version = publisher.rollback(build_id, progress)
        except NotFoundError as exc:
            return _home_view(request, publisher, message=str(exc))
        went = target.going["did"]  # (newer than the version served before: forward)
        done = f"バージョン {version.faq_version}（{local_time(version.built_at, zone)}）に{went}"
        progress(Step("質問ログの質問を、公開したバージョンで確かめています"))
        rechecked = recheck_after_rollback(
            publisher.engine, chatlog, version.faq_version, version.built_seconds, publisher.recent
        )
        logged = "ただし" + LOG_NOT_RECHECKED if rechecked is None else rechecked_message(rechecked)
        way_back, way_back_label = _way_back(back, publisher.engine.current.entry)  # (an entry undone: the list)
        if back.startswith("/admin/entries/") and way_back == "/admin":
            way_back, way_back_label = "/admin/entries", "FAQの一覧へ"
        if rechecked is not None and logged:  # questions went back on their list or off it: a link to the log
            to_log = way_back if log_list(way_back) else UNANSWERED.path
            return View("notice.html", {
                "heading": done, "message": logged, "back": to_log, "back_label": "質問ログを開く",
                "more": "/admin", "more_label": "FAQの公開に戻る", "address": way_back,  # (history: where it began)
            })  # fmt: skip
        if way_back != "/admin":  # an undo: back to where it was offered
            return View("notice.html", {
                "heading": done, "message": logged or "公開を取り消し、変更前の内容に戻しました。",
                "back": way_back, "back_label": way_back_label, "more": "/admin", "more_label": "FAQの公開に戻る",
            })  # fmt: skip
        return _home_view(request, publisher, message=f"{done}。{logged}")

    return await with_progress(request, auth, _section(back), "バージョンを切り替えています", work)
