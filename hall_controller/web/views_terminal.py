"""The window terminal (窗口叫号): staff choose their window, then call, serve, transfer, park and pause there.

Every operation is a ``WindowCommand`` submitted through ``ControllerService.submit``: the same trust checks
(``trust.py``: a staff member acts only at the window of their session, as themselves), the same commit and
the same audit line as a caller keypad's. The page is live: a server-sent-event stream re-renders the
window's panel whenever the hall changes (a call elsewhere, a transfer in, a ticket issued).

Forms carry a ``nonce`` that is new with every render: the request id of an operation is made from it, so a
double press of the same button (or a re-sent form) is answered once by the controller's idempotency.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor
from hall_controller.engine.state import EngineState
from hall_controller.permissions import TERMINAL
from hall_controller.service import Answer
from hall_controller.web.auth import SESSION_COOKIE, context, origin_of, requires
from hall_controller.web.render import json_response, lang_of, page, render, wants_json
from hall_controller.web.terminal_model import PickData, TerminalData, pick_data, terminal_data
from hall_controller.web.texts import text
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import ErrorReply, WindowCommand, WindowOp, WindowReply

log = logging.getLogger(__name__)

STREAM_IDLE_S = 20.0  # a stream re-checks its session at least this often
PAUSE_REASONS = ("back_office", "break", "meeting", "other")  # texts: terminal.pause.<reason>
PARK_REASONS = ("fetching", "checking", "other")  # texts: terminal.park.<reason>
PAGE_OPS = frozenset({
    WindowOp.CALL_NEXT, WindowOp.RECALL, WindowOp.START, WindowOp.FINISH, WindowOp.NO_SHOW, WindowOp.TRANSFER,
    WindowOp.PARK, WindowOp.UNPARK, WindowOp.PAUSE, WindowOp.RESUME, WindowOp.OPEN,
})
_STATUS = {ErrorCode.FORBIDDEN: 403, ErrorCode.MALFORMED: 422, ErrorCode.UNAVAILABLE: 503,
           ErrorCode.TIMEOUT: 503, ErrorCode.NOT_FOUND: 409}


@dataclasses.dataclass(frozen=True)
class Refusal:
    status: int
    message_zh: str
    message_en: str

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


def _token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def _actor(request: Request) -> Actor:
    actor: Actor = request.state.actor
    return actor


def _data(request: Request, window_id: str) -> TerminalData:
    ctx = context(request)
    return terminal_data(ctx.service.core.state, window_id, ctx.clock(), lang_of(request))


def _extras(notice: str = "", error: str = "") -> dict[str, Any]:
    """What the terminal's templates need beside the data: a fresh nonce for this render's forms, the notice
    after an operation, a refusal, and the reason codes the dialogs offer."""
    return {"nonce": secrets.token_hex(8), "notice": notice, "error": error, "pause_reasons": PAUSE_REASONS,
            "park_reasons": PARK_REASONS}


def _panel_html(request: Request, data: TerminalData, notice: str = "") -> str:
    return bytes(render(request, "terminal_panel.html", data=data, **_extras(notice)).body).decode()


def _refusal(reply: ErrorReply, message_zh: str) -> Refusal:
    """What staff read: the engine's own sentence when it refused, else one per error code (Chinese); the
    error's own message in English."""
    if not message_zh:
        key = {ErrorCode.FORBIDDEN: "terminal.refused.forbidden", ErrorCode.MALFORMED: "terminal.refused.malformed",
               ErrorCode.UNAVAILABLE: "terminal.refused.busy", ErrorCode.TIMEOUT: "terminal.refused.busy",
               }.get(reply.code, "terminal.refused.other")
        message_zh = text(key, "zh")
    return Refusal(_STATUS.get(reply.code, 409), message_zh, reply.message)


async def _pick(request: Request) -> PickData:
    ctx = context(request)
    names = {a.username: a.display_name for a in await ctx.accounts.list()}
    return pick_data(ctx.service.core.state, _actor(request).id, lang_of(request), names)


