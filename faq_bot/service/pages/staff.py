"""The support staff's pages: test console, batch test with its report, the question log."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from faq_bot.content.faq import FaqEntry, dump, entry_problems
from faq_bot.errors import DatabaseError, FaqBotError, FaqFormatError, LogUnavailableError, NotFoundError
from faq_bot.progress import Progress, Step
from faq_bot.publishing.publisher import Publisher, alternate_source
from faq_bot.quality import report as batch_report
from faq_bot.quality.batch import MAX_BATCH, batch_queries, run_batch, template_rows
from faq_bot.quality.doubtful import REVIEW_BELOW, REVIEW_LEVELS, review
from faq_bot.quality.grouping import QuestionGroup
from faq_bot.quality.insights import EntryUsage, entry_usage
from faq_bot.quality.report import DECISION_LABELS
from faq_bot.quality.unanswered import UnansweredQuestions
from faq_bot.retrieval.confidence import moved
from faq_bot.retrieval.decision import names_nothing
from faq_bot.retrieval.smalltalk import recognise
from faq_bot.retrieval.views import as_sentences, focus, is_asking
from faq_bot.service.auth import AdminAuth, AdminPageRoute
from faq_bot.service.deps import AuthDep, ChatLogDep, PublisherDep, SettingsDep, StagingDep, UnansweredDep
from faq_bot.service.offload import in_background
from faq_bot.service.pages.logged import GOT, NO_FILTER, ListPlaceDep, LogFilter, LoggedQuestion, stage_logged
from faq_bot.service.routes.staff import csv_download, explain_question
from faq_bot.service.schemas import ALTERNATE_CHARS
from faq_bot.service.streaming import View, with_progress
from faq_bot.service.templating import addable, render, templates
from faq_bot.service.uploads import read_upload
from faq_bot.spreadsheet import csv_text
from faq_bot.storage.chatlog import (
    CONFIRMED_LIMIT,
    UNDOABLE,
    ChatLog,
    ConfirmedAnswer,
    Reason,
    confirmed_questions,
)
from faq_bot.storage.masking import masked_parts
from faq_bot.storage.staging import Staging
from faq_bot.text.analyzer import TextAnalyzer

staff_pages = APIRouter(prefix="/admin", include_in_schema=False, route_class=AdminPageRoute)
_RESULT = {"prefix": "result-", "suffix": ".csv"}
_REPORT = {"prefix": "result-", "suffix": ".json"}  # a batch run's report, as its page shows it
BATCH_GONE = (
    "この結果は見つかりません（保存期間の2日を過ぎたか、アドレスが正しくない可能性があります）。"
    "もう一度実行してください。"
)
NOT_KEPT = (
    "結果をサーバーに保存できなかったため（ディスクの空き不足など）、CSVはダウンロードできず、このページを再読み込み"
    "すると結果は表示されません。必要ならこのページを印刷・保存してください。"
)
log = logging.getLogger("faq_bot.service")
_UNDO = {"prefix": "dismissed-", "suffix": ".txt"}


@staff_pages.get("/console", response_class=HTMLResponse)
async def console_page(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    settings: SettingsDep,
    # Any length: one past the limit is said on the page (``checked_question``), not in a JSON error; the server's
    # limit on a request line bounds it.
    q: str = "",
    category: Annotated[list[str] | None, Query()] = None,
) -> HTMLResponse:
    """Type a question, see the decision and why."""
    q = q.replace("\r\n", "\n")  # a textarea's line breaks, counted as the widget counts them (one each)
    result = error = None
    if q.strip():
        try:
            result = await in_background(explain_question, publisher, q, category, settings.max_message_chars)
        except FaqBotError as exc:  # an empty or too long question, an unknown category: shown on the page
            error = str(exc)
    elif q:  # only spaces: said so, not a page that looks as if nothing was sent
        error = "質問を入力してください（空白だけでは試せません）。"
    return await render(
        request, auth, "console.html", "console", q=q, chosen=category or [], decision_labels=DECISION_LABELS,
        categories=publisher.engine.current.index.categories, result=result, error=error,
        max_chars=settings.max_message_chars,
    )  # fmt: skip


@staff_pages.get("/batch", response_class=HTMLResponse)
async def batch_page(request: Request, auth: AuthDep) -> HTMLResponse:
    """Upload a question set."""
    return await _batch_page(request, auth)


async def _batch_page(request: Request, auth: AdminAuth, **context: Any) -> HTMLResponse:
    """The batch test page (with how many questions a run takes)."""
    return await render(request, auth, "batch.html", "batch", max_batch=MAX_BATCH, **context)


@staff_pages.get("/batch-template.csv", response_model=None)
async def batch_template(auth: AuthDep, publisher: PublisherDep) -> Response:
    """A question set to start from (CSV, as Excel opens it): the headings and a line of each kind."""
    return csv_download(csv_text(template_rows(publisher.engine.current.index.entries)), "batch-template.csv")


@staff_pages.post("/ui/batch", response_class=HTMLResponse, response_model=None)
async def batch_ui(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    staging: StagingDep,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File()] = None,
    pasted: Annotated[str, Form(max_length=2_000_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Run an uploaded or pasted question set and show the report (with a CSV download)."""
    auth.check_csrf(request, csrf)
    has_file = file is not None and bool(file.filename)
    if not has_file and not pasted.strip():
        missing = "質問集のファイル（TSV・CSV、またはExcelの.xlsx）を選ぶか、表を貼り付けてください。"
        return await _batch_page(request, auth, error=missing)
    name = file.filename if file is not None and file.filename else "貼り付けた表"
    try:
        if file is not None and has_file:
            raw = await read_upload(file, publisher.paths.max_faq_bytes)
        else:  # pasted text: the same reader as a file (tabs from Excel, line breaks normalised)
            raw = pasted.replace("\r\n", "\n").encode("utf-8")
        live = publisher.engine.current
        queries = await in_background(
            batch_queries,
            raw,
            name,
            live.entry_ids,
            live.index.categories,
            pasted=not has_file,
            category_of=live.category_of,
        )
    except FaqBotError as exc:  # a set that cannot be read: each problem with its line
        return await _batch_page(request, auth, error=str(exc), pasted=pasted)

    def work(progress: Progress) -> View:
        result = run_batch(publisher.engine, queries, progress=progress)
        progress(Step("報告を作成しています"))
        decision = publisher.engine.params.decision
        table = batch_report.rows(result.report, decision)  # once, for the CSV and the page
        ctx = batch_report.context(
            result.report, decision, name, result.proposal, timezone=settings.timezone, table=table
        )
        # The table stays, to change and rerun; beside a file it was not used, and the page says so.
        unused = has_file and bool(pasted.strip())
        notice = f"ファイル「{name}」で実行しました。貼り付け欄の表は使っていません。" if unused else ""
        # On the admin page (not in a report saved as a file) a row not right links to the test console.
        html = templates().get_template("_batch_result.html").render({**ctx, "console_links": True})
        kept = {"csv_key": "", "html": html, "pasted": pasted, "notice": notice}
        try:
            kept["csv_key"] = staging.put(batch_report.to_csv(table).encode("utf-8"), length=32, **_RESULT)
            key = staging.put(json.dumps(kept, ensure_ascii=False).encode("utf-8"), length=32, **_REPORT)
        except (OSError, DatabaseError) as exc:  # a full disk, say: the report all the same, kept nowhere
            log.warning("batch test report not kept: %s", exc)
            return View("batch.html", {**_batch_result("", kept | {"csv_key": ""}), "not_kept": NOT_KEPT})
        return View("batch.html", _batch_result(key, kept))

    return await with_progress(request, auth, "batch", f"一括テスト（{len(queries)}問）を実行しています", work)


