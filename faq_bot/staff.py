"""Support staff's side: test console, batch coverage tests and the question log (API and pages)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from faq_bot import report as batch_report
from faq_bot import schemas
from faq_bot.admin import (
    ADMIN_ERRORS,
    STAGING,
    AuthDep,
    PublisherDep,
    _read_upload,
    format_error,
    publish_reply,
    require_token,
    templates,
)
from faq_bot.calibrate import propose
from faq_bot.chatlog import ChatLog
from faq_bot.errors import FaqBotError, FaqFormatError
from faq_bot.evaluate import Report, evaluate, read_queries, scored
from faq_bot.explain import Explanation, explain
from faq_bot.index import write_bytes_atomic
from faq_bot.insights import QuestionGroup, group_questions
from faq_bot.publish import Publisher
from faq_bot.retrieve import UnknownCategoryError

MAX_BATCH = 5000


def _chatlog(request: Request) -> ChatLog:
    chatlog: ChatLog = request.app.state.chatlog
    return chatlog


ChatLogDep = Annotated[ChatLog, Depends(_chatlog)]
api = APIRouter(prefix="/admin", tags=["staff"], dependencies=[Depends(require_token)], responses=ADMIN_ERRORS)


def _explain(publisher: Publisher, q: str, categories: list[str] | None) -> Explanation:
    if not q.strip():
        raise HTTPException(422, "質問を入力してください。")
    if len(q) > publisher.settings.max_message_chars:
        raise HTTPException(422, f"質問は{publisher.settings.max_message_chars}文字以内にしてください。")
    try:
        return explain(publisher.engine.current, q, categories or None)
    except UnknownCategoryError as exc:
        raise HTTPException(422, f"不明な分類です: {'、'.join(exc.unknown)}") from exc


def explain_reply(e: Explanation) -> schemas.ExplainReply:
    """The API's view of an explanation."""
    data = asdict(e)
    data.pop("reply")
    return schemas.ExplainReply(**data)


@api.get("/explain", summary="テストコンソール: 判定の根拠", response_model=schemas.ExplainReply)
async def explain_api(
    publisher: PublisherDep,
    q: Annotated[str, Query(max_length=2000, description="質問")],
    category: Annotated[list[str] | None, Query(description="分類で絞る（複数可）")] = None,
) -> Any:
    """Decision, top 5 with dense / lexical / combined scores, thresholds, normalised query and tokens."""
    return explain_reply(await run_in_threadpool(_explain, publisher, q, category))


async def _batch(publisher: Publisher, file: UploadFile) -> tuple[Report, Any]:
    raw = await _read_upload(file, publisher.settings)
    tmp = publisher.settings.index_dir / STAGING / f"batch-{hashlib.sha256(raw).hexdigest()[:16]}.tsv"
    await run_in_threadpool(write_bytes_atomic, tmp, raw)
    try:
        queries = read_queries(tmp)
    finally:
        tmp.unlink(missing_ok=True)
    if not queries:
        raise FaqFormatError(file.filename or "batch.tsv", [])
    if len(queries) > MAX_BATCH:
        raise HTTPException(422, f"一度に{MAX_BATCH}問までです（{len(queries)}問あります）。")

    def run() -> tuple[Report, Any]:
        report = evaluate(publisher.engine, queries)
        return report, propose(scored(report.outcomes), 0.02)

    return await run_in_threadpool(run)


@api.post("/batch", summary="一括テスト", response_model=schemas.BatchReply)
async def batch_api(
    publisher: PublisherDep,
    file: Annotated[UploadFile, File(description="query と gold の列を持つTSV（gold が空 = 担当者へ案内が正解）")],
    format: Annotated[str, Query(pattern="^(json|html|csv)$")] = "json",
) -> Any:
    """Run a question set: metrics, per-category table, confused pairs, rows; ``format=html`` or ``csv`` too."""
    try:
        report, proposal = await _batch(publisher, file)
    except FaqFormatError as exc:
        return JSONResponse(format_error(exc), status_code=422)
    if format == "html":
        html = await run_in_threadpool(
            batch_report.render_html, report, publisher.settings, file.filename or "batch.tsv", proposal
        )
        # The standalone report carries its own <style> (it is also written to files); no scripts.
        return HTMLResponse(
            html, headers={"Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'"}
        )
    if format == "csv":
        return _csv(batch_report.to_csv(batch_report.rows(report)), "batch-result.csv")
    return schemas.BatchReply(
        metrics=report.metrics,
        categories=report.categories,
        confused=batch_report.confused_pairs(report.outcomes),
        rows=[schemas.BatchRow(**asdict(r)) for r in batch_report.rows(report)],
        proposal=schemas.ThresholdProposal(**asdict(proposal)),
    )