async def _refused(request: Request, refusal: Refusal) -> Response:
    """An htmx or JSON caller gets the error as JSON (``app.js`` shows it); a plain form gets the page again
    with the sentence at the top."""
    if wants_json(request) or request.headers.get("HX-Request"):
        code = "forbidden" if refusal.status == 403 else "refused"
        return json_response({"error": {"code": code, "message": refusal.message_en,
                                        "message_zh": refusal.message_zh}}, refusal.status)
    session = request.state.session
    if session.window is None:
        data = await _pick(request)
        return render(request, "terminal_pick.html", refusal.status, data=data, error=refusal.message(lang_of(request)))
    return render(request, "terminal.html", refusal.status, data=_data(request, session.window),
                  **_extras(error=refusal.message(lang_of(request))))


async def _submit(request: Request, actor: Actor, command: WindowCommand) -> WindowReply | Refusal:
    try:
        answer: Answer = await context(request).service.submit(actor, command, origin=origin_of(request))
    except TimeoutError:
        return Refusal(503, text("terminal.refused.busy", "zh"), text("terminal.refused.busy", "en"))
    if isinstance(answer.reply, ErrorReply):
        log.info("window %s %s by %s refused: %s", command.window_id, command.op.value, actor.label,
                 answer.reply.message)
        return _refusal(answer.reply, answer.message_zh)
    assert isinstance(answer.reply, WindowReply)
    return answer.reply


def _command(window_id: str, op: WindowOp, nonce: str, fields: dict[str, Any]) -> WindowCommand:
    """The command, with every field checked against the wire contract (lengths, patterns)."""
    ticket = fields.get("ticket_id") or ""
    raw = {"request_id": f"web-{nonce[:16]}-{op.value}-{ticket}".rstrip("-"), "window_id": window_id,
           "op": op.value, "type": "window.command", **{k: v for k, v in fields.items() if v not in ("", None, [])}}
    return msgspec.convert(raw, WindowCommand)


# -- pages ---------------------------------------------------------------------------------------


def _holds(actor: Actor, state: EngineState, window: str | None) -> bool:
    """Whether ``actor`` still works at ``window``: logged in there (a manager steps in at any window)."""
    rt = state.windows.get(window) if window is not None else None
    return rt is not None and (rt.staff_id == actor.id or actor.role is PersonRole.MANAGER)


@requires(TERMINAL)
async def terminal(request: Request) -> Response:
    """The window's panel, or the list of windows when none is chosen yet (or the window was left: logged
    out by a manager, or the hall's configuration changed)."""
    session, actor, ctx = request.state.session, _actor(request), context(request)
    state = ctx.service.core.state
    if not _holds(actor, state, session.window):
        if session.window is not None:
            await ctx.accounts.set_window(_token(request), None)
        return page(request, "terminal_pick.html", await _pick(request), error="")
    return page(request, "terminal.html", _data(request, session.window), **_extras())


@requires(TERMINAL)
async def choose_window(request: Request) -> Response:
    """Log in at a window (and open it): the session remembers it, the engine records who is there."""
    ctx, actor = context(request), _actor(request)
    form = await request.form()
    window_id = str(form.get("window_id", ""))
    state = ctx.service.core.state
    rt = state.windows.get(window_id)
    if rt is None:
        return await _refused(request, Refusal(404, text("terminal.refused.unknown_window", "zh"),
                                         text("terminal.refused.unknown_window", "en")))
    here = dataclasses.replace(actor, window=window_id)
    nonce = secrets.token_hex(8)
    steps: list[WindowOp] = []
    if rt.staff_id is None or (rt.staff_id != actor.id and actor.role is not PersonRole.MANAGER):
        steps.append(WindowOp.LOGIN)  # someone else's window: the controller refuses it, and says why
    if not rt.open:
        steps.append(WindowOp.OPEN)
    for op in steps:
        outcome = await _submit(request, here, _command(window_id, op, nonce, {}))
        if isinstance(outcome, Refusal):
            return await _refused(request, outcome)
    await ctx.accounts.set_window(_token(request), window_id)
    return _redirect(request, "/terminal")


