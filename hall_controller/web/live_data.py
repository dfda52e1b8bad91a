"""The live hall's data, read from the engine state: per service, per window, per zone, and the alerts.

One struct (``LiveHall``) is the page, its live fragment and its JSON twin (``/console/live.json``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from hall_controller.alert_book import LiveAlert
from hall_controller.engine.estimates import estimate_new
from hall_controller.engine.state import EngineState
from hall_controller.engine.views import window_state
from hall_controller.web.console_common import local_time
from hall_protocol.hall import MAX_NOTICES, Notice
from hall_protocol.tickets import TicketState


class ServiceRow(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_zh: str
    name_en: str
    zone: str
    waiting: int
    longest_wait_min: int  # 0 when nobody waits
    est_wait_min: int | None  # what a ticket taken now is told; None when no window serves the service
    within_target_pct: int | None  # today's visits called within the target (None before any is decided)
    target_wait_min: float
    target_wait_text: str  # as the config file would write it (0.5, 20)
    daily_cap: int
    issued: int
    over_target: bool  # somebody has waited past the target
    open: bool  # a window that is open and staffed serves it


class SkillView(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_zh: str
    name_en: str
    weight: float
    weight_text: str


class WindowRow(msgspec.Struct, frozen=True, kw_only=True):
    window_id: str
    name_zh: str
    name_en: str
    zone: str
    state: str  # closed, open, paused, serving, calling
    open: bool
    staff_id: str | None
    staff_name: str
    current_number: str | None
    current_service_zh: str
    current_service_en: str
    served_today: int
    pause_reason: str
    comprehensive: bool
    skills: tuple[SkillView, ...]


class ZoneView(msgspec.Struct, frozen=True, kw_only=True):
    zone_id: str
    name_zh: str
    name_en: str
    waiting: int
    windows: tuple[WindowRow, ...]


class AlertRow(msgspec.Struct, frozen=True, kw_only=True):
    alert_id: str
    kind: str
    message_zh: str
    message_en: str
    since: float
    since_text: str
    service: str | None
    window_id: str | None
    acked_by: str | None  # the person's account
    acked_by_name: str
    acked_at_text: str


class LiveHall(msgspec.Struct, frozen=True, kw_only=True):
    hall_zh: str
    hall_en: str
    ts: float
    time_text: str
    version: int  # the live hub's version this was read at (the stream continues from it)
    services: tuple[ServiceRow, ...]
    windows: tuple[WindowRow, ...]
    zones: tuple[ZoneView, ...]
    alerts: tuple[AlertRow, ...]
    notices: tuple[Notice, ...]


def target_shares(state: EngineState, now: float) -> dict[str, tuple[int, int]]:
    """Per service: (visits called within the target wait, visits decided) today. A visit counts for its
    first service; one still waiting past the target counts as missed; one waiting within it is undecided."""
    shares: dict[str, list[int]] = {code: [0, 0] for code in state.index.services}
    for t in state.tickets.values():
        first = t.history[0] if t.history else None
        service = first.service if first is not None else t.service
        called = first.called_at if first is not None else (t.called_at if t.step_index == 0 else None)
        svc = state.index.services.get(service)
        if svc is None:
            continue
        limit = svc.target_wait_min * 60
        if called is not None:
            shares[service][0] += called - t.arrival <= limit
            shares[service][1] += 1
        elif t.state is TicketState.WAITING and t.step_index == 0 and now - t.arrival > limit:
            shares[service][1] += 1
    return {code: (within, decided) for code, (within, decided) in shares.items()}


def _services(state: EngineState, now: float) -> tuple[ServiceRow, ...]:
    shares = target_shares(state, now)
    rows = []
    for svc in state.config.services:
        queue = state.queues[svc.code]
        longest = max((now - state.tickets[key[3]].arrival for key in queue), default=0.0)
        est = estimate_new(state, svc.code, now)
        within, decided = shares[svc.code]
        rows.append(ServiceRow(
            code=svc.code, name_zh=svc.name_zh, name_en=svc.name_en, zone=svc.zone, waiting=len(queue),
            longest_wait_min=round(longest / 60),
            est_wait_min=None if est.basis == "none" else round(est.seconds / 60),
            within_target_pct=round(100 * within / decided) if decided else None,
            target_wait_min=svc.target_wait_min, target_wait_text=f"{svc.target_wait_min:g}",
            daily_cap=svc.daily_cap, issued=state.issued.get(svc.code, 0),
            over_target=longest > svc.target_wait_min * 60,
            open=any(state.windows[w].active for w, _ in state.index.service_windows[svc.code]),
        ))
    return tuple(rows)


async def _windows(state: EngineState, staff_name: Callable[[str], Awaitable[str]]) -> tuple[WindowRow, ...]:
    rows = []
    for w in state.config.windows:
        rt = state.windows[w.id]
        current = state.tickets[rt.current] if rt.current is not None else None
        svc = state.index.services[current.service] if current is not None else None
        rows.append(WindowRow(
            window_id=w.id, name_zh=w.name_zh, name_en=w.name_en, zone=w.zone, state=window_state(state, rt),
            open=rt.open, staff_id=rt.staff_id, staff_name=await staff_name(rt.staff_id) if rt.staff_id else "",
            current_number=current.number if current is not None else None,
            current_service_zh=svc.name_zh if svc is not None else "",
            current_service_en=svc.name_en if svc is not None else "",
            served_today=rt.served, pause_reason=rt.pause_reason if rt.paused else "",
            comprehensive=w.comprehensive,
            skills=tuple(SkillView(code=code, name_zh=state.index.services[code].name_zh,
                                   name_en=state.index.services[code].name_en, weight=wt, weight_text=f"{wt:g}")
                         for wt, code in state.index.window_skills[w.id] if code in w.skills),
        ))
    return tuple(rows)


def _zones(state: EngineState, windows: tuple[WindowRow, ...]) -> tuple[ZoneView, ...]:
    return tuple(
        ZoneView(zone_id=z.id, name_zh=z.name_zh, name_en=z.name_en,
                 waiting=sum(len(state.queues[s.code]) for s in state.config.services if s.zone == z.id),
                 windows=tuple(w for w in windows if w.zone == z.id))
        for z in state.config.zones
    )


async def _alerts(state: EngineState, current: tuple[LiveAlert, ...], timezone: str,
                  name: Callable[[str], Awaitable[str]]) -> tuple[AlertRow, ...]:
    rows = []
    for live in current:
        a, ack = live.alert, state.alert_acks.get(live.alert_id)
        rows.append(AlertRow(
            alert_id=live.alert_id, kind=a.kind.value, message_zh=a.message_zh, message_en=a.message_en,
            since=live.since, since_text=local_time(live.since, timezone), service=a.service, window_id=a.window_id,
            acked_by=ack.by if ack is not None else None, acked_by_name=await name(ack.by) if ack is not None else "",
            acked_at_text=local_time(ack.at, timezone) if ack is not None else "",
        ))
    return tuple(rows)


async def live_hall(state: EngineState, alerts: tuple[LiveAlert, ...], now: float, version: int,
                    staff_name: Callable[[str], Awaitable[str]]) -> LiveHall:
    """``staff_name`` gives a person's display name from their account (staff at windows, who acknowledged)."""
    hall = state.config.hall
    windows = await _windows(state, staff_name)
    return LiveHall(
        hall_zh=hall.name_zh, hall_en=hall.name_en, ts=now, time_text=local_time(now, hall.timezone), version=version,
        services=_services(state, now), windows=windows, zones=_zones(state, windows),
        alerts=await _alerts(state, alerts, hall.timezone, staff_name), notices=state.notices,
    )


class NoticeRow(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    text_zh: str = ""
    text_en: str = ""
    zone: str = ""  # "" for every screen


class ZoneOption(msgspec.Struct, frozen=True, kw_only=True):
    zone_id: str
    name_zh: str
    name_en: str


class NoticesForm(msgspec.Struct, frozen=True, kw_only=True):
    """The notices editor: the current notices, then empty rows up to the limit."""

    rows: tuple[NoticeRow, ...]
    zones: tuple[ZoneOption, ...]


def notices_form(state: EngineState) -> NoticesForm:
    rows = [NoticeRow(index=i, text_zh=n.text_zh, text_en=n.text_en, zone=n.zone or "")
            for i, n in enumerate(state.notices)]
    rows += [NoticeRow(index=i) for i in range(len(rows), MAX_NOTICES)]
    zones = tuple(ZoneOption(zone_id=z.id, name_zh=z.name_zh, name_en=z.name_en) for z in state.config.zones)
    return NoticesForm(rows=tuple(rows), zones=zones)
