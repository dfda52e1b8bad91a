"""A ticket's own operations: issue, cancel, rate, transfer, park and unpark."""

from __future__ import annotations

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.checks import (
    current_or_fail,
    fail,
    free_window,
    illegal,
    service_or_fail,
    skilled_or_fail,
    steps_or_fail,
    ticket_or_fail,
    window_or_fail,
)
from hall_controller.engine.clock import clock_minutes, local_minutes
from hall_controller.engine.issuing import issued_event, next_number
from hall_controller.engine.lifecycle import TicketOp, check
from hall_controller.engine.rules_leases import merge_provisional
from hall_controller.engine.state import AT_WINDOW, EngineState
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Priority


def issue(state: EngineState, c: cmd.IssueTicket, now: float) -> list[ev.Event]:
    steps = steps_or_fail(state, c.service, c.steps)
    if c.priority is Priority.APPOINTMENT:
        fail(ErrorCode.FORBIDDEN, "appointment tickets come from check-in", "预约号请通过预约签到取号")
    if c.provisional is not None:
        return [merge_provisional(state, c, steps, now)]
    svc = state.index.services[c.service]
    minute = local_minutes(now, state.config.hall.timezone)
    if not clock_minutes(svc.issue_from) <= minute <= clock_minutes(svc.issue_until):
        fail(
            ErrorCode.CLOSED,
            f"{svc.code} issues tickets {svc.issue_from}-{svc.issue_until}",
            f"{svc.name_zh}取号时间为{svc.issue_from}至{svc.issue_until}",
        )
    if state.issued.get(svc.code, 0) >= svc.daily_cap:
        fail(ErrorCode.CAP_REACHED, f"{svc.code} reached its daily cap", f"{svc.name_zh}今日号源已满")
    seq = next_number(state, svc.prefix)
    return [
        issued_event(
            state,
            c.request_id,
            now,
            service=svc.code,
            steps=steps,
            priority=c.priority,
            seq=seq,
            arrival=now,
            order_time=now,
            source_device=c.source_device,
            masked_name=c.masked_name,
            lang=c.lang,
        )
    ]


def cancel(state: EngineState, c: cmd.CancelTicket, now: float) -> list[ev.Event]:
    t = ticket_or_fail(state, c.ticket_id)
    check(t.state, TicketOp.CANCEL, t.number)
    held = t.window_id if t.state in AT_WINDOW else None
    return [ev.TicketCancelled(request_id=c.request_id, at=now, ticket_id=t.ticket_id, reason=c.reason, window_id=held)]


def rate(state: EngineState, c: cmd.RecordRating, now: float) -> list[ev.Event]:
    """One rating per finished step (一事一评). An earlier step of a visit that goes on may be rated at once;
    the visit's own state decides only for its current step (the transition table: rated once finished)."""
    t = ticket_or_fail(state, c.ticket_id)
    done = t.finished_steps
    step = len(done) - 1 if c.step is None else c.step
    if not 0 <= step < len(done):
        check(t.state, TicketOp.RATE, t.number)
        fail(ErrorCode.NOT_FOUND, f"ticket {t.number} has no finished step {step}", "该办理事项尚未办结，不能评价")
    if any(rated == step for rated, _ in t.ratings):
        illegal("this step was already rated", "该号已评价")
    record = done[step]
    return [
        ev.TicketRated(
            request_id=c.request_id,
            at=now,
            ticket_id=t.ticket_id,
            level=c.level,
            reasons=c.reasons,
            window_id=record.window_id,
            step=step,
            service=record.service,
            comment=c.comment,
        )
    ]


def transfer(state: EngineState, c: cmd.Transfer, now: float) -> list[ev.Event]:
    if c.window_id is not None:
        t = current_or_fail(state, c.window_id, c.ticket_id)
    elif c.ticket_id is not None:
        t = ticket_or_fail(state, c.ticket_id)
    else:
        fail(ErrorCode.MALFORMED, "name a window or a ticket", "请指定窗口或号票")
    if c.target_service is None and c.target_window is None:
        fail(ErrorCode.MALFORMED, "name a target service or window", "请指定转办的业务或窗口")
    service = t.service if c.target_service is None else service_or_fail(state, c.target_service).code
    check(t.state, TicketOp.TRANSFER, t.number)
    held = t.window_id if t.state in AT_WINDOW else None
    if c.target_window is not None:
        window_or_fail(state, c.target_window)
        if c.target_window == held:
            illegal("the ticket is already at that window", "该号已在该窗口")
        if state.index.skill(c.target_window, service) <= 0:
            illegal(f"window {c.target_window} does not serve {service}", "目标窗口不办理该业务")
    elif service == t.service:
        illegal("the ticket is already in that service", "已在该业务队列中")
    return [
        ev.TicketTransferred(
            request_id=c.request_id,
            at=now,
            ticket_id=t.ticket_id,
            from_service=t.service,
            to_service=service,
            deadline=t.order_time + state.index.bounds_s[t.priority],
            window_id=held,
            reason=c.reason,
            to_window=c.target_window,
        )
    ]


def park(state: EngineState, c: cmd.Park, now: float) -> list[ev.Event]:
    t = current_or_fail(state, c.window_id, c.ticket_id)
    check(t.state, TicketOp.PARK, t.number)
    return [
        ev.TicketParked(request_id=c.request_id, at=now, ticket_id=t.ticket_id, window_id=c.window_id, reason=c.reason)
    ]


def unpark(state: EngineState, c: cmd.Unpark, now: float) -> list[ev.Event]:
    free_window(state, c.window_id)
    t = ticket_or_fail(state, c.ticket_id)
    check(t.state, TicketOp.UNPARK, t.number)
    skilled_or_fail(state, c.window_id, t)
    return [ev.TicketResumed(request_id=c.request_id, at=now, ticket_id=t.ticket_id, window_id=c.window_id)]
