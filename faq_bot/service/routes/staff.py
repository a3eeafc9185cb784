"""The support staff's API (bearer token): test console, batch coverage tests, the question log."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from faq_bot.errors import LogUnavailableError
from faq_bot.publishing.publisher import Publisher
from faq_bot.quality import report as batch_report
from faq_bot.quality.batch import BatchResult, batch_queries, run_batch
from faq_bot.quality.calibrate import why_no_proposal
from faq_bot.quality.doubtful import REVIEW_BELOW, review
from faq_bot.quality.evaluate import scored
from faq_bot.quality.explain import Explanation, explain
from faq_bot.quality.insights import entry_usage
from faq_bot.quality.unanswered import FIND_CHARS, Settled, settle_answered
from faq_bot.service import schemas
from faq_bot.service.auth import AdminApiRoute
from faq_bot.service.deps import ChatLogDep, PublisherDep, SettingsDep, UnansweredDep
from faq_bot.service.offload import in_background
from faq_bot.service.questions import checked_question
from faq_bot.service.routes.publishing import ADMIN_ERRORS
from faq_bot.service.uploads import read_upload
from faq_bot.storage.chatlog import ChatLog

log = logging.getLogger("faq_bot.service")
staff_api = APIRouter(prefix="/admin", tags=["staff"], responses=ADMIN_ERRORS, route_class=AdminApiRoute)


def explain_question(publisher: Publisher, q: str, categories: list[str] | None, max_chars: int) -> Explanation:
    """The test console's view of one question (validated like a visitor's)."""
    return explain(publisher.engine.current, checked_question(q, max_chars), categories or None)


@staff_api.get("/explain", summary="テストコンソール: 判定の根拠", response_model=schemas.ExplainReply)
async def explain_api(
    publisher: PublisherDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=2000, description="質問")],
    category: Annotated[list[str] | None, Query(description="分類で絞る（複数可）")] = None,
) -> Any:
    """Decision, top 5 with dense / lexical / combined scores, thresholds, normalised query and tokens."""
    explanation = await in_background(explain_question, publisher, q, category, settings.max_message_chars)
    return schemas.ExplainReply.of(explanation)


async def batch_run(publisher: Publisher, file: UploadFile) -> BatchResult:
    """Read an uploaded question set and run it against the live FAQ."""
    raw = await read_upload(file, publisher.paths.max_faq_bytes)
    # Read on a staff thread too: a large workbook takes a while, and the event loop serves visitors.
    live = publisher.engine.current
    queries = await in_background(
        batch_queries, raw, file.filename or "batch.tsv", live.entry_ids, live.index.categories
    )
    return await in_background(run_batch, publisher.engine, queries)


@staff_api.post("/batch", summary="一括テスト", response_model=schemas.BatchReply)
async def batch_api(
    publisher: PublisherDep,
    settings: SettingsDep,
    file: Annotated[
        UploadFile, File(description="query と gold の列を持つTSV・CSV・.xlsx（gold が空か「なし」 = 案内が正解）")
    ],
    format: Annotated[str, Query(pattern="^(json|html|csv)$")] = "json",
) -> Any:
    """Run a question set: metrics, per-category table, confused pairs, rows; ``format=html`` or ``csv`` too."""
    result = await batch_run(publisher, file)
    report = result.report
    decision = publisher.engine.params.decision
    if format == "html":
        name = file.filename or "batch.tsv"
        html = await in_background(
            lambda: batch_report.render_html(report, decision, name, result.proposal, timezone=settings.timezone)
        )
        # The standalone report carries its own <style> (it is also written to files); no scripts.
        return HTMLResponse(
            html, headers={"Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'"}
        )
    if format == "csv":
        return csv_download(batch_report.to_csv(batch_report.rows(report, decision)), "batch-result.csv")
    return schemas.BatchReply(
        metrics=report.metrics,
        styles=report.styles,
        categories=report.categories,
        confused=batch_report.confused_pairs(report.outcomes),
        rows=[schemas.BatchRow(**asdict(r)) for r in batch_report.rows(report, decision)],
        proposal=schemas.ThresholdProposal(**asdict(result.proposal)) if result.proposal else None,
        no_proposal=why_no_proposal(scored(report.outcomes)) if result.proposal is None else None,
    )


def csv_download(text: str, name: str) -> Response:
    """A CSV file download."""
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@staff_api.get(
    "/log/unanswered", summary="答えられなかった質問（似た質問ごと）", response_model=list[schemas.QuestionGroupOut]
)
async def unanswered_api(
    response: Response,
    unanswered: UnansweredDep,
    _chatlog: ChatLogDep,  # the rows queued so far written first
    days: Annotated[int, Query(ge=0, le=3650, description="直近の日数（0: 全期間）")] = 30,
    page: Annotated[int, Query(ge=1, description="ページ（1から）")] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000, description="1ページのグループ数")] = 100,
    q: Annotated[
        str,
        Query(
            max_length=FIND_CHARS,
            description="この語（空白で区切って複数）をすべて含む質問だけ（全角・半角、大文字・小文字は区別しない）",
        ),
    ] = "",
    got: Annotated[
        Literal["", "suggest", "escalate"], Query(description="返答がもしかして・担当者へ案内の質問だけ")
    ] = "",
) -> Any:
    """Escalated questions and suggestions nobody opened, grouped by meaning, biggest group first; narrowed to the
    questions with some words, or to those that got もしかして (suggest) or were sent to a person (escalate).

    Headers: ``X-Total-Count`` (groups in all pages), ``X-Waiting-Count`` (questions not grouped yet).
    """
    shown = await in_background(unanswered.page, days, page, per_page, q, got)
    response.headers["X-Total-Count"] = str(shown.total_groups)
    response.headers["X-Waiting-Count"] = str(shown.waiting)
    return [schemas.QuestionGroupOut(**asdict(g)) for g in shown.groups]


@staff_api.get(
    "/log/answers", summary="確認したい回答（確率の低い回答・👎）", response_model=list[schemas.DoubtfulAnswerOut]
)
async def doubtful_api(
    response: Response,
    chatlog: ChatLogDep,
    days: Annotated[int, Query(ge=0, le=3650, description="直近の日数（0: 全期間）")] = 30,
    below: Annotated[float, Query(gt=0, le=1, description="この確率未満の回答")] = REVIEW_BELOW,
    page: Annotated[int, Query(ge=1, description="ページ（1から）")] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000, description="1ページの件数")] = 100,
) -> Any:
    """Answered questions with a probability under ``below`` or a 👎, not yet confirmed or added as an alternate:
    those with a 👎 first, then the least probable (``faq_bot.quality.doubtful``).

    Header: ``X-Total-Count`` (rows in all pages).
    """
    shown = await in_background(review, chatlog, days, below, page, per_page)
    response.headers["X-Total-Count"] = str(shown.total_rows)
    return [schemas.DoubtfulAnswerOut(**asdict(r)) for r in shown.rows]


@staff_api.get("/log/entries", summary="FAQごとの利用回数と評価", response_model=list[schemas.EntryStatsOut])
async def entries_api(publisher: PublisherDep, chatlog: ChatLogDep) -> Any:
    """Every entry of the live FAQ with answer counts, suggestion clicks and 👍/👎 (0 = never hit)."""
    stats = await in_background(chatlog.entry_stats)
    return [
        schemas.EntryStatsOut(**{
            **asdict(u), "comments": [schemas.EntryCommentOut(question=q, comment=c) for q, c in u.comments]
        })
        for u in entry_usage(publisher.engine.current.index.entries, stats)
    ]  # fmt: skip


@staff_api.get("/log.csv", summary="質問ログをCSVで書き出す", response_class=StreamingResponse)
async def log_csv(chatlog: ChatLogDep, settings: SettingsDep) -> StreamingResponse:
    """Every logged question with its feedback (times in ``FAQ_BOT_TIMEZONE``)."""
    rows = await in_background(lambda: list(chatlog.export_csv(settings.timezone)))
    return StreamingResponse(
        iter(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="questions.csv"'},
    )


@staff_api.post("/log/alternate", summary="質問を言い換えとしてFAQに追加", response_model=schemas.PublishReply)
async def alternate_api(body: schemas.AlternateRequest, publisher: PublisherDep, chatlog: ChatLogDep) -> Any:
    """Publish the live FAQ with the visitor's wording as one more alternate of an entry (validated reload path)."""
    result = await in_background(lambda: publisher.add_alternate(body.entry_id, body.text, dry_run=body.dry_run))
    reply = schemas.PublishReply.of(result, body.dry_run)
    if result.published and body.request_ids:  # those the FAQ answers now leave the unanswered list
        settled = await in_background(settle_after_publish, publisher, chatlog, body.request_ids, body.entry_id)
        if settled is None:
            reply.log_note = LOG_NOT_SETTLED
        else:
            reply.settled, reply.still_open = list(settled.answered), list(settled.still_open)
    return reply