def _batch_result(key: str, kept: dict[str, str]) -> dict[str, Any]:
    """The batch page's context for a run's report kept under ``key``: the report, the CSV's key, the table as
    pasted (to change and run again), what the run said of it."""
    result = {"key": key, "csv_key": kept["csv_key"], "html": Markup(kept["html"])}
    return {"result": result, "pasted": kept["pasted"], "notice": kept["notice"], "max_batch": MAX_BATCH}


@staff_pages.get("/batch/{key}.csv", response_model=None)
async def batch_csv(request: Request, auth: AuthDep, staging: StagingDep, key: str) -> Response:
    """The result table of a batch run on the page."""
    try:
        data = await in_background(staging.get, key, **_RESULT)
    except NotFoundError as exc:
        raise NotFoundError(BATCH_GONE) from exc
    return csv_download(data.decode("utf-8"), "batch-result.csv")


# After the CSV's route: "/batch/{key}" would take its addresses too.
@staff_pages.get("/batch/{key}", response_class=HTMLResponse)
async def batch_result(request: Request, auth: AuthDep, staging: StagingDep, key: str) -> HTMLResponse:
    """A batch run's report again (a reload, the back button, a colleague's tab), as long as its CSV is kept."""
    try:
        kept = json.loads(await in_background(staging.get, key, **_REPORT))
    except NotFoundError as exc:
        raise NotFoundError(BATCH_GONE) from exc
    return await render(request, auth, "batch.html", "batch", **_batch_result(key, kept))