def _csv(text: str, name: str) -> Response:
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _groups(publisher: Publisher, chatlog: ChatLog, days: int) -> list[QuestionGroup]:
    since = time.time() - days * 86400 if days > 0 else 0.0
    return group_questions(chatlog.unanswered(since), publisher.engine.embedder)


@api.get(
    "/log/unanswered", summary="答えられなかった質問（似た質問ごと）", response_model=list[schemas.QuestionGroupOut]
)
async def unanswered_api(
    publisher: PublisherDep, chatlog: ChatLogDep, days: Annotated[int, Query(ge=0, le=3650)] = 30
) -> Any:
    """Escalated questions and suggestions nobody opened, grouped by meaning, biggest group first."""
    groups = await run_in_threadpool(_groups, publisher, chatlog, days)
    return [schemas.QuestionGroupOut(**asdict(g)) for g in groups]


def _entry_table(publisher: Publisher, chatlog: ChatLog) -> list[schemas.EntryStatsOut]:
    stats = chatlog.entry_stats()
    rows = []
    for e in publisher.engine.current.index.entries:
        s = stats.get(e.id)
        rows.append(
            schemas.EntryStatsOut(
                id=e.id,
                question=e.question,
                answered=s.answered if s else 0,
                clicked=s.clicked if s else 0,
                up=s.up if s else 0,
                down=s.down if s else 0,
                comments=list(s.comments) if s else [],
            )
        )
    return rows


@api.get("/log/entries", summary="FAQごとの利用回数と評価", response_model=list[schemas.EntryStatsOut])
async def entries_api(publisher: PublisherDep, chatlog: ChatLogDep) -> Any:
    """Every entry of the live FAQ with answer counts, suggestion clicks and 👍/👎 (0 = never hit)."""
    return await run_in_threadpool(_entry_table, publisher, chatlog)


@api.get("/log.csv", summary="質問ログをCSVで書き出す", response_class=StreamingResponse)
async def log_csv(chatlog: ChatLogDep) -> StreamingResponse:
    """Every logged question with its feedback."""
    rows = await run_in_threadpool(lambda: list(chatlog.export_csv()))
    return StreamingResponse(
        iter(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="questions.csv"'},
    )


@api.post("/log/alternate", summary="質問を言い換えとしてFAQに追加", response_model=schemas.PublishReply)
async def alternate_api(body: schemas.AlternateRequest, publisher: PublisherDep) -> Any:
    """Publish the live FAQ with the visitor's wording as one more alternate of an entry (validated reload path)."""
    try:
        outcome = await run_in_threadpool(
            lambda: publisher.add_alternate(body.entry_id, body.text, dry_run=body.dry_run)
        )
    except FaqFormatError as exc:
        return JSONResponse(format_error(exc), status_code=422)
    except FaqBotError as exc:
        raise HTTPException(404, str(exc)) from exc
    return publish_reply(outcome, body.dry_run)


# ---------------------------------------------------------------- pages

pages = APIRouter(prefix="/admin", include_in_schema=False)


def _render(request: Request, auth: Any, name: str, active: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"csrf": auth.csrf_token(request), "active": active, **context})


