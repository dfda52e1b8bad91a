"""A window's session (login, open, close, pause) and the work on its current ticket (call, recall, start,
finish, no-show), with the timed sweep of calls nobody answered."""

from __future__ import annotations

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.checks import (
    current_or_fail,
    fail,
    free_window,
    illegal,
    skilled_or_fail,
    ticket_or_fail,
    window_or_fail,
)
from hall_controller.engine.lifecycle import TicketOp, allows, check
from hall_controller.engine.routing import choose
from hall_controller.engine.state import EngineState, Ticket
from hall_protocol.errors import ErrorCode

# session ----------------------------------------------------------------------------------------


def login(state: EngineState, c: cmd.Login, now: float) -> list[ev.Event]:
    rt = window_or_fail(state, c.window_id)
    if not c.staff_id:
        fail(ErrorCode.MALFORMED, "staff_id must not be empty", "缺少工作人员编号")
    if rt.staff_id is not None:
        illegal(f"{rt.staff_id} is logged in at window {c.window_id}", "该窗口已有工作人员登录")
    return [ev.StaffLoggedIn(request_id=c.request_id, at=now, window_id=c.window_id, staff_id=c.staff_id)]


def logout(state: EngineState, c: cmd.Logout, now: float) -> list[ev.Event]:
    rt = window_or_fail(state, c.window_id)
    if rt.staff_id is None:
        illegal(f"nobody is logged in at window {c.window_id}", "该窗口没有工作人员登录")
    if rt.current is not None:
        illegal(f"window {c.window_id} still has ticket {rt.current}", "请先处理本窗口当前的号")
    return [ev.StaffLoggedOut(request_id=c.request_id, at=now, window_id=c.window_id, staff_id=rt.staff_id)]


def open_window(state: EngineState, c: cmd.OpenWindow, now: float) -> list[ev.Event]:
    rt = window_or_fail(state, c.window_id)
    if rt.staff_id is None:
        illegal(f"log in at window {c.window_id} before opening it", "请先登录再开窗")
    if rt.open:
        illegal(f"window {c.window_id} is already open", "窗口已开启")
    return [ev.WindowOpened(request_id=c.request_id, at=now, window_id=c.window_id)]


def close_window(state: EngineState, c: cmd.CloseWindow, now: float) -> list[ev.Event]:
    rt = window_or_fail(state, c.window_id)
    if not rt.open:
        illegal(f"window {c.window_id} is already closed", "窗口已关闭")
    if rt.current is not None:
        illegal(f"window {c.window_id} still has ticket {rt.current}", "请先处理本窗口当前的号")
    return [ev.WindowClosed(request_id=c.request_id, at=now, window_id=c.window_id)]


def pause(state: EngineState, c: cmd.PauseWindow, now: float) -> list[ev.Event]:
    rt = window_or_fail(state, c.window_id)
    if not rt.open or rt.paused:
        illegal(f"window {c.window_id} is not open and running", "窗口未在办理中，不能暂停")
    return [ev.WindowPaused(request_id=c.request_id, at=now, window_id=c.window_id, reason=c.reason)]


def resume(state: EngineState, c: cmd.ResumeWindow, now: float) -> list[ev.Event]:
    rt = window_or_fail(state, c.window_id)
    if not rt.paused:
        illegal(f"window {c.window_id} is not paused", "窗口未暂停")
    return [ev.WindowResumed(request_id=c.request_id, at=now, window_id=c.window_id)]


# the current ticket -----------------------------------------------------------------------------


def _called(
    state: EngineState,
    c: cmd.CallNext | cmd.CallTicket,
    t: Ticket,
    now: float,
    reason: str,
    reason_zh: str = "",
    turns: tuple[int, int] | None = None,
) -> ev.Event:
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
        reason_zh=reason_zh,
        turns=turns,
    )


def call_next(state: EngineState, c: cmd.CallNext, now: float) -> list[ev.Event]:
    free_window(state, c.window_id)
    choice = choose(state, c.window_id, now)
    if choice is None:
        fail(ErrorCode.NOT_FOUND, "nobody is waiting for this window's services", "当前没有等候的号")
    t = state.tickets[choice.key[3]]  # queued tickets are all waiting
    return [_called(state, c, t, now, choice.reason, choice.reason_zh, choice.turns)]


