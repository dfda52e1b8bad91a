"""The routing page's data: the engine's advice to the manager (open or close an overflow window), where a new
visit goes now, and the latest calls, each with its reason; the staffing plan beside them.

One struct (``RoutingPage``) is the page and its JSON twin (``/console/routing.json``); its live part
(``RoutingLive``) is also what the page's event stream re-renders. Advice is computed on read from the engine
state, as the engine's alerts are; the calls are read from the stored events (``history.HallHistory``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from hall_controller.engine.advice import AdviceKind, advice, route_new
from hall_controller.engine.clock import day_bounds, local_date
from hall_controller.engine.estimates import estimate_new
from hall_controller.engine.state import EngineState
from hall_controller.history import HallHistory
from hall_controller.staffing_plan import StaffingPlan
from hall_controller.web.console_common import local_time

RECENT_CALLS = 15


class AdviceRow(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # "open-window" or "close-window" (``AdviceKind``)
    window_id: str
    window_zh: str
    window_en: str
    service: str | None  # the queue that passed its threshold (open-window)
    reason: str
    reason_zh: str
    staffed: bool  # somebody is logged in there: a window opens only with its staff
    followable: bool  # the button can work now (opening needs the window's staff logged in)
    staff_name: str
    since_text: str  # close-window: when the window had been idle long enough


class RouteRow(msgspec.Struct, frozen=True, kw_only=True):
    """Where a visit for ``service`` taken now is sent (``engine.advice.route_new``)."""

    service: str
    name_zh: str
    name_en: str
    waiting: int
    zone: str
    windows: tuple[str, ...]
    est_wait_min: int | None  # None when no window serves the service at all
    kiosk: bool  # the self-service kiosk is proposed instead
    reason: str
    reason_zh: str


class CallRow(msgspec.Struct, frozen=True, kw_only=True):
    at: float
    time_text: str
    number: str
    service: str
    service_zh: str
    service_en: str
    window_id: str
    window_zh: str
    window_en: str
    explicit: bool  # called by its number at the window: the reason is the staff's own
    reason: str
    reason_zh: str


class RoutingLive(msgspec.Struct, frozen=True, kw_only=True):
    ts: float
    time_text: str
    version: int  # the live hub's version this was read at (the stream continues from it)
    call_order: str  # routing.call_order
    class_ratio: str  # "2:1", or "" when none is set
    overflow_windows: tuple[str, ...]  # routing.overflow_windows: the windows advice may name
    advice: tuple[AdviceRow, ...]
    routes: tuple[RouteRow, ...]
    calls: tuple[CallRow, ...]  # today's, newest first


CHART_NAMES = ("advised_today", "open_today", "advised_tomorrow", "forecast_today", "arrived_today", "windows",
               "visits")


class StaffingChart(msgspec.Struct, frozen=True, kw_only=True):
    """What the staffing chart draws, per hour of today or tomorrow (None: nothing that hour)."""

    labels: tuple[str, ...]
    advised_today: tuple[int | None, ...]
    open_today: tuple[float | None, ...]
    advised_tomorrow: tuple[int | None, ...]
    forecast_today: tuple[float | None, ...]  # visits forecast
    arrived_today: tuple[int | None, ...]  # visits so far
    names: dict[str, str]  # the series' and axes' names in the page's language (``CHART_NAMES``)


class RoutingPage(msgspec.Struct, frozen=True, kw_only=True):
    live: RoutingLive
    staffing: StaffingPlan
    chart: StaffingChart


async def _advice(state: EngineState, now: float, staff_name: Callable[[str], Awaitable[str]]
                  ) -> tuple[AdviceRow, ...]:
    tz = state.config.hall.timezone
    rows = []
    for a in advice(state, now):
        w, rt = state.index.windows[a.window_id], state.windows[a.window_id]
        rows.append(AdviceRow(
            kind=a.kind.value, window_id=a.window_id, window_zh=w.name_zh, window_en=w.name_en, service=a.service,
            reason=a.reason, reason_zh=a.reason_zh, staffed=rt.staff_id is not None,
            followable=a.kind is AdviceKind.CLOSE_WINDOW or rt.staff_id is not None,
            staff_name=await staff_name(rt.staff_id) if rt.staff_id else "",
            since_text=local_time(a.since, tz) if a.kind is AdviceKind.CLOSE_WINDOW else "",
        ))
    return tuple(rows)


def _routes(state: EngineState, now: float) -> tuple[RouteRow, ...]:
    rows = []
    for svc in state.config.services:
        r = route_new(state, svc.code, now)
        served = estimate_new(state, svc.code, now).basis != "none"
        rows.append(RouteRow(
            service=svc.code, name_zh=svc.name_zh, name_en=svc.name_en, waiting=len(state.queues[svc.code]),
            zone=r.zone, windows=r.windows, est_wait_min=round(r.est_wait_s / 60) if served else None, kiosk=r.kiosk,
            reason=r.reason, reason_zh=r.reason_zh,
        ))
    return tuple(rows)


def _calls(state: EngineState, history: HallHistory, now: float) -> tuple[CallRow, ...]:
    tz = state.config.hall.timezone
    start, _ = day_bounds(local_date(now, tz), tz)
    today = history.calls[-RECENT_CALLS:] if history.calls and history.calls[-1].at >= start else []
    services, windows = state.index.services, state.index.windows
    rows = []
    for c in reversed(today):
        if c.at < start:
            break
        svc, w = services.get(c.service), windows.get(c.window_id)
        rows.append(CallRow(
            at=c.at, time_text=local_time(c.at, tz), number=c.number, service=c.service,
            service_zh=svc.name_zh if svc is not None else c.service,
            service_en=svc.name_en if svc is not None else c.service,
            window_id=c.window_id, window_zh=w.name_zh if w is not None else c.window_id,
            window_en=w.name_en if w is not None else c.window_id, explicit=c.explicit,
            reason=c.reason, reason_zh=c.reason_zh or c.reason,
        ))
    return tuple(rows)


async def routing_live(state: EngineState, history: HallHistory, now: float, version: int,
                       staff_name: Callable[[str], Awaitable[str]]) -> RoutingLive:
    """``staff_name`` gives a person's display name from their account (staff at an advised window)."""
    rules = state.config.routing
    return RoutingLive(
        ts=now, time_text=local_time(now, state.config.hall.timezone), version=version, call_order=rules.call_order,
        class_ratio=f"{rules.class_ratio[0]}:{rules.class_ratio[1]}" if rules.class_ratio else "",
        overflow_windows=rules.overflow_windows, advice=await _advice(state, now, staff_name),
        routes=_routes(state, now), calls=_calls(state, history, now),
    )
