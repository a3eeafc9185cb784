"""Admin pages for long actions (builds, publishes, batch tests) that show their progress as it happens.

The page streams: first the layout and a progress line per step (a stage and a bar, from
the server), then the result. Only the last progress line is shown (CSS), and the whole
block disappears once the result has arrived, so the page is never frozen and needs no
script, no polling and no job store: the progress travels on the request's own
connection, whichever worker or replica serves it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from markupsafe import escape

from faq_bot.errors import DatabaseError
from faq_bot.progress import Progress, Step
from faq_bot.service.auth import AdminAuth
from faq_bot.service.handlers import DATABASE_DOWN, DISK_FULL, is_disk_full
from faq_bot.service.offload import in_background
from faq_bot.service.templating import page_context, templates

log = logging.getLogger("faq_bot.service")
_MARK = "<!--faq-bot:stream-->"
FAILED = "処理中にエラーが発生しました。公開中のFAQは変わっていません。"


@dataclass(frozen=True)
class View:
    """A page to show: a template (its ``content`` block) and what it needs."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


#: Seconds without a new step after which the last one is shown again with the time gone by: a long stage
#: (a big FAQ's vectors) never looks frozen.
HEARTBEAT = 2.0


def _step_html(step: Step, number: int = 0, elapsed: float = 0.0, *, again: bool = False) -> str:
    fraction = step.fraction
    bar = (f'<progress max="100" value="{round(fraction * 100)}"></progress> {round(fraction * 100)}%'
           f'<small>（{step.done:,} / {step.total:,}）</small>') if (
        fraction is not None) else '<progress max="100"></progress>'  # fmt: skip
    label = f"手順{number}: {step.stage}" if number else step.stage
    # A line shown again only for the time gone by is not read out again (the region is aria-live).
    hidden = ' aria-hidden="true"' if again else ""
    return f'<p class="step"{hidden}><span>{escape(label)}</span> {bar} <small>経過 {elapsed:.0f}秒</small></p>\n'


async def with_progress(
    request: Request, auth: AdminAuth, active: str, heading: str, work: Callable[[Progress], View]
) -> StreamingResponse:
    """Run ``work`` in a worker thread and stream its progress, then the page it returns."""
    base = page_context(request, auth, active)
    outline = templates().get_template("stream.html").render({**base, "request": request, "heading": heading})
    head, _, tail = outline.partition(_MARK)
    loop = asyncio.get_running_loop()
    steps: asyncio.Queue[Step] = asyncio.Queue()

    def report(step: Step) -> None:
        loop.call_soon_threadsafe(steps.put_nowait, step)

    task: asyncio.Future[View] = asyncio.ensure_future(in_background(work, report))

    async def body() -> AsyncIterator[str]:
        started = loop.time()
        yield head + f'<section class="progress" aria-live="polite" aria-label="{escape(heading)}">\n'
        yield _step_html(Step(heading))
        stages: list[str] = []  # numbered as they come: the editor sees the work move on from stage to stage
        last, shown = Step(heading), ""
        while not (task.done() and steps.empty()):
            waiting: asyncio.Future[Any] = asyncio.ensure_future(steps.get())
            pending: set[asyncio.Future[Any]] = {waiting, task}
            done, _ = await asyncio.wait(pending, timeout=HEARTBEAT, return_when=asyncio.FIRST_COMPLETED)
            again = waiting not in done
            if not again:
                last = waiting.result()
                if last.stage not in stages:
                    stages.append(last.stage)
            else:
                waiting.cancel()
                if done:  # the work is over: its last steps, if any, come on the next turns
                    continue
            number = stages.index(last.stage) + 1 if last.stage in stages else 0
            line = _step_html(last, number, loop.time() - started, again=again)
            if line != shown:
                shown = line
                yield line
        yield "</section>\n"
        yield _result(request, base, task)
        yield tail

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # nginx: pass each line on at once
    return StreamingResponse(body(), media_type="text/html; charset=utf-8", headers=headers)


def _result(request: Request, base: dict[str, Any], task: asyncio.Future[View]) -> str:
    try:
        view = task.result()
    except Exception as exc:  # the work's own errors become views; the storage's are said; anything else is a bug
        if is_disk_full(exc) or isinstance(exc, DatabaseError):
            log.error("admin action failed: %s", exc)
            said = DISK_FULL if is_disk_full(exc) else DATABASE_DOWN
        else:
            log.exception("admin action failed")
            said = FAILED
        return f'<div class="result"><p class="error" role="alert">{said}</p></div>'
    page = templates().get_template(view.template)
    context = page.new_context({**base, "request": request, **view.context})
    notice = view.context.get("message")
    kind, role = ("warn", "alert") if view.context.get("warn") else ("notice", "status")  # 公開しませんでした …
    # What the action did takes the focus, as on every page (``_layout.html``); a preview's heading takes it instead.
    focus = "" if view.context.get("preview") else ' tabindex="-1" autofocus'
    lead = f'<p class="{kind}" role="{role}"{focus}>{escape(notice)}</p>' if notice else ""
    return '<div class="result">' + lead + "".join(page.blocks["content"](context)) + "</div>"
