"""Wire messages built from the engine state: ticket views, hall state, zone displays, call/ticket events."""

from __future__ import annotations

from hall_controller.engine import events as ev
from hall_controller.engine.errors import EngineError
from hall_controller.engine.estimates import estimate, estimate_new, position
from hall_controller.engine.state import EngineState, WindowRt
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import (
    CallEvent,
    CallView,
    DisplayState,
    HallState,
    ServiceQueue,
    TicketEvent,
    WindowView,
)
from hall_protocol.tickets import TicketState, TicketView
from hall_protocol.urls import ticket_status_url


def ticket_view(state: EngineState, ticket_id: str, now: float, status_base_url: str) -> TicketView:
    t = state.tickets.get(ticket_id)
    if t is None:
        raise EngineError(ErrorCode.NOT_FOUND, f"unknown ticket {ticket_id!r}", "找不到这张号票")
    svc = state.index.services[t.service]
    zone = state.index.zones[svc.zone]
    est = estimate(state, ticket_id, now)
    window = state.index.windows.get(t.window_id) if t.window_id is not None else None
    return TicketView(
        ticket_id=t.ticket_id,
        number=t.number,
        service=svc.code,
        service_name_zh=svc.name_zh,
        service_name_en=svc.name_en,
        state=t.state,
        zone=zone.id,
        zone_name_zh=zone.name_zh,
        zone_name_en=zone.name_en,
        position=position(state, ticket_id),
        est_wait_s=round(est.seconds),
        est_wait_low_s=round(est.low),
        est_wait_high_s=round(est.high),
        issued_at=t.issued_at,
        window_id=t.window_id,
        window_name=window.name_zh if window is not None else None,
        provisional=t.lease_id is not None,
        status_url=ticket_status_url(status_base_url, state.config.hall.id, t.ticket_id, t.token),
        steps=t.steps,
        step_index=t.step_index,
    )


def window_state(state: EngineState, rt: WindowRt) -> str:
    """closed, open, paused, serving or calling (``WindowView.state``)."""
    if rt.current is not None:
        return "serving" if state.tickets[rt.current].state is TicketState.SERVING else "calling"
    if not rt.open:
        return "closed"
    return "paused" if rt.paused else "open"


def _window_views(state: EngineState) -> list[WindowView]:
    views = []
    for w in state.config.windows:
        rt = state.windows[w.id]
        views.append(WindowView(
            window_id=w.id,
            name=w.name_zh,
            zone=w.zone,
            state=window_state(state, rt),
            current_number=state.tickets[rt.current].number if rt.current is not None else None,
        ))
    return views


def hall_state_message(state: EngineState, now: float, seq: int, *, contact_key: str = "") -> HallState:
    services = []
    for svc in state.config.services:
        serving_windows = state.index.service_windows[svc.code]
        services.append(
            ServiceQueue(
                code=svc.code,
                name_zh=svc.name_zh,
                name_en=svc.name_en,
                zone=svc.zone,
                waiting=len(state.queues[svc.code]),
                est_wait_s=round(estimate_new(state, svc.code, now).seconds),
                open=any(state.windows[w].active for w, _ in serving_windows),
            )
        )
    windows = _window_views(state)
    expiry = state.config.calling.call_expiry_s
    calls = tuple(c for c in state.recent_calls if c.ts + expiry > now)
    return HallState(
        hall=state.config.hall.id,
        ts=now,
        seq=seq,
        services=tuple(services),
        windows=tuple(windows),
        recent_calls=calls,
        notices=state.notices,
        contact_key=contact_key,
    )


def display_message(state: EngineState, zone: str, now: float, seq: int) -> DisplayState:
    if zone not in state.index.zones:
        raise EngineError(ErrorCode.NOT_FOUND, f"unknown zone {zone!r}", f"没有这个区域：{zone}")
    expiry = state.config.calling.call_expiry_s
    calls = tuple(c for c in state.zone_calls.get(zone, ()) if c.ts + expiry > now)
    waiting = sum(len(state.queues[s.code]) for s in state.config.services if s.zone == zone)
    notices = tuple(n for n in state.notices if n.zone is None or n.zone == zone)
    windows = tuple(w for w in _window_views(state) if w.zone == zone)
    return DisplayState(zone=zone, ts=now, seq=seq, calls=calls, waiting=waiting, notices=notices, windows=windows)


def call_event(state: EngineState, event: ev.TicketCalled | ev.TicketRecalled) -> CallEvent:
    """The silent-call message for a call or recall event (expires after ``calling.call_expiry_s``)."""
    recall_count = event.recall_count if isinstance(event, ev.TicketRecalled) else 0
    call = CallView(
        call_id=event.call_id,
        ticket_id=event.ticket_id,
        number=event.number,
        window_id=event.window_id,
        window_name=event.window_name,
        zone=event.zone,
        masked_name=event.masked_name,
        recall_count=recall_count,
        ts=event.at,
    )
    return CallEvent(call=call, expires_at=event.at + state.config.calling.call_expiry_s)


_EVENT_STATE: dict[type[ev.Event], TicketState] = {
    ev.TicketTransferred: TicketState.TRANSFERRED,
}


def ticket_event(state: EngineState, event: ev.Event) -> TicketEvent | None:
    """The ``events/tickets`` message for an event about a ticket (None for other events).

    ``state`` is the state after the event. A transfer is reported as ``transferred`` even though the
    ticket waits again at once in its new service's queue."""
    ticket_id = getattr(event, "ticket_id", None)
    if ticket_id is None:
        return None
    t = state.tickets.get(ticket_id)
    if t is None:
        return None
    est = estimate(state, ticket_id, event.at)
    return TicketEvent(
        ticket_id=t.ticket_id,
        number=t.number,
        service=t.service,
        state=_EVENT_STATE.get(type(event), t.state),
        ts=event.at,
        window_id=t.window_id,
        position=position(state, ticket_id),
        est_wait_s=round(est.seconds),
    )


def near_front(state: EngineState, service: str, n: int) -> list[str]:
    """Ticket ids of the first ``n`` waiting for ``service`` (for "you are nearly next" alerts)."""
    return [key[3] for key in state.queues[service].head(n)]
