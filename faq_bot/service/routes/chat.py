"""The visitor API: ask a question, open an entry, list categories, rate a reply."""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from faq_bot.errors import EntryNotFoundError, LogUnavailableError, NotFoundError
from faq_bot.retrieval.contact import contact_link, refers_to_contact
from faq_bot.service import schemas
from faq_bot.service.deps import EngineDep, LogWriterDep, RateLimited, SettingsDep, charge
from faq_bot.service.offload import reply_to
from faq_bot.service.questions import checked_question
from faq_bot.service.ratelimit import extra_cost
from faq_bot.storage.chatlog import UNSETTLED, ChatRecord, pack_vector

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ErrorReply, "description": "JSONとして読めない"},
    404: {"model": schemas.ErrorReply, "description": "指定されたFAQや返答がない"},
    429: {"model": schemas.ErrorReply, "description": "短時間のリクエストが多すぎる（Retry-After 秒後に再試行）"},
    413: {"model": schemas.ErrorReply, "description": "リクエストが大きすぎる"},
    422: {"model": schemas.ErrorReply, "description": "入力が正しくない（空・長すぎる・不明な分類など）"},
    503: {"model": schemas.ErrorReply, "description": "起動中"},
}

visitor_api = APIRouter(prefix="/api", responses=ERRORS)


@visitor_api.post("/chat", summary="質問に答える", response_model=schemas.ChatReply)
async def chat(
    request: Request,
    body: schemas.ChatRequest,
    engine: EngineDep,
    log_writer: LogWriterDep,
    settings: SettingsDep,
    _limited: RateLimited,
) -> Any:
    """The best FAQ answer, "もしかして" candidates, or the escalation answer."""
    message = checked_question(body.message, settings.max_message_chars)
    await charge(request, extra_cost(len(message)))  # a long question costs the shared encoder more
    categories = body.categories or None
    loaded = engine.current  # one FAQ version for the whole request
    request_id = uuid.uuid4().hex
    reply = await reply_to(loaded, message, categories)
    # An unsettled question keeps its embedding: the staff pages group them without encoding again.
    vector = reply.search.vector if reply.decision.value in UNSETTLED else None
    record = ChatRecord(
        request_id,
        message,
        reply.decision.value,
        reply.search.hits[0].entry.id if reply.search.hits else None,  # top entry, whatever the decision
        reply.confidence,
        loaded.faq_version,
        loaded.retriever.within(categories or ()),  # in the FAQ's order: clicked either way round, the same question
        body.session_id,
        vector=pack_vector(vector) if vector is not None else None,
        model=loaded.retriever.embedder.model_id,
    )
    log_writer.record_chat(record)  # queued: written off the request path, a failing log never fails a reply
    answer = schemas.ChatReply.of(reply, request_id, loaded.faq_version, message, engine.params.decision)
    # Built and validated once: returned as JSON as it is, not validated again as the response model.
    return Response(answer.model_dump_json(), media_type="application/json")


@visitor_api.get("/faqs/{entry_id}", summary="FAQを1件返す", response_model=schemas.FaqAnswer)
async def faq_entry(
    entry_id: str,
    engine: EngineDep,
    log_writer: LogWriterDep,
    _limited: RateLimited,
    request_id: Annotated[str | None, Query(max_length=64, description="候補をクリックした返答のID")] = None,
) -> Any:
    """One entry with its answer; with ``request_id`` the click is logged as a resolved question."""
    loaded = engine.current
    entry = loaded.entry(entry_id)
    if entry is None:
        raise EntryNotFoundError(entry_id)
    asked = ""
    if request_id:
        log_writer.record_click(request_id, entry.id)
        # The question as logged (personal data masked) for the contact link; a log that cannot be
        # read costs only the prefill.
        with contextlib.suppress(LogUnavailableError):
            logged: str | None = await run_in_threadpool(log_writer.message_of, request_id)
            asked = logged or ""
    decision = engine.params.decision
    return schemas.FaqAnswer(
        id=entry.id, category=entry.category, question=entry.question, answer=entry.answer,
        faq_version=loaded.faq_version, contact_url=contact_link(decision.contact_url, asked, request_id or ""),
        refers_to_contact=refers_to_contact(entry.answer, decision.escalation_text),
    )  # fmt: skip


@visitor_api.get("/categories", summary="分類の一覧", response_model=schemas.Categories)
async def categories(engine: EngineDep) -> Any:
    """Categories of the published FAQ, in FAQ order."""
    loaded = engine.current
    return schemas.Categories(categories=loaded.index.categories, faq_version=loaded.faq_version)


@visitor_api.post("/feedback", summary="返答への👍/👎", response_model=schemas.FeedbackReply)
async def feedback(body: schemas.FeedbackRequest, log_writer: LogWriterDep, _limited: RateLimited) -> Any:
    """Record a rating of one reply (one per reply: sending again replaces it)."""
    if not await run_in_threadpool(log_writer.record_feedback, body.request_id, body.rating, body.comment):
        raise NotFoundError("評価する返答が見つかりません。")
    return schemas.FeedbackReply()
