"""The console's start and its live hall: queues, windows, a floor view and the efficiency alerts, live over
server-sent events; opening and closing windows, acknowledging alerts and setting the screens' notices.

Changes go through the controller's single writer like a device's requests: a window's opening and closing
as a ``WindowCommand`` (``ControllerService.submit``), the rest as engine commands (``perform``), each with
its audit line.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hall_controller import permissions
from hall_controller.accounts import AccountError
from hall_controller.engine import commands as cmd
from hall_controller.web.auth import context, origin_of, refuse, requires
from hall_controller.web.console_common import answered, live_stream, refused
from hall_controller.web.context import WebContext
from hall_controller.web.live_data import LiveHall, live_hall, notices_form
from hall_controller.web.render import CONSOLE_NAV, page, render_text
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import MAX_NOTICES, Notice
from hall_protocol.tickets import WindowCommand, WindowOp

REFRESH_S = 5.0  # waits and ages grow by themselves: re-render this often even when nothing happened
_WINDOW_OPS = {"open": WindowOp.OPEN, "close": WindowOp.CLOSE}


def request_id() -> str:
    return f"web-{uuid.uuid4().hex}"


@requires(permissions.CONSOLE)
async def console_home(request: Request) -> Response:
    """The first console page this person may see (a technician's is the devices page)."""
    for href, _, action in CONSOLE_NAV:
        if permissions.allowed(request.state.actor, action):
            return RedirectResponse(href, status_code=303)
    return refuse(request, 403, "error.forbidden")  # pragma: no cover - every console role has a page


def staff_names(ctx: WebContext) -> Callable[[str], Awaitable[str]]:
    """A person's display name from their account, each looked up once per render."""
    names: dict[str, str] = {}

    async def staff_name(username: str) -> str:
        if username not in names:
            try:
                names[username] = (await ctx.accounts.get(username)).display_name
            except AccountError:
                names[username] = username  # a device's keypad login, or an account since removed
        return names[username]

    return staff_name


async def hall_data(ctx: WebContext) -> LiveHall:
    core, service = ctx.service.core, ctx.service
    return await live_hall(core.state, core.alert_book.current, ctx.clock(), service.hub.version, staff_names(ctx))


@requires(permissions.HALL_STATE)
async def live(request: Request) -> Response:
    ctx = context(request)
    return page(request, "console_live.html", await hall_data(ctx), notices_form=notices_form(ctx.service.core.state))


@requires(permissions.HALL_STATE)
async def live_events(request: Request) -> Response:
    ctx = context(request)

    async def build() -> str:
        return render_text(request, "_live.html", data=await hall_data(ctx))

    return live_stream(request, ctx.service.hub, build, event="live", refresh_s=REFRESH_S)


@requires(permissions.HALL_MANAGE)
async def window_op(request: Request) -> Response:
    op = _WINDOW_OPS.get(request.path_params["op"])
    if op is None:
        return refuse(request, 404, "error.not_found")
    command = WindowCommand(request_id=request_id(), window_id=request.path_params["window_id"], op=op)
    answer = await context(request).service.submit(request.state.actor, command, origin=origin_of(request))
    return answered(answer, f"console.live.window_{op.value}_done")


@requires(permissions.ALERTS_ACK)
async def acknowledge(request: Request) -> Response:
    ctx = context(request)
    alert_id = str((await request.form()).get("alert_id", ""))
    live_alert = ctx.service.core.alert_book.get(alert_id)
    if live_alert is None:
        return refused(ErrorCode.NOT_FOUND, "this alert has ended", "该提醒已结束")
    actor = request.state.actor
    command = cmd.AcknowledgeAlert(request_id=request_id(), alert_id=alert_id, by=actor.id)
    audit = ("alert.ack", alert_id, live_alert.alert.kind.value)
    answer = await ctx.service.perform(actor, lambda now: ctx.service.core.on_command(command, now, audit),
                                       origin=origin_of(request))
    return answered(answer, "console.live.ack_done")


@requires(permissions.HALL_MANAGE)
async def set_notices(request: Request) -> Response:
    ctx = context(request)
    form = await request.form()
    notices = []
    for i in range(MAX_NOTICES):
        zh, en = str(form.get(f"zh_{i}", "")).strip(), str(form.get(f"en_{i}", "")).strip()
        zone = str(form.get(f"zone_{i}", "")) or None
        if zh or en:  # an English line alone is refused by the engine: a notice needs its Chinese text
            notices.append(Notice(text_zh=zh, text_en=en, zone=zone))
    command = cmd.SetNotices(request_id=request_id(), notices=tuple(notices))
    audit = ("hall.notices", "", f"notices={len(notices)}")
    answer = await ctx.service.perform(request.state.actor,
                                       lambda now: ctx.service.core.on_command(command, now, audit),
                                       origin=origin_of(request))
    return answered(answer, "console.notices.done")


ROUTES: list[BaseRoute] = [
    Route("/console", console_home),
    Route("/console/live", live),
    Route("/console/live.json", live),
    Route("/console/live/stream", live_events),
    Route("/console/windows/{window_id}/{op}", window_op, methods=["POST"]),
    Route("/console/alerts/ack", acknowledge, methods=["POST"]),
    Route("/console/notices", set_notices, methods=["POST"]),
]