@requires(TERMINAL)
async def operate(request: Request) -> Response:
    """One operation on the window of this session."""
    session, actor = request.state.session, _actor(request)
    name = request.path_params["op"]
    if name == WindowOp.LOGOUT:
        return await _logout(request)
    if session.window is None:
        return _redirect(request, "/terminal")
    if name not in PAGE_OPS:
        return await _refused(request, Refusal(404, text("terminal.refused.malformed", "zh"), f"no operation {name!r}"))
    op = WindowOp(name)
    form = await request.form()
    fields: dict[str, Any] = {
        "ticket_id": str(form.get("ticket_id", "")),
        "target_service": str(form.get("target_service", "")),
        "target_window": str(form.get("target_window", "")),
        "reason": str(form.get("reason", "")).strip(),
        "services_done": [str(v) for v in form.getlist("services_done")],
    }
    try:
        command = _command(session.window, op, str(form.get("nonce", "")) or secrets.token_hex(8), fields)
    except msgspec.ValidationError as err:
        return await _refused(request, Refusal(422, text("terminal.refused.malformed", "zh"), str(err)))
    outcome = await _submit(request, actor, command)
    if isinstance(outcome, Refusal):
        return await _refused(request, outcome)
    if not request.headers.get("HX-Request"):
        return _redirect(request, "/terminal")
    lang = lang_of(request)
    number = outcome.ticket.number if outcome.ticket is not None else ""
    notice = text(f"terminal.done.{op.value}", lang).format(number=number)
    return Response(_panel_html(request, _data(request, session.window), notice), media_type="text/html")


async def _logout(request: Request) -> Response:
    """Leave the window (the engine records it) and end the session."""
    ctx, session, actor = context(request), request.state.session, _actor(request)
    window = session.window
    if window is not None:
        rt = ctx.service.core.state.windows.get(window)
        if rt is not None and rt.staff_id == actor.id:
            outcome = await _submit(request, actor, _command(window, WindowOp.LOGOUT, secrets.token_hex(8), {}))
            if isinstance(outcome, Refusal):
                return await _refused(request, outcome)
    await ctx.accounts.logout(_token(request))
    response = _redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _redirect(request: Request, to: str) -> Response:
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": to})
    return RedirectResponse(to, status_code=303)


class _LiveStream(EventSourceResponse):
    """An event stream that ends its response properly when the server shuts down: sse-starlette stops
    sending then without the last (empty) body message, and uvicorn logs that as an error."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await super().__call__(scope, receive, send)
        with contextlib.suppress(Exception):  # already complete (or the client is gone): nothing to end
            await send({"type": "http.response.body", "body": b"", "more_body": False})


@requires(TERMINAL)
async def stream(request: Request) -> Response:
    """The window's panel again whenever the hall changes (server-sent events, event name ``panel``)."""
    ctx, token, actor = context(request), _token(request), _actor(request)
    window = request.state.session.window

    async def panels() -> AsyncIterator[dict[str, str]]:
        seen = -1
        while True:
            version = await ctx.service.hub.wait_past(seen, STREAM_IDLE_S)
            session = await ctx.accounts.session(token)
            if session is None or session.window != window or not _holds(actor, ctx.service.core.state, window):
                # logged out, another window chosen, or logged out of the window: the page reloads and says so
                yield {"event": "gone", "data": ""}
                return
            if version != seen and window is not None:
                seen = version
                yield {"event": "panel", "data": _panel_html(request, _data(request, window))}

    return _LiveStream(panels(), ping=15, send_timeout=10)


ROUTES: list[BaseRoute] = [
    Route("/terminal", terminal, methods=["GET"]),
    Route("/terminal.json", terminal, methods=["GET"]),
    Route("/terminal/window", choose_window, methods=["POST"]),
    Route("/terminal/op/{op}", operate, methods=["POST"]),
    Route("/terminal/stream", stream, methods=["GET"]),
]