@pages.get("/console", response_class=HTMLResponse)
async def console_page(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    q: Annotated[str, Query(max_length=2000)] = "",
    category: Annotated[list[str] | None, Query()] = None,
) -> HTMLResponse:
    """Type a question, see the decision and why."""
    auth.check_page(request)
    result = error = None
    if q.strip():
        try:
            result = await run_in_threadpool(_explain, publisher, q, category)
        except HTTPException as exc:
            error = exc.detail
    return _render(
        request, auth, "console.html", "console", q=q, chosen=category or [],
        categories=publisher.engine.current.index.categories, result=result, error=error,
    )  # fmt: skip


@pages.get("/batch", response_class=HTMLResponse)
async def batch_page(request: Request, auth: AuthDep) -> HTMLResponse:
    """Upload a question set."""
    auth.check_page(request)
    return _render(request, auth, "batch.html", "batch")


@pages.post("/ui/batch", response_class=HTMLResponse)
async def batch_ui(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Run an uploaded question set and show the report (with a CSV download)."""
    auth.check_csrf(request, csrf)
    try:
        report, proposal = await _batch(publisher, file)
    except FaqFormatError as exc:
        return _render(request, auth, "batch.html", "batch", error=str(exc).splitlines()[0] or "読み込めません。")
    except HTTPException as exc:
        return _render(request, auth, "batch.html", "batch", error=exc.detail)
    csv_text = batch_report.to_csv(batch_report.rows(report))
    key = hashlib.sha256(csv_text.encode()).hexdigest()[:32]
    await run_in_threadpool(
        write_bytes_atomic, publisher.settings.index_dir / STAGING / f"result-{key}.csv", csv_text.encode("utf-8")
    )
    ctx = await run_in_threadpool(
        batch_report.context, report, publisher.settings, file.filename or "batch.tsv", proposal
    )
    return _render(request, auth, "batch.html", "batch", csv_key=key, **ctx)


@pages.get("/batch/{key}.csv", response_model=None)
async def batch_csv(request: Request, auth: AuthDep, publisher: PublisherDep, key: str) -> Response:
    """The result table of a batch run on the page."""
    auth.check_page(request)
    if not key.isalnum() or len(key) != 32:
        raise HTTPException(404, "見つかりません。")
    path = publisher.settings.index_dir / STAGING / f"result-{key}.csv"
    if not path.is_file():
        raise HTTPException(404, "結果の有効期限が切れました。もう一度実行してください。")
    return _csv(path.read_text(encoding="utf-8"), "batch-result.csv")


@pages.get("/log", response_class=HTMLResponse)
async def log_page(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    chatlog: ChatLogDep,
    days: Annotated[int, Query(ge=0, le=3650)] = 30,
    message: str | None = None,
) -> HTMLResponse:
    """Unanswered questions grouped by meaning, per-entry use and ratings."""
    auth.check_page(request)
    await run_in_threadpool(chatlog.purge)
    groups = await run_in_threadpool(_groups, publisher, chatlog, days)
    entries = await run_in_threadpool(_entry_table, publisher, chatlog)
    return _render(
        request, auth, "log.html", "log", groups=groups, entries=entries, days=days, message=message,
        all_entries=publisher.engine.current.index.entries, total=chatlog.count(),
    )  # fmt: skip


@pages.post("/ui/alternate", response_class=HTMLResponse)
async def alternate_ui(
    request: Request,
    auth: AuthDep,
    publisher: PublisherDep,
    chatlog: ChatLogDep,
    entry_id: Annotated[str, Form(max_length=64)],
    text: Annotated[str, Form(max_length=500)],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Add a grouped question as an alternate of an entry, through the validated publish path."""
    auth.check_csrf(request, csrf)
    try:
        await run_in_threadpool(lambda: publisher.add_alternate(entry_id, text))
        message = f"「{text}」を FAQ {entry_id} の言い換えとして公開しました。"
    except FaqFormatError as exc:
        message = "追加できませんでした: " + "; ".join(p.message for p in exc.problems)
    except FaqBotError as exc:
        message = f"追加できませんでした: {exc}"
    return await log_page(request, auth, publisher, chatlog, 30, message)


def add_staff(app: FastAPI) -> None:
    """Mount the staff API and pages (after ``add_admin``, which sets up authentication)."""
    app.include_router(api)
    app.include_router(pages)
