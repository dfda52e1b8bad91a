"""What the console's pages share: times in the hall's zone, the answer to an action, and a live stream.

An action (a button or a small form, sent by htmx) answers JSON: ``{"done": {...}}`` or the same
``{"error": {...}}`` a refusal by ``auth.refuse`` has; the page shows either in its ``#flash`` line, and the
change itself reaches the page over its live stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response

from hall_controller.live import LiveHub
from hall_controller.service import Answer
from hall_controller.web.auth import SESSION_COOKIE, context
from hall_controller.web.render import json_response
from hall_controller.web.texts import text
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import ErrorReply

_STATUS = {ErrorCode.FORBIDDEN: 403, ErrorCode.NOT_FOUND: 404, ErrorCode.MALFORMED: 400,
           ErrorCode.UNAVAILABLE: 503, ErrorCode.TIMEOUT: 504}


def local_time(ts: float, timezone: str, *, date: bool = False) -> str:
    """``ts`` on the hall's clock: ``HH:MM:SS``, or ``YYYY-MM-DD HH:MM:SS``."""
    if ts <= 0:
        return ""
    return datetime.fromtimestamp(ts, ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")


def done(key: str, **fields: str) -> Response:
    """An action went through: the sentence to show (``texts`` key), in both languages."""
    return json_response({"done": {"message": text(key, "en"), "message_zh": text(key, "zh"), **fields}})


def refused(code: ErrorCode, message: str, message_zh: str) -> Response:
    return json_response({"error": {"code": code.value, "message": message, "message_zh": message_zh or message}},
                         _STATUS.get(code, 409))


def answered(answer: Answer, key: str) -> Response:
    """The reply of ``ControllerService.submit``/``perform`` as an action's answer."""
    reply = answer.reply
    if isinstance(reply, ErrorReply):
        return refused(reply.code, reply.message, answer.message_zh)
    return done(key)


def live_stream(request: Request, hub: LiveHub, build: Callable[[], Awaitable[str]], *, event: str,
                refresh_s: float, min_gap_s: float = 0.0) -> EventSourceResponse:
    """A server-sent-event stream that sends ``build()`` each time ``hub`` moves past the version the page was
    rendered at (query ``v``), and every ``refresh_s`` anyway (ages and waits grow by themselves). It ends
    when the person logs out or the session idles out (watching is not using), or when the pages stop.
    ``min_gap_s`` bounds the rate for a hub that moves often (telemetry)."""
    seen = int(request.query_params["v"]) if request.query_params.get("v", "").isdigit() else hub.version
    token = request.cookies.get(SESSION_COOKIE, "")

    ctx = context(request)

    async def events() -> AsyncIterator[dict[str, str]]:
        nonlocal seen
        closing = asyncio.ensure_future(ctx.closing.wait())
        try:
            while True:
                changed = asyncio.ensure_future(hub.wait_past(seen, refresh_s))
                await asyncio.wait((changed, closing), return_when=asyncio.FIRST_COMPLETED)
                if closing.done():
                    changed.cancel()
                    return
                seen = changed.result()
                if await ctx.accounts.session(token, touch=False) is None:
                    return
                yield {"event": event, "data": await build()}
                if min_gap_s:
                    await asyncio.sleep(min_gap_s)
        finally:
            closing.cancel()

    return EventSourceResponse(events(), ping=15)
