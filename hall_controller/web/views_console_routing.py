"""Routing and staffing on the console: the engine's advice to open or close an overflow window, with its
reason and a button that follows it; where new visits go; the latest calls with the reason each ticket was
called (live over server-sent events); and the staffing plan for today and tomorrow from the stored history.

Following advice sends the ordinary ``WindowCommand`` (``ControllerService.submit``: the same checks and the
same audit line as the live hall's open/close buttons), with the advice's reason as the command's reason, so
the audit log records that the window was opened or closed on advice, and why. Advice is re-read when the
button is pressed: advice that no longer holds is refused rather than followed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hall_controller import permissions
from hall_controller.engine.advice import AdviceKind, advice
from hall_controller.staffing_plan import StaffingPlan, plan
from hall_controller.web.auth import context, origin_of, requires
from hall_controller.web.console_common import answered, live_stream, refused
from hall_controller.web.context import WebContext
from hall_controller.web.render import lang_of, page, render_text
from hall_controller.web.routing_data import CHART_NAMES, RoutingLive, RoutingPage, StaffingChart, routing_live
from hall_controller.web.texts import text
from hall_controller.web.views_console import REFRESH_S, request_id, staff_names
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Reason, WindowCommand, WindowOp

_OPS = {AdviceKind.OPEN_WINDOW: WindowOp.OPEN, AdviceKind.CLOSE_WINDOW: WindowOp.CLOSE}
_REASON_MAX = 200  # ``hall_protocol.tickets.Reason``


async def live_data(ctx: WebContext) -> RoutingLive:
    history = await ctx.records.current()
    core = ctx.service.core
    return await routing_live(core.state, history, ctx.clock(), ctx.service.hub.version, staff_names(ctx))


def _chart(staffing: StaffingPlan, lang: str) -> StaffingChart:
    """Empty when neither day has a forecast: today's hours alone are the table's."""
    today = {h.hour: h for h in staffing.today.hours}
    tomorrow = {h.hour: h for h in staffing.tomorrow.hours}
    hours = sorted(set(today) | set(tomorrow)) if staffing.today.enough or staffing.tomorrow.enough else []
    return StaffingChart(
        labels=tuple(f"{h:02d}:00" for h in hours),
        advised_today=tuple(today[h].windows if h in today else None for h in hours),
        open_today=tuple(today[h].open_windows if h in today else None for h in hours),
        advised_tomorrow=tuple(tomorrow[h].windows if h in tomorrow else None for h in hours),
        forecast_today=tuple(today[h].arrivals if h in today else None for h in hours),
        arrived_today=tuple(today[h].actual_arrivals if h in today else None for h in hours),
        names={k: text(f"console.staffing.chart.{k}", lang) for k in CHART_NAMES},
    )


@requires(permissions.HALL_MANAGE)
async def routing(request: Request) -> Response:
    ctx = context(request)
    live = await live_data(ctx)
    config = ctx.config
    staffing = await ctx.records.read(lambda history: plan(history, config, live.ts))  # weeks of visits
    data = RoutingPage(live=live, staffing=staffing, chart=_chart(staffing, lang_of(request)))
    return page(request, "console_routing.html", data)


@requires(permissions.HALL_MANAGE)
async def routing_events(request: Request) -> Response:
    ctx = context(request)

    async def build() -> str:
        return render_text(request, "_routing.html", data=await live_data(ctx))

    return live_stream(request, ctx.service.hub, build, event="routing", refresh_s=REFRESH_S)


def _reason(zh: str, en: str) -> Reason:
    return f"按建议 advice: {zh} / {en}"[:_REASON_MAX]


@requires(permissions.HALL_MANAGE)
async def follow_advice(request: Request) -> Response:
    ctx = context(request)
    form = await request.form()
    kind, window_id = str(form.get("kind", "")), str(form.get("window_id", ""))
    current = next((a for a in advice(ctx.service.core.state, ctx.clock())
                    if a.kind.value == kind and a.window_id == window_id), None)
    if current is None:
        return refused(ErrorCode.EXPIRED, "this advice no longer holds: the hall has changed",
                       "该建议已不再适用：大厅情况已有变化")
    op = _OPS[current.kind]
    command = WindowCommand(request_id=request_id(), window_id=window_id, op=op,
                            reason=_reason(current.reason_zh, current.reason))
    answer = await ctx.service.submit(request.state.actor, command, origin=origin_of(request))
    return answered(answer, f"console.routing.followed_{op.value}")


ROUTES: list[BaseRoute] = [
    Route("/console/routing", routing),
    Route("/console/routing.json", routing),
    Route("/console/routing/stream", routing_events),
    Route("/console/routing/advice", follow_advice, methods=["POST"]),
]
