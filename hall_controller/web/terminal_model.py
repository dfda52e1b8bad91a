"""What the window terminal shows, built from the engine's state: the page's data and its JSON twin.

Waiting tickets carry numbers, services and waits only: no names before a ticket is called, so staff cannot
pick whom to serve. Times are epoch seconds; the page counts the timers on from ``now``.
"""

from __future__ import annotations

import msgspec

from hall_controller.engine.lifecycle import TicketOp, allows
from hall_controller.engine.state import EngineState, Ticket
from hall_controller.engine.views import window_state
from hall_protocol.hall_config import HallConfig
from hall_protocol.tickets import Priority, TicketState, WindowOp

NEXT_SHOWN = 8


class Named(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str


class ServiceLine(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    waiting: int


class WindowChoice(msgspec.Struct, frozen=True, kw_only=True):
    window_id: str
    name: str
    zone: str
    services: tuple[str, ...]
    state: str  # closed, open, paused, calling, serving
    holder: str | None  # the account logged in there
    holder_name: str | None  # its display name
    mine: bool
    free: bool  # nobody logged in: picking it logs you in


class PickData(msgspec.Struct, frozen=True, kw_only=True):
    """Before a window is chosen."""

    staff: str
    windows: tuple[WindowChoice, ...]


class Step(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    done: bool
    current: bool
    here: bool  # this window serves it: it may be finished in the same sitting


class CurrentTicket(msgspec.Struct, frozen=True, kw_only=True):
    ticket_id: str
    number: str
    service: str
    service_name: str
    state: TicketState
    priority: Priority
    masked_name: str  # shown once called (the call screens show it too)
    step: int  # 1-based step of the visit
    steps: tuple[Step, ...]
    also_doable: tuple[Step, ...]  # the next steps this window serves, in a row: finish may do them too
    waited_s: int  # from arrival (or the previous step's end) to the first call
    called_at: float
    serving_since: float | None  # start of service, less time served before a park; None until started
    recall_count: int
    recall_limit: int
    transferred: bool
    materials: tuple[str, ...]


class QueuedTicket(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    service_name: str
    waiting_since: float
    priority: Priority
    sent_here: bool  # transferred to this window by name


class ParkedTicket(msgspec.Struct, frozen=True, kw_only=True):
    ticket_id: str
    number: str
    service_name: str
    reason: str


class Counts(msgspec.Struct, frozen=True, kw_only=True):
    served: int  # steps finished at this window today
    no_shows: int
    transferred_out: int
    avg_service_s: int
    waiting: int  # waiting now for this window's services


class TerminalData(msgspec.Struct, frozen=True, kw_only=True):
    window_id: str
    window_name: str
    state: str  # closed, open, paused, calling, serving
    pause_reason: str
    holder: str | None
    services: tuple[ServiceLine, ...]
    current: CurrentTicket | None
    next: tuple[QueuedTicket, ...]
    parked: tuple[ParkedTicket, ...]
    counts: Counts
    actions: tuple[WindowOp, ...]  # what may be done now (the others are shown disabled)
    transfer_services: tuple[Named, ...]
    transfer_windows: tuple[Named, ...]
    now: float


def _name(config: HallConfig, code: str, lang: str) -> str:
    svc = config.service(code)
    return svc.name_en if lang == "en" else svc.name_zh


def waiting_since(t: Ticket) -> float:
    """When the ticket's current wait began: its arrival, or the end of its previous step."""
    return t.history[-1].ended_at if t.history else t.arrival


def pick_data(state: EngineState, staff: str, lang: str, names: dict[str, str] | None = None) -> PickData:
    """The windows to choose from; ``names`` gives the display name of an account logged in somewhere."""
    names = names or {}
    windows = []
    for w in state.config.windows:
        rt = state.windows[w.id]
        windows.append(WindowChoice(
            window_id=w.id, name=w.name_en if lang == "en" else w.name_zh, zone=w.zone,
            services=tuple(_name(state.config, code, lang) for _wt, code in state.index.window_skills[w.id]),
            state=window_state(state, rt), holder=rt.staff_id,
            holder_name=names.get(rt.staff_id, rt.staff_id) if rt.staff_id is not None else None,
            mine=rt.staff_id == staff, free=rt.staff_id is None,
        ))
    return PickData(staff=staff, windows=tuple(windows))


def terminal_data(state: EngineState, window_id: str, now: float, lang: str) -> TerminalData:
    config, index = state.config, state.index
    window = index.windows[window_id]
    rt = state.windows[window_id]
    skills = index.window_skills[window_id]
    current = state.tickets[rt.current] if rt.current is not None else None
    parked = tuple(
        ParkedTicket(ticket_id=t.ticket_id, number=t.number, service_name=_name(config, t.service, lang),
                     reason=t.park_reason)
        for t in sorted(state.tickets.values(), key=lambda t: t.number)
        if t.state is TicketState.PARKED and t.window_id == window_id
    )
    return TerminalData(
        window_id=window_id,
        window_name=window.name_en if lang == "en" else window.name_zh,
        state=window_state(state, rt),
        pause_reason=rt.pause_reason,
        holder=rt.staff_id,
        services=tuple(ServiceLine(code=code, name=_name(config, code, lang), waiting=len(state.queues[code]))
                       for _wt, code in skills),
        current=_current(state, window_id, current, lang) if current is not None else None,
        next=_next(state, window_id, now, lang),
        parked=parked,
        counts=_counts(state, window_id),
        actions=_actions(state, window_id, current, bool(parked)),
        transfer_services=tuple(Named(id=s.code, name=s.name_en if lang == "en" else s.name_zh)
                                for s in config.services),
        transfer_windows=tuple(Named(id=w.id, name=w.name_en if lang == "en" else w.name_zh)
                               for w in config.windows if w.id != window_id),
        now=now,
    )


def _current(state: EngineState, window_id: str, t: Ticket, lang: str) -> CurrentTicket:
    config = state.config
    called_at = t.called_at if t.called_at is not None else t.issued_at
    steps = tuple(
        Step(code=code, name=_name(config, code, lang), done=i < t.step_index, current=i == t.step_index,
             here=state.index.skill(window_id, code) > 0)
        for i, code in enumerate(t.steps)
    )
    also_doable: list[Step] = []
    for s in steps[t.step_index + 1:]:
        if not s.here:
            break
        also_doable.append(s)
    return CurrentTicket(
        ticket_id=t.ticket_id,
        number=t.number,
        service=t.service,
        service_name=_name(config, t.service, lang),
        state=t.state,
        priority=t.priority,
        masked_name=t.masked_name,
        step=t.step_index + 1,
        steps=steps,
        also_doable=tuple(also_doable),
        waited_s=max(0, round(called_at - waiting_since(t))),
        called_at=called_at,
        serving_since=t.started_at - t.served_s if t.started_at is not None else None,
        recall_count=t.recall_count,
        recall_limit=config.calling.recall_limit,
        transferred=t.transfer_count > 0,
        materials=config.service(t.service).materials,
    )


def _next(state: EngineState, window_id: str, now: float, lang: str) -> tuple[QueuedTicket, ...]:
    """The tickets this window would call next, in about the order it would (``selection.pick_next``: sent
    here first, then overdue ones, then the best skill tier)."""
    reserved = state.reserved
    here = sorted(state.tickets[tid].key for tid, w in reserved.items() if w == window_id)
    ranked = []
    for weight, code in state.index.window_skills[window_id]:
        for key in state.queues[code].head(NEXT_SHOWN + len(reserved)):
            if key[3] not in reserved:
                ranked.append((key[0] > now, -weight if key[0] > now else 0.0, key))
    keys = here + [key for *_rank, key in sorted(ranked)]
    out = []
    for key in keys[:NEXT_SHOWN]:
        t = state.tickets[key[3]]
        out.append(QueuedTicket(number=t.number, service_name=_name(state.config, t.service, lang),
                                waiting_since=waiting_since(t), priority=t.priority,
                                sent_here=reserved.get(t.ticket_id) == window_id))
    return tuple(out)


def _counts(state: EngineState, window_id: str) -> Counts:
    served = timed = no_shows = transferred = 0
    service_s = 0.0
    for t in state.tickets.values():
        for r in t.history:
            if r.window_id != window_id:
                continue
            if r.outcome == "finished":
                served += 1
                if r.served_s > 0:  # steps done in the same sitting carry no time of their own
                    timed += 1
                    service_s += r.served_s
            elif r.outcome == "transferred":
                transferred += 1
        if t.state is TicketState.NO_SHOW and t.window_id == window_id:
            no_shows += 1
    waiting = sum(len(state.queues[code]) for _wt, code in state.index.window_skills[window_id])
    return Counts(served=served, no_shows=no_shows, transferred_out=transferred,
                  avg_service_s=round(service_s / timed) if timed else 0, waiting=waiting)


def _actions(state: EngineState, window_id: str, current: Ticket | None, has_parked: bool) -> tuple[WindowOp, ...]:
    rt = state.windows[window_id]
    ops: list[WindowOp] = []
    if current is None:
        if rt.active:
            ops.append(WindowOp.CALL_NEXT)
            if has_parked:
                ops.append(WindowOp.UNPARK)
        ops.append(WindowOp.LOGOUT)
    else:
        s = current.state
        if allows(s, TicketOp.RECALL) and current.recall_count < state.config.calling.recall_limit:
            ops.append(WindowOp.RECALL)
        for op, top in ((WindowOp.START, TicketOp.START), (WindowOp.FINISH, TicketOp.FINISH),
                        (WindowOp.NO_SHOW, TicketOp.NO_SHOW), (WindowOp.TRANSFER, TicketOp.TRANSFER),
                        (WindowOp.PARK, TicketOp.PARK)):
            if allows(s, top):
                ops.append(op)
    if rt.open and not rt.paused:
        ops.append(WindowOp.PAUSE)
    if rt.paused:
        ops.append(WindowOp.RESUME)
    if not rt.open and rt.staff_id is not None:
        ops.append(WindowOp.OPEN)
    return tuple(ops)
