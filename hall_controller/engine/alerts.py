"""Efficiency alerts (效能监管): waits past target, long queues, idle windows, overrunning services."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from hall_controller.engine.state import EngineState
from hall_protocol.tickets import TicketState


class AlertKind(StrEnum):
    TICKET_OVER_TARGET = "ticket-over-target"
    QUEUE_OVER_THRESHOLD = "queue-over-threshold"
    WINDOW_IDLE = "window-idle"
    SERVICE_OVERRUN = "service-overrun"


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    kind: AlertKind
    since: float  # when the condition began (epoch seconds)
    value: float  # the measured quantity (seconds or a count)
    limit: float  # the threshold it passed
    message_zh: str
    message_en: str
    service: str | None = None
    window_id: str | None = None
    ticket_id: str | None = None


def alerts(state: EngineState, now: float) -> list[Alert]:
    """Every alert that holds at ``now``, in a stable order: by kind, then service / window / ticket.

    Cost is linear in the number of waiting tickets (run it on a timer, not per command)."""
    out: list[Alert] = []
    tickets = state.tickets
    for svc in state.config.services:
        limit = svc.target_wait_min * 60
        for key in state.queues[svc.code]:
            t = tickets[key[3]]
            waited = now - t.arrival
            if waited > limit:
                out.append(
                    Alert(
                        kind=AlertKind.TICKET_OVER_TARGET,
                        since=t.arrival + limit,
                        value=waited,
                        limit=limit,
                        service=svc.code,
                        ticket_id=t.ticket_id,
                        message_zh=f"{t.number}（{svc.name_zh}）已等候{waited / 60:.0f}分钟，"
                        f"超过目标{svc.target_wait_min:g}分钟",
                        message_en=f"{t.number} ({svc.name_en}) has waited {waited / 60:.0f} min, "
                        f"past the {svc.target_wait_min:g} min target",
                    )
                )
    for svc in state.config.services:
        n = len(state.queues[svc.code])
        if n >= svc.queue_alert_threshold:
            out.append(
                Alert(
                    kind=AlertKind.QUEUE_OVER_THRESHOLD,
                    since=now,
                    value=float(n),
                    limit=float(svc.queue_alert_threshold),
                    service=svc.code,
                    message_zh=f"{svc.name_zh}排队{n}人，超过{svc.queue_alert_threshold}人，建议增开窗口",
                    message_en=f"{n} waiting for {svc.name_en} (threshold {svc.queue_alert_threshold}); "
                    "consider opening a window",
                )
            )
    idle_limit = state.config.alerts.idle_window_s
    for w in state.config.windows:
        rt = state.windows[w.id]
        if not rt.active or rt.current is not None:
            continue
        idle = now - rt.idle_since
        if idle < idle_limit:
            continue
        waiting = sum(len(state.queues[code]) for _, code in state.index.window_skills[w.id])
        if waiting:
            out.append(
                Alert(
                    kind=AlertKind.WINDOW_IDLE,
                    since=rt.idle_since,
                    value=idle,
                    limit=float(idle_limit),
                    window_id=w.id,
                    message_zh=f"{w.name_zh}空闲{idle / 60:.0f}分钟，仍有{waiting}人等候其业务",
                    message_en=f"{w.name_en} idle for {idle / 60:.0f} min while {waiting} wait for its services",
                )
            )
    factor = state.config.alerts.overrun_factor
    for w in state.config.windows:
        rt = state.windows[w.id]
        if rt.current is None:
            continue
        t = tickets[rt.current]
        if t.state is not TicketState.SERVING or t.started_at is None:
            continue
        svc = state.index.services[t.service]
        limit = factor * svc.expected_service_min * 60
        served = t.served_s + now - t.started_at
        if served > limit:
            out.append(
                Alert(
                    kind=AlertKind.SERVICE_OVERRUN,
                    since=t.started_at + limit - t.served_s,
                    value=served,
                    limit=limit,
                    service=svc.code,
                    window_id=w.id,
                    ticket_id=t.ticket_id,
                    message_zh=f"{w.name_zh}办理{t.number}已{served / 60:.0f}分钟，超过预计时长的{factor:g}倍",
                    message_en=f"{w.name_en} has served {t.number} for {served / 60:.0f} min, "
                    f"over {factor:g}× the expected time",
                )
            )
    return out