@staff_pages.get("/log", response_class=HTMLResponse)
async def log_page(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    chatlog: ChatLogDep,
    unanswered: UnansweredDep,
    staging: StagingDep,
    days: Annotated[int, Query(ge=0, le=3650)] = 30,
    page: str = "1",  # as typed into the address: read by ``page_number``, never refused
    dismissed: Annotated[int | None, Query(ge=0)] = None,
    undo: Annotated[str | None, Query(pattern="^[0-9a-f]{32}$")] = None,
    restored: Annotated[int | None, Query(ge=0)] = None,
    q: Annotated[str, Query(max_length=1000)] = "",  # words the questions have (cut at FIND_CHARS)
    got: Annotated[str, Query(max_length=20)] = "",  # suggest | escalate (anything else: either)
) -> HTMLResponse:
    """Unanswered questions grouped by meaning (one page of groups), per-entry use and ratings; narrowed to the
    questions with some words, or to those that got もしかして or were sent to a person."""
    named = await acted_on(staging, chatlog, undo) if dismissed else ""
    if named is None:  # its undo was used (or has expired): the page opened again from the history says nothing
        dismissed = undo = None
    message = action_message(
        dismissed,
        restored,
        (named or "") + "{}件の質問を対応不要にしました。" + LATER_RESTORE,
        "{}件の質問を未回答の一覧に戻しました。",
    )
    return await render_log(
        request, auth, publisher, chatlog, unanswered, message, days=days, page=page_number(page),
        undo=undo if dismissed else None, filters=LogFilter.of(q, got),
    )  # fmt: skip


#: After an action on rows someone else had dealt with meanwhile (their page was up to date, this one was not).
ALREADY_DEALT_WITH = "ほかの人がすでに対応していたため、変わったものはありません。"


#: Said when a 対応不要 or 確認済み taken back from the page listing them put nothing back.
ALREADY_BACK = "この質問は、すでに一覧に戻されています（ほかの人が戻したか、古いページからの操作です）。"


def action_message(
    dismissed: int | None, restored: int | None, dismissed_text: str, restored_text: str,
    none_restored: str = "元に戻せる操作がありません。",
) -> str | None:  # fmt: skip
    """What a list says after a redirect from an action on it: how many were taken off, or put back by an undo
    (``none_restored`` when nothing was)."""
    if dismissed == 0:
        return ALREADY_DEALT_WITH
    if dismissed is not None:
        return dismissed_text.format(dismissed)
    if restored is not None:
        return restored_text.format(restored) if restored else none_restored
    return None


