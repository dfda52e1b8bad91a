"""``handle(state, command, now) -> (state, events)``: check a command, decide its events, apply them.

Pure and deterministic: the result depends only on the arguments. A refused command raises
:class:`EngineError` and changes nothing. A command whose ``request_id`` was already handled returns the
same state and no events (the service answers it with the reply it stored the first time).
The first command of a new local day that changes anything is preceded by a ``DayStarted`` event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, NoReturn

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.apply import apply
from hall_controller.engine.clock import clock_minutes, day_bounds, local_date, local_minutes
from hall_controller.engine.errors import EngineError
from hall_controller.engine.selection import pick_next
from hall_controller.engine.state import AT_WINDOW, CALLED_STATES, EngineState, Ticket, WindowRt
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Priority, TicketState

MAX_NUMBER = 9999
MAX_STEPS = 10


def handle(state: EngineState, command: cmd.Command, now: float) -> tuple[EngineState, list[ev.Event]]:
    rid = command.request_id
    if not rid:
        _fail(ErrorCode.MALFORMED, "request_id must not be empty", "请求缺少编号")
    if state.seen(rid):
        return state, []
    original = state
    events: list[ev.Event] = []
    if now >= state.day_end:
        day = local_date(now, state.config.hall.timezone)
        start, end = day_bounds(day, state.config.hall.timezone)
        rollover = ev.DayStarted(request_id="", at=now, day=day, day_start=start, day_end=end)
        events.append(rollover)
        state = apply(state, rollover)
    decided = _HANDLERS[type(command)](state, command, now)
    if not decided:  # a no-op (a sweep with nothing to do) changes nothing, not even the day
        return original, []
    for e in decided:
        state = apply(state, e)
    events.extend(decided)
    return state, events


# shared checks ----------------------------------------------------------------------------------


def _fail(code: ErrorCode, message: str, message_zh: str) -> NoReturn:
    raise EngineError(code, message, message_zh)


def _illegal(message: str, message_zh: str) -> NoReturn:
    _fail(ErrorCode.ILLEGAL_TRANSITION, message, message_zh)


def _service_or_fail(state: EngineState, code: str) -> None:
    if code not in state.index.services:
        _fail(ErrorCode.NOT_FOUND, f"unknown service {code!r}", f"没有这项业务：{code}")


def _ticket_or_fail(state: EngineState, ticket_id: str) -> Ticket:
    t = state.tickets.get(ticket_id)
    if t is None:
        _fail(ErrorCode.NOT_FOUND, f"unknown ticket {ticket_id!r}", "找不到这张号票")
    return t


def _window_or_fail(state: EngineState, window_id: str) -> WindowRt:
    rt = state.windows.get(window_id)
    if rt is None:
        _fail(ErrorCode.NOT_FOUND, f"unknown window {window_id!r}", f"没有这个窗口：{window_id}")
    return rt


def _current_or_fail(state: EngineState, window_id: str, named: str | None) -> Ticket:
    rt = _window_or_fail(state, window_id)
    if rt.current is None:
        _illegal(f"window {window_id} has no current ticket", "本窗口当前没有号")
    if named is not None and named != rt.current:
        _illegal(f"ticket {named} is not the current ticket of window {window_id}", "该号不是本窗口当前的号")
    return state.tickets[rt.current]


def _ready_to_call(state: EngineState, window_id: str) -> WindowRt:
    rt = _window_or_fail(state, window_id)
    if not rt.open:
        _illegal(f"window {window_id} is closed", "窗口未开启")
    if rt.paused:
        _illegal(f"window {window_id} is paused", "窗口已暂停")
    if rt.current is not None:
        _illegal(f"window {window_id} still has ticket {rt.current}", "请先处理本窗口当前的号")
    return rt


def _steps(state: EngineState, service: str, steps: tuple[str, ...]) -> tuple[str, ...]:
    _service_or_fail(state, service)
    if not steps:
        return (service,)
    if steps[0] != service:
        _fail(ErrorCode.MALFORMED, "steps must start with the ticket's service", "办理步骤须以所选业务开始")
    if len(steps) > MAX_STEPS:
        _fail(ErrorCode.MALFORMED, f"at most {MAX_STEPS} steps per visit", f"一次最多办理{MAX_STEPS}项")
    for s in steps:
        _service_or_fail(state, s)
    return steps


def _token(state: EngineState, request_id: str) -> str:
    """The status page capability: unguessable as long as request ids are (devices use UUIDs)."""
    data = f"{state.config.hall.id}\x00{request_id}".encode()
    return hashlib.blake2s(data, digest_size=12).hexdigest()


def _next_number(state: EngineState, prefix: str) -> int:
    n = state.counters.get(prefix, 0) + 1
    if n > MAX_NUMBER:
        _fail(ErrorCode.CAP_REACHED, f"prefix {prefix} has no numbers left today", "今日号码已用完")
    return n


def _issued_event(
    state: EngineState,
    request_id: str,
    now: float,
    *,
    service: str,
    steps: tuple[str, ...],
    priority: Priority,
    seq: int,
    arrival: float,
    order_time: float,
    source_device: str,
    masked_name: str,
    lang: str,
    lease_id: str | None = None,
    appointment_id: str | None = None,
) -> ev.TicketIssued:
    prefix = state.index.services[service].prefix
    number = f"{prefix}{seq:03d}"
    return ev.TicketIssued(
        request_id=request_id,
        at=now,
        ticket_id=f"{state.day}-{number}",
        number=number,
        prefix=prefix,
        seq=seq,
        service=service,
        steps=steps,
        priority=priority,
        arrival=arrival,
        order_time=order_time,
        deadline=order_time + state.index.bounds_s[priority],
        source_device=source_device,
        lease_id=lease_id,
        appointment_id=appointment_id,
        masked_name=masked_name,
        token=_token(state, request_id),
        lang=lang,
    )


# tickets ----------------------------------------------------------------------------------------


def _issue(state: EngineState, c: cmd.IssueTicket, now: float) -> list[ev.Event]:
    steps = _steps(state, c.service, c.steps)
    if c.priority is Priority.APPOINTMENT:
        _fail(ErrorCode.FORBIDDEN, "appointment tickets come from check-in", "预约号请通过预约签到取号")
    svc = state.index.services[c.service]
    if c.provisional is not None:
        return [_merge_provisional(state, c, steps, now)]
    minute = local_minutes(now, state.config.hall.timezone)
    if not clock_minutes(svc.issue_from) <= minute <= clock_minutes(svc.issue_until):
        _fail(
            ErrorCode.CLOSED,
            f"{svc.code} issues tickets {svc.issue_from}-{svc.issue_until}",
            f"{svc.name_zh}取号时间为{svc.issue_from}至{svc.issue_until}",
        )
    if state.issued.get(svc.code, 0) >= svc.daily_cap:
        _fail(ErrorCode.CAP_REACHED, f"{svc.code} reached its daily cap", f"{svc.name_zh}今日号源已满")
    seq = _next_number(state, svc.prefix)
    return [
        _issued_event(
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


def _merge_provisional(state: EngineState, c: cmd.IssueTicket, steps: tuple[str, ...], now: float) -> ev.Event:
    """A ticket printed offline from a leased block: keep its number, order it by its real arrival.

    It is honoured past the daily cap and outside issuing hours: the citizen holds the printed number, and
    the cap was checked when the block was leased."""
    p = c.provisional
    assert p is not None
    lease = state.leases.get(p.lease_id)
    if lease is None:
        _fail(ErrorCode.NOT_FOUND, f"unknown or expired lease {p.lease_id!r}", "离线号段无效或已过期")
    if lease.day != state.day:
        _fail(ErrorCode.EXPIRED, f"lease {p.lease_id} was for {lease.day}", "离线号段已过期")
    if lease.service != c.service:
        _illegal(f"lease {p.lease_id} is for {lease.service}", "离线号段与业务不符")
    digits = p.number[len(lease.prefix) :]
    if not p.number.startswith(lease.prefix) or not digits.isdigit():
        _fail(ErrorCode.MALFORMED, f"number {p.number!r} is not of prefix {lease.prefix}", "离线号码格式不对")
    seq = int(digits)
    if not lease.first <= seq <= lease.last:
        _illegal(f"number {p.number} is outside lease {p.lease_id}", "离线号码不在号段内")
    if seq in lease.used:
        _illegal(f"number {p.number} was already merged", "该离线号码已登记")
    # A device clock may be off: the arrival cannot precede the lease nor follow the merge.
    arrival = min(max(p.arrived_at, lease.granted_at), now)
    return _issued_event(
        state,
        c.request_id,
        now,
        service=c.service,
        steps=steps,
        priority=c.priority,
        seq=seq,
        arrival=arrival,
        order_time=arrival,
        source_device=c.source_device or lease.device_id,
        masked_name=c.masked_name,
        lang=c.lang,
        lease_id=lease.lease_id,
    )


def _register_appointment(state: EngineState, c: cmd.RegisterAppointment, now: float) -> list[ev.Event]:
    steps = _steps(state, c.service, c.steps)
    if c.appointment_id in state.appointments:
        _illegal(f"appointment {c.appointment_id} exists", "该预约已登记")
    if c.slot_start < state.day_start:
        _fail(ErrorCode.EXPIRED, "the slot is in the past", "预约时段已过")
    return [
        ev.AppointmentRegistered(
            request_id=c.request_id,
            at=now,
            appointment_id=c.appointment_id,
            service=c.service,
            steps=steps,
            slot_start=c.slot_start,
            masked_name=c.masked_name,
        )
    ]


def _check_in(state: EngineState, c: cmd.CheckIn, now: float) -> list[ev.Event]:
    appt = state.appointments.get(c.appointment_id)
    if appt is None:
        _fail(ErrorCode.NOT_FOUND, f"unknown appointment {c.appointment_id!r}", "找不到该预约")
    if appt.ticket_id is not None:
        _illegal(f"appointment {c.appointment_id} already checked in", "该预约已签到")
    rules = state.config.appointments
    if now < appt.slot_start - rules.checkin_early_min * 60:
        _fail(
            ErrorCode.CLOSED,
            f"check-in opens {rules.checkin_early_min:g} min before the slot",
            f"请在预约时段前{rules.checkin_early_min:g}分钟内签到",
        )
    if now > appt.slot_start + rules.checkin_late_min * 60:
        _fail(
            ErrorCode.EXPIRED,
            f"check-in closed {rules.checkin_late_min:g} min after the slot started; take a ticket",
            f"已超过预约时间{rules.checkin_late_min:g}分钟，请重新取号",
        )
    svc = state.index.services[appt.service]
    seq = _next_number(state, svc.prefix)
    return [
        _issued_event(
            state,
            c.request_id,
            now,
            service=svc.code,
            steps=appt.steps,
            priority=Priority.APPOINTMENT,
            seq=seq,
            arrival=now,
            order_time=max(now, appt.slot_start),  # early arrivals are not served ahead of their slot
            source_device=c.source_device,
            masked_name=appt.masked_name,
            lang="zh",
            appointment_id=appt.appointment_id,
        )
    ]


def _lease(state: EngineState, c: cmd.LeaseBlock, now: float) -> list[ev.Event]:
    _service_or_fail(state, c.service)
    svc = state.index.services[c.service]
    if state.issued.get(svc.code, 0) >= svc.daily_cap:
        _fail(ErrorCode.CAP_REACHED, f"{svc.code} reached its daily cap", f"{svc.name_zh}今日号源已满")
    first = state.counters.get(svc.prefix, 0) + 1
    last = first + c.size - 1
    if last > MAX_NUMBER:
        _fail(ErrorCode.CAP_REACHED, f"prefix {svc.prefix} has no block of {c.size} left", "今日号码不足")
    return [
        ev.BlockLeased(
            request_id=c.request_id,
            at=now,
            lease_id=f"{state.day}-{svc.prefix}{first:03d}-{last:03d}",
            device_id=c.device_id,
            service=svc.code,
            prefix=svc.prefix,
            day=state.day,
            first=first,
            last=last,
        )
    ]


def _cancel(state: EngineState, c: cmd.CancelTicket, now: float) -> list[ev.Event]:
    t = _ticket_or_fail(state, c.ticket_id)
    if t.state not in (TicketState.WAITING, TicketState.CALLED, TicketState.RECALLED, TicketState.PARKED):
        _illegal(f"cannot cancel a {t.state} ticket", "当前状态不能取消")
    held = t.window_id if t.state in AT_WINDOW else None
    return [ev.TicketCancelled(request_id=c.request_id, at=now, ticket_id=t.ticket_id, reason=c.reason, window_id=held)]


def _rate(state: EngineState, c: cmd.RecordRating, now: float) -> list[ev.Event]:
    t = _ticket_or_fail(state, c.ticket_id)
    if t.state is not TicketState.FINISHED:
        _illegal("only a finished ticket can be rated", "办结后才能评价")
    if t.rating is not None:
        _illegal("this ticket was already rated", "该号已评价")
    return [
        ev.TicketRated(
            request_id=c.request_id,
            at=now,
            ticket_id=t.ticket_id,
            level=c.level,
            reasons=c.reasons,
            window_id=t.window_id,
        )
    ]


_TRANSFERABLE = frozenset(
    {TicketState.WAITING, TicketState.CALLED, TicketState.RECALLED, TicketState.SERVING, TicketState.PARKED}
)


def _transfer(state: EngineState, c: cmd.Transfer, now: float) -> list[ev.Event]:
    if c.window_id is not None:
        t = _current_or_fail(state, c.window_id, c.ticket_id)
    elif c.ticket_id is not None:
        t = _ticket_or_fail(state, c.ticket_id)
    else:
        _fail(ErrorCode.MALFORMED, "name a window or a ticket", "请指定窗口或号票")
    _service_or_fail(state, c.target_service)
    if t.state not in _TRANSFERABLE:
        _illegal(f"cannot transfer a {t.state} ticket", "当前状态不能转办")
    if c.target_service == t.service:
        _illegal("the ticket is already in that service", "已在该业务队列中")
    return [
        ev.TicketTransferred(
            request_id=c.request_id,
            at=now,
            ticket_id=t.ticket_id,
            from_service=t.service,
            to_service=c.target_service,
            deadline=t.order_time + state.index.bounds_s[t.priority],
            window_id=t.window_id if t.state in AT_WINDOW else None,
            reason=c.reason,
        )
    ]


def _no_show_event(state: EngineState, request_id: str, t: Ticket, now: float) -> ev.TicketNoShow:
    recycled = state.config.calling.recycle_no_show and t.no_show_count == 0
    assert t.window_id is not None
    return ev.TicketNoShow(
        request_id=request_id,
        at=now,
        ticket_id=t.ticket_id,
        window_id=t.window_id,
        recycled=recycled,
        order_time=now if recycled else 0.0,
        deadline=now + state.index.bounds_s[t.priority] if recycled else 0.0,
    )


def _sweep(state: EngineState, c: cmd.SweepCalls, now: float) -> list[ev.Event]:
    calling = state.config.calling
    out: list[ev.Event] = []
    for w in state.config.windows:
        current = state.windows[w.id].current
        if current is None:
            continue
        t = state.tickets[current]
        if (
            t.state in CALLED_STATES
            and t.recall_count >= calling.recall_limit
            and t.last_call_at is not None
            and now - t.last_call_at >= calling.grace_s
        ):
            out.append(_no_show_event(state, c.request_id, t, now))
    return out


# windows ----------------------------------------------------------------------------------------


def _login(state: EngineState, c: cmd.Login, now: float) -> list[ev.Event]:
    rt = _window_or_fail(state, c.window_id)
    if not c.staff_id:
        _fail(ErrorCode.MALFORMED, "staff_id must not be empty", "缺少工作人员编号")
    if rt.staff_id is not None:
        _illegal(f"{rt.staff_id} is logged in at window {c.window_id}", "该窗口已有工作人员登录")
    return [ev.StaffLoggedIn(request_id=c.request_id, at=now, window_id=c.window_id, staff_id=c.staff_id)]


def _logout(state: EngineState, c: cmd.Logout, now: float) -> list[ev.Event]:
    rt = _window_or_fail(state, c.window_id)
    if rt.staff_id is None:
        _illegal(f"nobody is logged in at window {c.window_id}", "该窗口没有工作人员登录")
    if rt.current is not None:
        _illegal(f"window {c.window_id} still has ticket {rt.current}", "请先处理本窗口当前的号")
    return [ev.StaffLoggedOut(request_id=c.request_id, at=now, window_id=c.window_id, staff_id=rt.staff_id)]


def _open(state: EngineState, c: cmd.OpenWindow, now: float) -> list[ev.Event]:
    rt = _window_or_fail(state, c.window_id)
    if rt.staff_id is None:
        _illegal(f"log in at window {c.window_id} before opening it", "请先登录再开窗")
    if rt.open:
        _illegal(f"window {c.window_id} is already open", "窗口已开启")
    return [ev.WindowOpened(request_id=c.request_id, at=now, window_id=c.window_id)]


def _close(state: EngineState, c: cmd.CloseWindow, now: float) -> list[ev.Event]:
    rt = _window_or_fail(state, c.window_id)
    if not rt.open:
        _illegal(f"window {c.window_id} is already closed", "窗口已关闭")
    if rt.current is not None:
        _illegal(f"window {c.window_id} still has ticket {rt.current}", "请先处理本窗口当前的号")
    return [ev.WindowClosed(request_id=c.request_id, at=now, window_id=c.window_id)]


def _pause(state: EngineState, c: cmd.PauseWindow, now: float) -> list[ev.Event]:
    rt = _window_or_fail(state, c.window_id)
    if not rt.open or rt.paused:
        _illegal(f"window {c.window_id} is not open and running", "窗口未在办理中，不能暂停")
    return [ev.WindowPaused(request_id=c.request_id, at=now, window_id=c.window_id, reason=c.reason)]


def _resume(state: EngineState, c: cmd.ResumeWindow, now: float) -> list[ev.Event]:
    rt = _window_or_fail(state, c.window_id)
    if not rt.paused:
        _illegal(f"window {c.window_id} is not paused", "窗口未暂停")
    return [ev.WindowResumed(request_id=c.request_id, at=now, window_id=c.window_id)]


def _called(state: EngineState, c: cmd.CallNext | cmd.CallTicket, t: Ticket, now: float, reason: str) -> ev.Event:
    w = state.index.windows[c.window_id]
    return ev.TicketCalled(
        request_id=c.request_id,
        at=now,
        ticket_id=t.ticket_id,
        number=t.number,
        service=t.service,
        window_id=w.id,
        window_name=w.name_zh,
        zone=w.zone,
        call_id=f"{t.ticket_id}:{t.call_count + 1}",
        masked_name=t.masked_name,
        explicit=isinstance(c, cmd.CallTicket),
        reason=reason,
    )


def _call_next(state: EngineState, c: cmd.CallNext, now: float) -> list[ev.Event]:
    _ready_to_call(state, c.window_id)
    key = pick_next(state, c.window_id, now)
    if key is None:
        _fail(ErrorCode.NOT_FOUND, "nobody is waiting for this window's services", "当前没有等候的号")
    return [_called(state, c, state.tickets[key[2]], now, "")]


def _call_ticket(state: EngineState, c: cmd.CallTicket, now: float) -> list[ev.Event]:
    _ready_to_call(state, c.window_id)
    t = _ticket_or_fail(state, c.ticket_id)
    if t.state is not TicketState.WAITING:
        _illegal(f"ticket {t.number} is {t.state}, not waiting", "该号不在等候中")
    if state.index.skill(c.window_id, t.service) <= 0:
        _illegal(f"window {c.window_id} does not serve {t.service}", "本窗口不办理该业务")
    return [_called(state, c, t, now, c.reason)]


def _recall(state: EngineState, c: cmd.Recall, now: float) -> list[ev.Event]:
    t = _current_or_fail(state, c.window_id, c.ticket_id)
    if t.state not in CALLED_STATES:
        _illegal(f"ticket {t.number} is {t.state}; only a called ticket can be recalled", "只能重呼已呼叫的号")
    limit = state.config.calling.recall_limit
    if t.recall_count >= limit:
        _illegal(f"recalled {limit} times already; mark it no-show", f"已重呼{limit}次，请标记过号")
    w = state.index.windows[c.window_id]
    return [
        ev.TicketRecalled(
            request_id=c.request_id,
            at=now,
            ticket_id=t.ticket_id,
            number=t.number,
            window_id=w.id,
            window_name=w.name_zh,
            zone=w.zone,
            call_id=f"{t.ticket_id}:{t.call_count + 1}",
            recall_count=t.recall_count + 1,
            masked_name=t.masked_name,
        )
    ]


def _start(state: EngineState, c: cmd.StartService, now: float) -> list[ev.Event]:
    t = _current_or_fail(state, c.window_id, c.ticket_id)
    if t.state not in CALLED_STATES:
        _illegal(f"ticket {t.number} is {t.state}; only a called ticket can start", "只能开始办理已呼叫的号")
    return [ev.ServiceStarted(request_id=c.request_id, at=now, ticket_id=t.ticket_id, window_id=c.window_id)]


def _finish(state: EngineState, c: cmd.FinishService, now: float) -> list[ev.Event]:
    t = _current_or_fail(state, c.window_id, c.ticket_id)
    if t.state is not TicketState.SERVING:
        _illegal(f"ticket {t.number} is {t.state}; only a ticket in service can finish", "该号尚未开始办理")
    duration = t.served_s + (now - t.started_at if t.started_at is not None else 0.0)
    nxt = t.step_index + 1
    next_service = t.steps[nxt] if nxt < len(t.steps) else None
    return [
        ev.StepFinished(
            request_id=c.request_id,
            at=now,
            ticket_id=t.ticket_id,
            window_id=c.window_id,
            service=t.service,
            duration_s=max(duration, 0.0),
            next_service=next_service,
            # The next step keeps the visit's place: same order time, same class bound.
            next_deadline=t.order_time + state.index.bounds_s[t.priority] if next_service else 0.0,
        )
    ]


def _no_show(state: EngineState, c: cmd.MarkNoShow, now: float) -> list[ev.Event]:
    t = _current_or_fail(state, c.window_id, c.ticket_id)
    if t.state not in CALLED_STATES:
        _illegal(
            f"ticket {t.number} is {t.state}; only a called ticket can be a no-show",
            "只能对已呼叫的号标记过号",
        )
    calling = state.config.calling
    waited = now - (t.called_at if t.called_at is not None else now)
    if t.recall_count < calling.recall_limit and waited < calling.grace_s:
        _illegal(
            f"recall {calling.recall_limit} times or wait {calling.grace_s}s before marking no-show",
            f"请重呼{calling.recall_limit}次或等候{calling.grace_s}秒后再标记过号",
        )
    return [_no_show_event(state, c.request_id, t, now)]


def _park(state: EngineState, c: cmd.Park, now: float) -> list[ev.Event]:
    t = _current_or_fail(state, c.window_id, c.ticket_id)
    if t.state not in AT_WINDOW:
        _illegal(f"ticket {t.number} is {t.state}", "当前状态不能挂起")
    return [
        ev.TicketParked(request_id=c.request_id, at=now, ticket_id=t.ticket_id, window_id=c.window_id, reason=c.reason)
    ]


def _unpark(state: EngineState, c: cmd.Unpark, now: float) -> list[ev.Event]:
    _ready_to_call(state, c.window_id)
    t = _ticket_or_fail(state, c.ticket_id)
    if t.state is not TicketState.PARKED:
        _illegal(f"ticket {t.number} is {t.state}, not parked", "该号未挂起")
    if state.index.skill(c.window_id, t.service) <= 0:
        _illegal(f"window {c.window_id} does not serve {t.service}", "本窗口不办理该业务")
    return [ev.TicketResumed(request_id=c.request_id, at=now, ticket_id=t.ticket_id, window_id=c.window_id)]


_HANDLERS: dict[type[Any], Callable[[EngineState, Any, float], list[ev.Event]]] = {
    cmd.IssueTicket: _issue,
    cmd.RegisterAppointment: _register_appointment,
    cmd.CheckIn: _check_in,
    cmd.CancelTicket: _cancel,
    cmd.LeaseBlock: _lease,
    cmd.RecordRating: _rate,
    cmd.Transfer: _transfer,
    cmd.SweepCalls: _sweep,
    cmd.Login: _login,
    cmd.Logout: _logout,
    cmd.OpenWindow: _open,
    cmd.CloseWindow: _close,
    cmd.PauseWindow: _pause,
    cmd.ResumeWindow: _resume,
    cmd.CallNext: _call_next,
    cmd.CallTicket: _call_ticket,
    cmd.Recall: _recall,
    cmd.StartService: _start,
    cmd.FinishService: _finish,
    cmd.MarkNoShow: _no_show,
    cmd.Park: _park,
    cmd.Unpark: _unpark,
}