#: Said when an alternate was published but the question log could not be read or written just then.
LOG_NOT_SETTLED = (
    "公開しました。ただし質問ログを更新できなかったため、答えられるようになった質問も質問ログの一覧に残っています"
    "（あとで一覧から外せます）。"
)


def settle_after_publish(
    publisher: Publisher, chatlog: ChatLog, request_ids: Sequence[str], entry_id: str | None = None
) -> Settled | None:
    """``settle_answered`` after an alternate went live, or None when the log is unavailable (a locked or full
    database) or asking again fails (the encoder): the publish stands whatever the log does."""
    try:
        return settle_answered(publisher.engine, chatlog, request_ids, entry_id)
    except LogUnavailableError as exc:
        log.warning("published, but the question log could not be settled: %s", exc)
    except Exception:  # the encoder or a search failing: what went live stays live, and the page says so
        log.exception("published, but the question log could not be settled")
    return None


@staff_api.post("/log/dismiss", summary="質問を一覧から外す（対応不要・確認済み）", response_model=schemas.DismissReply)
async def dismiss_api(body: schemas.DismissRequest, chatlog: ChatLogDep) -> Any:
    """Mark logged questions as dealt with: not for the FAQ (``dismissed``), or answered right (``confirmed``); they
    leave their list. ``dismissed`` in the reply: how many this marked (not those dealt with before)."""
    marked = await in_background(chatlog.dismiss, body.request_ids, body.reason)
    return schemas.DismissReply(dismissed=len(marked))