@staff_pages.get("/answers", response_class=HTMLResponse)
async def answers_page(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    chatlog: ChatLogDep,
    staging: StagingDep,
    days: Annotated[int, Query(ge=0, le=3650)] = 30,
    below: Annotated[int, Query(ge=1, le=100)] = round(REVIEW_BELOW * 100),
    page: str = "1",
    dismissed: Annotated[int | None, Query(ge=0)] = None,
    confirmed: Annotated[int | None, Query(ge=0)] = None,
    undo: Annotated[str | None, Query(pattern="^[0-9a-f]{32}$")] = None,
    restored: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """Answers to check: answered questions with a probability under ``below`` % or a 👎
    (``faq_bot.quality.doubtful``); ``dismissed`` / ``confirmed``: how many the last action took off the list as
    対応不要 / 確認済み."""
    named = await acted_on(staging, chatlog, undo) if confirmed or dismissed else ""
    if named is None:  # its undo was used (or has expired): the page opened again from the history says nothing
        confirmed = dismissed = undo = None
        named = ""
    if confirmed is not None:
        message = action_message(confirmed, None, named + CONFIRMED_MESSAGE, "")
    else:
        message = action_message(dismissed, restored, named + DISMISSED_MESSAGE, "一覧に戻しました（質問 {}回分）。")
    return await render_answers(
        request, auth, publisher, chatlog, message, days=days, below=below, page=page_number(page),
        undo=undo if dismissed or confirmed else None,
    )  # fmt: skip


async def acted_on(staging: Staging, chatlog: ChatLog, undo: str | None) -> str | None:
    """The words a list's message after an action starts with: 「the question」 it took off the list (the first of
    those its undo keeps; 「…」など for several), so that staff see which row went; "" when that cannot be read;
    None when the undo is gone (used, from this page opened again by the back button, or expired)."""
    if undo is None:
        return ""
    try:
        ids = (await in_background(staging.get, undo, **_UNDO)).decode("utf-8").rpartition(":")[2].split(",")
    except NotFoundError:
        return None
    try:
        text = await in_background(chatlog.message_of, ids[0]) if ids[0] else None
    except LogUnavailableError:
        return ""
    if not text:
        return ""
    shown = text if len(text) <= ACTED_ON_CHARS else text[:ACTED_ON_CHARS] + "…"
    return f"「{shown}」{'など' if len(ids) > 1 else ''}: "


#: How much of a question an action's message quotes.
ACTED_ON_CHARS = 40


#: What the answers to check say after a row was taken off as 確認済み, or as 対応不要.
CONFIRMED_MESSAGE = (
    "回答が正しいことを確認し、一覧から外しました（質問 {}回分）。"
    "この先の公開では、この回答が変わらないかも確かめます。"
)
#: Where a 対応不要 can be taken back after its undo is gone, said with every one.
LATER_RESTORE = "あとからでも「対応不要にした質問」で一覧に戻せます。"
DISMISSED_MESSAGE = "対応不要として一覧から外しました（質問 {}回分）。" + LATER_RESTORE


async def render_answers(
    request: Request,
    auth: AdminAuth,
    publisher: Publisher,
    chatlog: ChatLog,
    message: str | None,
    *,
    error: str | None = None,
    days: int = 30,
    below: int = round(REVIEW_BELOW * 100),
    page: int = 1,
    undo: str | None = None,
    form_address: str | None = None,
) -> HTMLResponse:
    """The answers to check (what the page shows after an action too, as ``render_log``)."""
    shown = await in_background(review, chatlog, days, below / 100, page, GROUPS_PER_PAGE)
    loaded = publisher.engine.current  # one FAQ version for the whole page
    rows = [(r, loaded.entry(r.entry_id), ",".join(r.request_ids)) for r in shown.rows]
    levels = sorted({round(level * 100) for level in REVIEW_LEVELS} | {below})
    return await render(
        request, auth, "answers.html", "log", rows=rows, shown=shown, days=days, below=below, levels=levels,
        message=message, error=error, undo=undo, per_page=GROUPS_PER_PAGE,
        asked_page=page, **entry_picker(loaded.index.entries), **_settled_at(form_address),
    )  # fmt: skip


#: Page numbers beyond this are read as this (any page past the last shows the last).
MAX_PAGE = 10**9


def page_number(asked: str) -> int:
    """The page an address asks for: a whole number from 1; anything else (「abc」, 「-1」, 「2.5」, a hand-edited
    address) is the first page, and a page past the last is the last (``UnansweredQuestions.page``)."""
    digits = asked.strip()
    if not (digits.isascii() and digits.isdigit()):
        return 1
    digits = digits.lstrip("0") or "0"  # 「02」 is page 2
    return max(1, int(digits) if len(digits) <= 9 else MAX_PAGE)  # (never int() of a thousand digits)


#: The usage table's orders: most answered, most opened from candidates, most 👎 (then fewest 👍), most 👍;
#: the FAQ's own order otherwise.
USAGE_ORDERS: dict[str, Callable[[EntryUsage], tuple[int, ...]]] = {
    "answered": lambda e: (-e.answered,),
    "clicked": lambda e: (-e.clicked,),
    "down": lambda e: (-e.down, e.up),
    "up": lambda e: (-e.up,),
}


#: The confirmed answers page shows at most this many (the most recent first).
CONFIRMED_SHOWN = 300


@staff_pages.get("/confirmed", response_class=HTMLResponse)
async def confirmed_page(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    chatlog: ChatLogDep,
    restored: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """The answers staff confirmed as right (確認済み), the most recent first: what every publish asks again, and a
    way to take back a confirmation made by mistake (its undo gone with the page it was made on)."""
    rows = await in_background(chatlog.confirmed_rows, CONFIRMED_SHOWN)
    # (the rows shown decide, for themselves, what a publish asks: no second read of the log)
    asked = {(q.query, q.categories, q.gold[0]) for q in confirmed_questions(rows)}
    loaded = publisher.engine.current
    message = action_message(
        None, restored, "", "{}件の質問の確認を取り消し、確認したい回答に戻しました。", ALREADY_BACK
    )
    shown = [
        (row, entry, ",".join(row.request_ids), not_asked_because(row, entry, asked))
        for row in rows
        for entry in [loaded.entry(row.entry_id)]
    ]
    return await render(request, auth, "confirmed.html", "log", message=message, rows=shown, shown=CONFIRMED_SHOWN,
                        asked_again=CONFIRMED_LIMIT)  # fmt: skip


def not_asked_because(
    row: ConfirmedAnswer, entry: FaqEntry | None, asked: set[tuple[str, tuple[str, ...], str]]
) -> str:
    """Why a publish does not ask a confirmed answer again (``confirmed_questions``: (words, categories, entry)
    asked), or "" when it does."""
    if entry is None:
        return "公開中のFAQにない回答のため"
    if (row.message, row.categories, row.entry_id) in asked:
        return ""
    if masked_parts(row.message):
        return "個人情報を伏せた質問のため"
    if any((message, categories) == (row.message, row.categories) for message, categories, _ in asked):
        return "同じ質問を、より新しく別のFAQで確認済みのため"
    return f"新しいものから{CONFIRMED_LIMIT}件に入らないため"


#: The dismissed questions page shows at most this many (the most recently dismissed first).
DISMISSED_SHOWN = 300


@staff_pages.get("/dismissed", response_class=HTMLResponse)
async def dismissed_page(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    chatlog: ChatLogDep,
    restored: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """The questions staff marked 対応不要, from either list, the most recent first: each can go back on its list
    (the undo right after a 対応不要 is gone with the page it was made on)."""
    rows = await in_background(chatlog.dismissed_rows, DISMISSED_SHOWN)
    loaded = publisher.engine.current
    message = action_message(None, restored, "", "{}件の質問を対応不要から外し、元の一覧に戻しました。", ALREADY_BACK)
    shown = [(row, loaded.entry(row.entry_id) if row.entry_id else None, ",".join(row.request_ids)) for row in rows]
    return await render(request, auth, "dismissed.html", "log", message=message, rows=shown, shown=DISMISSED_SHOWN)


#: The pages that list the questions dealt with for a reason, where each can be taken back.
DEALT_WITH_PAGES: dict[Reason, str] = {"dismissed": "/admin/dismissed", "confirmed": "/admin/confirmed"}


@staff_pages.post("/ui/take-back", response_class=RedirectResponse)
@staff_pages.post("/ui/unconfirm", response_class=RedirectResponse)  # a page loaded before the upgrade (one release)
async def take_back_ui(
    request: Request,
    auth: AuthDep,
    chatlog: ChatLogDep,
    ids: Annotated[str, Form(max_length=2_000_000)],
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[Literal["dismissed", "confirmed"], Form()] = "confirmed",
) -> RedirectResponse:
    """Take back a 対応不要 or a 確認済み from the list of them: the questions go back on the list they were taken
    off (a confirmed answer is checked no more at publishes). Both pages' forms say which (``reason``); the old
    確認を取り消す form did not: a confirmation."""
    auth.check_csrf(request, csrf)
    count = await in_background(chatlog.undismiss, ids.split(","), (reason,))
    return RedirectResponse(f"{DEALT_WITH_PAGES[reason]}?restored={count}", status_code=303)


@staff_pages.get("/usage", response_class=HTMLResponse)
async def usage_page(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    chatlog: ChatLogDep,
    sort: Annotated[str, Query(max_length=20)] = "faq",  # an unknown order: the FAQ's own
) -> HTMLResponse:
    """Per entry of the live FAQ: answers, suggestion clicks, ratings and comments (a page of its own:
    on a FAQ of 2,000 entries the table is most of the log page's work if drawn with every page of groups),
    in the FAQ's order or by a column (stable: ties keep the FAQ's order)."""
    usage = entry_usage(publisher.engine.current.index.entries, await in_background(chatlog.entry_stats))
    unused = sum(e.unused for e in usage)
    if sort in USAGE_ORDERS:
        usage.sort(key=USAGE_ORDERS[sort])
    else:
        sort = "faq"
    return await render(request, auth, "usage.html", "log", entries=usage, unused=unused, sort=sort)


#: Groups per page of the question log.
GROUPS_PER_PAGE = 30
#: A group's entry is offered first for its alternate only when one of its questions had at least this
#: probability for it. Below, most pre-filled entries were wrong: on the questions the bot did not answer,
#: 0.25 keeps the right entry for 92 % (dev) / 72 % (visitor set) of those whose best entry was right, and
#: pre-fills 7 % / 15 % of the out-of-scope ones (0.10: 100 % / 93 %, but 64 % / 73 %).
LIKELY_FLOOR = 0.25


async def render_log(
    request: Request,
    auth: AdminAuth,
    publisher: Publisher,
    chatlog: ChatLog,
    unanswered: UnansweredQuestions,
    message: str | None,
    *,
    error: str | None = None,
    days: int = 30,
    page: int = 1,
    undo: str | None = None,
    filters: LogFilter = NO_FILTER,
    form_address: str | None = None,
) -> HTMLResponse:
    """The log page (what the page shows after an action too: ``message`` a success, ``error`` a failure,
    ``undo`` the key of a 対応不要 that can be undone; ``filters`` what the list is narrowed to; ``form_address``,
    for a form's answer, the list's own address, which the browser's history is to keep)."""
    shown = await in_background(unanswered.page, days, page, GROUPS_PER_PAGE, filters.find, filters.got)
    loaded = publisher.engine.current  # one FAQ version for the whole page
    entries = loaded.index.entries
    # The log keeps the probability an answer needed, lowered on a FAQ the model was not fitted on; the floor is one
    # as fitted (as the related entries' threshold is weighed), so it is lowered alike.
    floor = moved(max(LIKELY_FLOOR, publisher.engine.params.decision.related_threshold), loaded.model.faq_offset)
    analyzer = publisher.engine.analyzer
    # janome on each representative: staff work, off the event loop like the rest of the page
    likely = await in_background(lambda: [likely_entry(g, floor, analyzer) for g in shown.groups])
    # Each group's likely entry, looked up here (not a scan of the FAQ per group in the template); an id the live
    # FAQ no longer has (the question was asked before a publish that removed it) is not offered.
    near = [loaded.entry(i) if i is not None else None for i in likely]
    likely = [e.id if e is not None else None for e in near]
    total = await in_background(chatlog.count)
    # Each group's question ids as one string (escaped once, not id by id in the template: a few ms a page).
    ids = [",".join(g.request_ids) for g in shown.groups]
    addable = [addable_wordings(g) for g in shown.groups]
    return await render(
        request, auth, "log.html", "log", groups=list(zip(shown.groups, likely, ids, near, addable, strict=True)),
        days=days, message=message, error=error, total=total, shown=shown, undo=undo, per_page=GROUPS_PER_PAGE,
        asked_page=page, filters=filters, got_names=GOT, **entry_picker(entries), **_settled_at(form_address),
    )  # fmt: skip


def _settled_at(form_address: str | None) -> dict[str, str]:
    """The page's history address (``templating.form_address``) where a form's answer names its own."""
    return {"form_address": form_address} if form_address else {}


#: The entry picker checks a typed id against every id only for a FAQ up to this size (a pattern of 2,000 ids is
#: work on every page).
PATTERN_ENTRIES = 300


def entry_picker(entries: Sequence[FaqEntry]) -> dict[str, Any]:
    """What the log's lists need for their entry pickers: the choices, labelled here (a Jinja filter per option is
    most of the page on a large FAQ), and the ids as an input pattern ("" for a larger FAQ)."""
    choices = [(e.id, f"{e.id}: {short(e.question)}") for e in entries]
    pattern = "|".join(e.id.replace(".", "\\.") for e in entries) if len(entries) <= PATTERN_ENTRIES else ""
    return {"choices": choices, "id_pattern": pattern}


def short(question: str, limit: int = 40) -> str:
    """A question cut to ``limit`` characters for a list (… where cut)."""
    return question if len(question) <= limit else question[: limit - 1] + "…"


def addable_wordings(group: QuestionGroup) -> list[str]:
    """A group's wordings that can be added as an alternate as they are (``addable``), the representative first."""
    return [w for w in group.examples if addable(w)]


def likely_entry(group: QuestionGroup, floor: float, analyzer: TextAnalyzer) -> str | None:
    """The entry to offer first for a group's alternate: none for small talk or junk (nothing came close,
    or the message names nothing)."""
    if recognise(group.representative) is not None or group.nearest_confidence < floor:
        return None
    if names_nothing(analyzer.analyze(group.representative)):
        return None
    return group.nearest_entry


@staff_pages.post("/ui/alternate", response_class=HTMLResponse, response_model=None)
async def alternate_ui(
    request: Request,
    auth: AuthDep,
    place: ListPlaceDep,
    publisher: PublisherDep,
    staging: StagingDep,
    chatlog: ChatLogDep,
    unanswered: UnansweredDep,
    entry_id: Annotated[str, Form(max_length=64)],
    text: Annotated[str, Form(max_length=ALTERNATE_CHARS)],
    ids: Annotated[str, Form(max_length=2_000_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Preview a logged question (a group's, or an answer to check) as an alternate of an entry: the diff and the
    regression set, then confirm."""
    auth.check_csrf(request, csrf)
    back = place.address()
    masked = masked_parts(text)
    if not entry_id:
        error: str | None = "追加先のFAQを選んでください。"
    elif masked:  # the log masked the visitor's data: the placeholder would become the FAQ's wording
        error = (
            f"この質問には伏せた個人情報（{'、'.join(masked)}）が含まれるため、そのままでは言い換えに追加できません。"
            f"個人情報を除いた言い方を、FAQ {entry_id} の編集画面で言い換えに追加してください。"
        )
    else:
        try:
            raw = dump(publisher.with_alternate(entry_id, text)).encode("utf-8")
            error = None
        except FaqFormatError as exc:
            error = "追加できませんでした: " + "; ".join(p.message for p in exc.problems)
        except FaqBotError as exc:
            error = f"追加できませんでした: {exc}"
    if error is not None:  # the same page of the list again, with the error
        if place.view == "answers":
            return await render_answers(
                request, auth, publisher, chatlog, None, error=error, days=place.days, below=place.below,
                page=place.page, form_address=back,
            )  # fmt: skip
        return await render_log(
            request, auth, publisher, chatlog, unanswered, None, error=error, days=place.days, page=place.page,
            filters=place.filters, form_address=back,
        )  # fmt: skip
    base = publisher.engine.current.faq_version
    target = publisher.engine.current.entry(entry_id)  # shown with its answer: does it answer the question?
    source = alternate_source(entry_id)
    heading = f"「{text}」をFAQ {entry_id} の言い換えに追加"
    # A message of several sentences (greeting, the visitor's circumstances, a name …) would become FAQ wording
    # as a whole: the page offers its asking sentence alone instead.
    asking = focus(as_sentences(text))
    if asking is not None and (recognise(asking) is not None or not is_asking(asking)):
        asking = None  # no sentence asks: the last one is as likely a closing greeting (よろしくお願いします。)

    def work(progress: Progress) -> View:
        try:
            result = publisher.publish_bytes(raw, source, dry_run=True, progress=progress)
        except FaqBotError as exc:
            return View("notice.html", {"heading": heading, "error": f"追加できませんでした: {exc}", "back": back})
        staged = staging.put(raw)
        return View("preview.html", {
            "heading": heading, "preview": result.preview, "staged": staged, "one_entry": True, "target": target,
            "warnings": entry_problems(result.preview.faq, result.warnings, entry_id), "base": base,
            "source_label": source, "dismiss": ids, "dismiss_entry": entry_id, "back": back,
            "title": "追加したときの差分と回帰テスト", "asking": asking, "added": text, "place": place,
        })  # fmt: skip

    return await with_progress(request, auth, "log", heading, work)


@staff_pages.post("/ui/log/new-entry", response_class=RedirectResponse)
async def new_entry_from_log(
    request: Request,
    auth: AuthDep,
    place: ListPlaceDep,
    staging: StagingDep,
    text: Annotated[str, Form(max_length=20_000)],
    ids: Annotated[str, Form(max_length=2_000_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """A new entry for what the FAQ does not cover yet, made from a logged question (a group's, or an answer to
    check): the entry editor's form with it as the question. Its preview and 公開 are the editor's; after 公開, the
    questions the new entry answers leave their list.

    The form has an address of its own (a reload, or a login after the session ended, finds it and its draft)."""
    auth.check_csrf(request, csrf)
    logged = LoggedQuestion(text.strip(), ids, place.address())
    key = await in_background(stage_logged, staging, logged)
    return RedirectResponse(f"/admin/new-entry?log={key}", status_code=303)


@staff_pages.post("/ui/dismiss", response_class=RedirectResponse)
async def dismiss_ui(
    request: Request,
    auth: AuthDep,
    place: ListPlaceDep,
    staging: StagingDep,
    chatlog: ChatLogDep,
    ids: Annotated[str, Form(max_length=2_000_000)],
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[Literal["dismissed", "confirmed"], Form()] = "dismissed",
) -> RedirectResponse:
    """Take a group off the unanswered list (small talk, spam, a topic the FAQ will not cover), or an answer off
    the answers to check (``reason``: dismissed, 対応不要: the question is nothing for the FAQ; confirmed, 確認済み:
    the answer was right, which later publishes are then checked against).

    Then back to the same page of the list (a redirect: reloading it does not send the form again).
    """
    auth.check_csrf(request, csrf)
    if place.view != "answers":  # only an answer can be right; an unanswered question is 対応不要
        reason = "dismissed"
    marked = await in_background(chatlog.dismiss, ids.split(","), reason)
    # The ids this marked (not those a colleague dealt with before) are staged for an undo, with the reason (a
    # group may hold thousands: not in the address).
    key = await in_background(staging.put, f"{reason}:{','.join(marked)}".encode(), length=32, **_UNDO)
    return RedirectResponse(f"{place.address()}&{reason}={len(marked)}&undo={key}", status_code=303)


@staff_pages.post("/ui/undismiss", response_class=RedirectResponse)
async def undismiss_ui(
    request: Request,
    auth: AuthDep,
    place: ListPlaceDep,
    staging: StagingDep,
    chatlog: ChatLogDep,
    undo: Annotated[str, Form(max_length=64)],
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Undo the last 対応不要 (or 確認済み): the questions go back on their list."""
    auth.check_csrf(request, csrf)
    back = place.address()
    try:
        reason, _, ids = (await in_background(staging.get, undo, **_UNDO)).decode("utf-8").rpartition(":")
    except NotFoundError:
        return RedirectResponse(f"{back}&restored=0", status_code=303)
    reasons = tuple(r for r in UNDOABLE if r == reason) or UNDOABLE  # (an undo staged before reasons were: both)
    count = await in_background(chatlog.undismiss, ids.split(","), reasons)
    await in_background(staging.drop, undo, **_UNDO)
    return RedirectResponse(f"{back}&restored={count}", status_code=303)