def call_ticket(state: EngineState, c: cmd.CallTicket, now: float) -> list[ev.Event]:
    free_window(state, c.window_id)
    t = ticket_or_fail(state, c.ticket_id)
    check(t.state, TicketOp.CALL, t.number)
    skilled_or_fail(state, c.window_id, t)
    reserved_for = state.reserved.get(t.ticket_id, c.window_id)
    if reserved_for != c.window_id:
        name = state.index.windows[reserved_for].name_zh
        illegal(f"ticket {t.number} was transferred to window {reserved_for}", f"该号已转至{name}")
    return [_called(state, c, t, now, c.reason)]


def recall(state: EngineState, c: cmd.Recall, now: float) -> list[ev.Event]:
    t = current_or_fail(state, c.window_id, c.ticket_id)
    check(t.state, TicketOp.RECALL, t.number)
    limit = state.config.calling.recall_limit
    if t.recall_count >= limit:
        illegal(f"recalled {limit} times already; mark it no-show", f"已重呼{limit}次，请标记过号")
    return [_recalled(state, c.request_id, t, c.window_id, now, auto=False)]


def _recalled(state: EngineState, request_id: str, t: Ticket, window_id: str, now: float, *,
              auto: bool) -> ev.TicketRecalled:
    w = state.index.windows[window_id]
    return ev.TicketRecalled(
        request_id=request_id,
        at=now,
        ticket_id=t.ticket_id,
        number=t.number,
        window_id=w.id,
        window_name=w.name_zh,
        zone=w.zone,
        call_id=f"{t.ticket_id}:{t.call_count + 1}",
        recall_count=t.recall_count + 1,
        masked_name=t.masked_name,
        auto=auto,
    )


def start(state: EngineState, c: cmd.StartService, now: float) -> list[ev.Event]:
    t = current_or_fail(state, c.window_id, c.ticket_id)
    check(t.state, TicketOp.START, t.number)
    return [ev.ServiceStarted(request_id=c.request_id, at=now, ticket_id=t.ticket_id, window_id=c.window_id)]


def finish(state: EngineState, c: cmd.FinishService, now: float) -> list[ev.Event]:
    t = current_or_fail(state, c.window_id, c.ticket_id)
    check(t.state, TicketOp.FINISH, t.number)
    duration = t.served_s + (now - t.started_at if t.started_at is not None else 0.0)
    nxt = t.step_index + 1
    if c.also_done:
        if t.steps[nxt : nxt + len(c.also_done)] != c.also_done:
            illegal("services done must be the visit's next steps, in order",
                    "所选事项须为本次办理的后续步骤（按顺序）")
        for code in c.also_done:
            if state.index.skill(c.window_id, code) <= 0:
                illegal(f"window {c.window_id} does not serve {code}", "本窗口不办理该业务")
        nxt += len(c.also_done)
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
            also_done=c.also_done,
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


def no_show(state: EngineState, c: cmd.MarkNoShow, now: float) -> list[ev.Event]:
    t = current_or_fail(state, c.window_id, c.ticket_id)
    check(t.state, TicketOp.NO_SHOW, t.number)
    calling = state.config.calling
    waited = now - (t.called_at if t.called_at is not None else now)
    if t.recall_count < calling.recall_limit and waited < calling.grace_s:
        illegal(
            f"recall {calling.recall_limit} times or wait {calling.grace_s}s before marking no-show",
            f"请重呼{calling.recall_limit}次或等候{calling.grace_s}秒后再标记过号",
        )
    return [_no_show_event(state, c.request_id, t, now)]


def sweep(state: EngineState, c: cmd.SweepCalls, now: float) -> list[ev.Event]:
    """Each call nobody answered moves on by the clock: recalled ``recall_after_s`` after the last call (up to
    ``recall_limit`` times; 0 leaves recalls to staff), and a no-show ``grace_s`` after the last recall."""
    calling = state.config.calling
    out: list[ev.Event] = []
    for w in state.config.windows:
        current = state.windows[w.id].current
        if current is None:
            continue
        t = state.tickets[current]
        if not allows(t.state, TicketOp.NO_SHOW) or t.last_call_at is None:
            continue  # in service or parked: nobody is late
        since = now - t.last_call_at
        if t.recall_count < calling.recall_limit:
            if calling.recall_after_s and since >= calling.recall_after_s:
                out.append(_recalled(state, c.request_id, t, w.id, now, auto=True))
        elif since >= calling.grace_s:
            out.append(_no_show_event(state, c.request_id, t, now))
    return out
