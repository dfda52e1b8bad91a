"""Checks the rule modules share: lookups that refuse with NOT_FOUND, a window's readiness, a visit's steps.

A ticket's state is checked against the transition table (``lifecycle.check``), not here.
"""

from __future__ import annotations

from typing import NoReturn

from hall_controller.engine.errors import EngineError
from hall_controller.engine.state import EngineState, Ticket, WindowRt
from hall_protocol.errors import ErrorCode
from hall_protocol.hall_config import Service

MAX_STEPS = 10


def fail(code: ErrorCode, message: str, message_zh: str) -> NoReturn:
    raise EngineError(code, message, message_zh)


def illegal(message: str, message_zh: str) -> NoReturn:
    fail(ErrorCode.ILLEGAL_TRANSITION, message, message_zh)


def service_or_fail(state: EngineState, code: str) -> Service:
    svc = state.index.services.get(code)
    if svc is None:
        fail(ErrorCode.NOT_FOUND, f"unknown service {code!r}", f"没有这项业务：{code}")
    return svc


def ticket_or_fail(state: EngineState, ticket_id: str) -> Ticket:
    t = state.tickets.get(ticket_id)
    if t is None:
        fail(ErrorCode.NOT_FOUND, f"unknown ticket {ticket_id!r}", "找不到这张号票")
    return t


def window_or_fail(state: EngineState, window_id: str) -> WindowRt:
    rt = state.windows.get(window_id)
    if rt is None:
        fail(ErrorCode.NOT_FOUND, f"unknown window {window_id!r}", f"没有这个窗口：{window_id}")
    return rt


def current_or_fail(state: EngineState, window_id: str, named: str | None) -> Ticket:
    """The window's current ticket; ``named``, when given, must be it (a stale screen acts on nobody else)."""
    rt = window_or_fail(state, window_id)
    if rt.current is None:
        illegal(f"window {window_id} has no current ticket", "本窗口当前没有号")
    if named is not None and named != rt.current:
        illegal(f"ticket {named} is not the current ticket of window {window_id}", "该号不是本窗口当前的号")
    return state.tickets[rt.current]


def free_window(state: EngineState, window_id: str) -> WindowRt:
    """A window that can take a ticket now: open, not paused, holding none."""
    rt = window_or_fail(state, window_id)
    if not rt.open:
        illegal(f"window {window_id} is closed", "窗口未开启")
    if rt.paused:
        illegal(f"window {window_id} is paused", "窗口已暂停")
    if rt.current is not None:
        illegal(f"window {window_id} still has ticket {rt.current}", "请先处理本窗口当前的号")
    return rt


def skilled_or_fail(state: EngineState, window_id: str, t: Ticket) -> None:
    if state.index.skill(window_id, t.service) <= 0:
        illegal(f"window {window_id} does not serve {t.service}", "本窗口不办理该业务")


def steps_or_fail(state: EngineState, service: str, steps: tuple[str, ...]) -> tuple[str, ...]:
    """The visit's services, ``service`` first (a single-service visit when ``steps`` is empty)."""
    service_or_fail(state, service)
    if not steps:
        return (service,)
    if steps[0] != service:
        fail(ErrorCode.MALFORMED, "steps must start with the ticket's service", "办理步骤须以所选业务开始")
    if len(steps) > MAX_STEPS:
        fail(ErrorCode.MALFORMED, f"at most {MAX_STEPS} steps per visit", f"一次最多办理{MAX_STEPS}项")
    for s in steps:
        service_or_fail(state, s)
    return steps
