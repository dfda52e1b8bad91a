"""``handle(state, command, now) -> (state, events)``: check a command, decide its events, apply them.

Pure and deterministic: the result depends only on the arguments. A refused command raises
:class:`EngineError` and changes nothing. A command whose ``request_id`` was already handled returns the
same state and no events (the service answers it with the reply it stored the first time).
The first command of a new local day that changes anything is preceded by a ``DayStarted`` event.

The rules live by subject: ``rules_tickets`` (issue, cancel, rate, transfer, park), ``rules_windows``
(session, calls and the current ticket), ``rules_appointments``, ``rules_leases`` (offline blocks),
``rules_hall`` (the manager's changes for the day: a window's services, a service's limits, notices); their
shared checks in ``checks``, the ticket-state table in ``lifecycle``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine import rules_appointments as appointments
from hall_controller.engine import rules_hall as hall
from hall_controller.engine import rules_leases as leases
from hall_controller.engine import rules_tickets as tickets
from hall_controller.engine import rules_windows as windows
from hall_controller.engine.apply import apply
from hall_controller.engine.checks import fail
from hall_controller.engine.clock import day_bounds, local_date
from hall_controller.engine.state import EngineState
from hall_protocol.errors import ErrorCode


def handle(state: EngineState, command: cmd.Command, now: float) -> tuple[EngineState, list[ev.Event]]:
    rid = command.request_id
    if not rid:
        fail(ErrorCode.MALFORMED, "request_id must not be empty", "请求缺少编号")
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
    decided = _RULES[type(command)](state, command, now)
    if not decided:  # a no-op (a sweep with nothing to do) changes nothing, not even the day
        return original, []
    for e in decided:
        state = apply(state, e)
    events.extend(decided)
    return state, events


_RULES: dict[type[Any], Callable[[EngineState, Any, float], list[ev.Event]]] = {
    cmd.IssueTicket: tickets.issue,
    cmd.RegisterAppointment: appointments.register,
    cmd.CancelAppointment: appointments.cancel,
    cmd.CheckIn: appointments.check_in,
    cmd.CancelTicket: tickets.cancel,
    cmd.LeaseBlock: leases.lease,
    cmd.RecordRating: tickets.rate,
    cmd.Transfer: tickets.transfer,
    cmd.SweepCalls: windows.sweep,
    cmd.Login: windows.login,
    cmd.Logout: windows.logout,
    cmd.OpenWindow: windows.open_window,
    cmd.CloseWindow: windows.close_window,
    cmd.PauseWindow: windows.pause,
    cmd.ResumeWindow: windows.resume,
    cmd.CallNext: windows.call_next,
    cmd.CallTicket: windows.call_ticket,
    cmd.Recall: windows.recall,
    cmd.StartService: windows.start,
    cmd.FinishService: windows.finish,
    cmd.MarkNoShow: windows.no_show,
    cmd.Park: tickets.park,
    cmd.Unpark: tickets.unpark,
    cmd.SetWindowSkills: hall.set_window_skills,
    cmd.SetServiceLimits: hall.set_service_limits,
    cmd.SetNotices: hall.set_notices,
    cmd.AcknowledgeAlert: hall.acknowledge_alert,
}
