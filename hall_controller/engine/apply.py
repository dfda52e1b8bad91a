"""``apply(state, event) -> state``: the only place the state changes (the manager's changes: ``apply_hall``).
Pure; no checks (``handle`` checked).

``handle`` folds these very functions over the events it decides, so replaying the log over
``EngineState.initial`` gives exactly the live state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from hall_controller.engine import apply_hall as hall
from hall_controller.engine import events as ev
from hall_controller.engine.estimates import learn_call, learn_wait
from hall_controller.engine.persistent import PMap, PSortedList
from hall_controller.engine.state import (
    Appointment,
    ConfigIndex,
    EngineState,
    Lease,
    QueueKey,
    ServiceStats,
    StepRecord,
    Ticket,
    WindowRt,
)
from hall_protocol.hall import CallView
from hall_protocol.tickets import TicketState

_RECENT_CALLS = 20
_ZONE_CALLS = 10

_replace = msgspec.structs.replace


def apply(state: EngineState, event: ev.Event) -> EngineState:
    new = _APPLIERS[type(event)](state, event)
    rid = event.request_id
    if rid and rid not in new.seen_today:
        new = _replace(new, seen_today=new.seen_today.set(rid, True))
    return new


def fold(state: EngineState, events: Iterable[ev.Event]) -> EngineState:
    """Apply ``events`` in order (rebuilding from the log is ``fold(EngineState.initial(...), log)``)."""
    for e in events:
        state = apply(state, e)
    return state


# helpers ----------------------------------------------------------------------------------------


def _enqueue(queues: dict[str, PSortedList[QueueKey]], t: Ticket) -> dict[str, PSortedList[QueueKey]]:
    q = dict(queues)
    q[t.service] = q[t.service].add(t.key)
    return q


def _dequeue(queues: dict[str, PSortedList[QueueKey]], t: Ticket) -> dict[str, PSortedList[QueueKey]]:
    q = dict(queues)
    q[t.service] = q[t.service].remove(t.key)
    return q


def _free_window(state: EngineState, t: Ticket, at: float, served: int = 0) -> dict[str, WindowRt]:
    """The window holding ``t`` (if any) becomes idle."""
    if t.window_id is None:
        return state.windows
    rt = state.windows[t.window_id]
    if rt.current != t.ticket_id:
        return state.windows
    return hall.set_window(state.windows, t.window_id, current=None, idle_since=at, served=rt.served + served)


def _served_s(t: Ticket, at: float) -> float:
    return t.served_s + (at - t.started_at if t.started_at is not None else 0.0)


def _record(t: Ticket, at: float, outcome: str) -> tuple[StepRecord, ...]:
    return (
        *t.history,
        StepRecord(
            service=t.service,
            window_id=t.window_id,
            called_at=t.called_at,
            started_at=t.started_at,
            ended_at=at,
            served_s=_served_s(t, at),
            outcome=outcome,
        ),
    )


def _requeued(t: Ticket, **changes: Any) -> Ticket:
    """``t`` waiting again (next step, transfer, recycled no-show): the call fields start afresh."""
    return _replace(
        t,
        state=TicketState.WAITING,
        called_at=None,
        last_call_at=None,
        recall_count=0,
        started_at=None,
        served_s=0.0,
        park_reason="",
        **changes,
    )


def _unreserved(reserved: dict[str, str], ticket_id: str) -> dict[str, str]:
    return {k: v for k, v in reserved.items() if k != ticket_id} if ticket_id in reserved else reserved


def _push_call(state: EngineState, zone: str, call: CallView) -> dict[str, Any]:
    zone_calls = dict(state.zone_calls)
    zone_calls[zone] = (call, *zone_calls.get(zone, ())[: _ZONE_CALLS - 1])
    return {"recent_calls": (call, *state.recent_calls[: _RECENT_CALLS - 1]), "zone_calls": zone_calls}


# appliers ---------------------------------------------------------------------------------------


def _day_started(s: EngineState, e: ev.DayStarted) -> EngineState:
    appointments: PMap[str, Appointment] = s.appointments
    for appt_id, appt in sorted(s.appointments.items()):
        if appt.slot_start < e.day_start:
            appointments = appointments.delete(appt_id)
    windows = {
        wid: _replace(rt, current=None, idle_since=e.at) if rt.current is not None else rt
        for wid, rt in s.windows.items()
    }
    # Yesterday's ids stay answerable only when the new day follows it directly.
    keep = s.seen_today if abs(e.day_start - s.day_end) < 1.0 else PMap[str, bool]()
    index = s.index if s.config is s.plan else ConfigIndex(s.plan)  # the console's changes were for the day
    return _replace(
        s,
        index=index,
        alert_acks={},
        day=e.day,
        day_start=e.day_start,
        day_end=e.day_end,
        tickets=PMap(),
        queues={code: PSortedList() for code in s.queues},
        windows=windows,
        counters={},
        issued={},
        leases={},
        appointments=appointments,
        stats=index.seed_stats(),
        seen_today=PMap(),
        seen_before=keep,
        recent_calls=(),
        zone_calls={},
        turns={},
        flow={},
        calibration={},
        reserved={},
    )


def _ticket_issued(s: EngineState, e: ev.TicketIssued) -> EngineState:
    t = Ticket(
        ticket_id=e.ticket_id,
        number=e.number,
        day=s.day,
        service=e.service,
        steps=e.steps,
        step_index=0,
        priority=e.priority,
        state=TicketState.WAITING,
        arrival=e.arrival,
        order_time=e.order_time,
        deadline=e.deadline,
        issued_at=e.at,
        source_device=e.source_device,
        lease_id=e.lease_id,
        appointment_id=e.appointment_id,
        masked_name=e.masked_name,
        token=e.token,
        lang=e.lang,
        est_s=e.est_s,
    )
    counters = dict(s.counters)
    counters[e.prefix] = max(counters.get(e.prefix, 0), e.seq)
    issued = dict(s.issued)
    issued[e.service] = issued.get(e.service, 0) + 1
    changes: dict[str, Any] = {}
    if e.lease_id is not None:
        leases = dict(s.leases)
        lease = leases[e.lease_id]
        leases[e.lease_id] = _replace(lease, used=lease.used | {e.seq})
        changes["leases"] = leases
    if e.appointment_id is not None:
        appt = s.appointments[e.appointment_id]
        changes["appointments"] = s.appointments.set(e.appointment_id, _replace(appt, ticket_id=e.ticket_id))
    return _replace(
        s,
        tickets=s.tickets.set(t.ticket_id, t),
        queues=_enqueue(s.queues, t),
        counters=counters,
        issued=issued,
        **changes,
    )


def _appointment_registered(s: EngineState, e: ev.AppointmentRegistered) -> EngineState:
    appt = Appointment(
        appointment_id=e.appointment_id,
        service=e.service,
        steps=e.steps,
        slot_start=e.slot_start,
        masked_name=e.masked_name,
        id_lookup=e.id_lookup,
    )
    return _replace(s, appointments=s.appointments.set(e.appointment_id, appt))


def _appointment_cancelled(s: EngineState, e: ev.AppointmentCancelled) -> EngineState:
    return _replace(s, appointments=s.appointments.delete(e.appointment_id))


def _block_leased(s: EngineState, e: ev.BlockLeased) -> EngineState:
    lease = Lease(
        lease_id=e.lease_id,
        device_id=e.device_id,
        service=e.service,
        prefix=e.prefix,
        day=e.day,
        first=e.first,
        last=e.last,
        granted_at=e.at,
    )
    counters = dict(s.counters)
    counters[e.prefix] = max(counters.get(e.prefix, 0), e.last)
    leases = dict(s.leases)
    leases[e.lease_id] = lease
    return _replace(s, counters=counters, leases=leases)


def _call_view(e: ev.TicketCalled | ev.TicketRecalled, recall_count: int) -> CallView:
    return CallView(
        call_id=e.call_id,
        ticket_id=e.ticket_id,
        number=e.number,
        window_id=e.window_id,
        window_name=e.window_name,
        zone=e.zone,
        masked_name=e.masked_name,
        recall_count=recall_count,
        ts=e.at,
    )


def _ticket_called(s: EngineState, e: ev.TicketCalled) -> EngineState:
    t = s.tickets[e.ticket_id]
    queues = _dequeue(s.queues, t)
    t = _replace(
        t,
        state=TicketState.CALLED,
        window_id=e.window_id,
        called_at=e.at,
        last_call_at=e.at,
        call_count=t.call_count + 1,
        recall_count=0,
    )
    changes = _push_call(s, e.zone, _call_view(e, 0))
    changes["flow"] = learn_call(s.flow, e.service, e.at, bool(queues[e.service]))
    if t.call_count == 1 and t.step_index == 0 and t.no_show_count == 0 and t.transfer_count == 0:
        changes["calibration"] = learn_wait(s.calibration, e.service, e.at - t.issued_at, t.est_s)
    if e.turns is not None:
        turns = dict(s.turns)
        turns[e.service] = e.turns
        changes["turns"] = turns
    return _replace(
        s,
        tickets=s.tickets.set(t.ticket_id, t),
        queues=queues,
        windows=hall.set_window(s.windows, e.window_id, current=t.ticket_id),
        reserved=_unreserved(s.reserved, t.ticket_id),
        **changes,
    )


def _ticket_recalled(s: EngineState, e: ev.TicketRecalled) -> EngineState:
    t = s.tickets[e.ticket_id]
    t = _replace(
        t,
        state=TicketState.RECALLED,
        last_call_at=e.at,
        call_count=t.call_count + 1,
        recall_count=e.recall_count,
    )
    return _replace(s, tickets=s.tickets.set(t.ticket_id, t), **_push_call(s, e.zone, _call_view(e, e.recall_count)))


def _service_started(s: EngineState, e: ev.ServiceStarted) -> EngineState:
    t = _replace(s.tickets[e.ticket_id], state=TicketState.SERVING, started_at=e.at)
    return _replace(s, tickets=s.tickets.set(t.ticket_id, t))


def _learn(s: EngineState, service: str, x: float) -> dict[str, ServiceStats]:
    alpha = s.config.estimates.ewma_alpha
    old = s.stats[service]
    diff = x - old.mean
    incr = alpha * diff
    stats = dict(s.stats)
    stats[service] = ServiceStats(mean=old.mean + incr, var=(1 - alpha) * (old.var + diff * incr), n=old.n + 1)
    return stats


def _step_finished(s: EngineState, e: ev.StepFinished) -> EngineState:
    t = s.tickets[e.ticket_id]
    windows = _free_window(s, t, e.at, served=1)
    history = _record(t, e.at, "finished")
    history += tuple(
        StepRecord(service=code, window_id=e.window_id, called_at=t.called_at, started_at=t.started_at,
                   ended_at=e.at, served_s=0.0, outcome="finished")
        for code in e.also_done
    )
    queues = s.queues
    if e.next_service is not None:
        t = _requeued(
            t,
            service=e.next_service,
            step_index=t.step_index + 1 + len(e.also_done),
            deadline=e.next_deadline,
            history=history,
        )
        queues = _enqueue(queues, t)
    else:
        t = _replace(t, state=TicketState.FINISHED, finished_at=e.at, ended_at=e.at, history=history)
    return _replace(
        s,
        tickets=s.tickets.set(t.ticket_id, t),
        queues=queues,
        windows=windows,
        stats=_learn(s, e.service, e.duration_s),
    )


def _ticket_no_show(s: EngineState, e: ev.TicketNoShow) -> EngineState:
    t = s.tickets[e.ticket_id]
    windows = _free_window(s, t, e.at)
    queues = s.queues
    if e.recycled:
        t = _requeued(t, order_time=e.order_time, deadline=e.deadline, no_show_count=t.no_show_count + 1)
        queues = _enqueue(queues, t)
    else:
        t = _replace(t, state=TicketState.NO_SHOW, no_show_count=t.no_show_count + 1, ended_at=e.at)
    return _replace(s, tickets=s.tickets.set(t.ticket_id, t), queues=queues, windows=windows)


def _ticket_transferred(s: EngineState, e: ev.TicketTransferred) -> EngineState:
    t = s.tickets[e.ticket_id]
    queues = _dequeue(s.queues, t) if t.state is TicketState.WAITING else s.queues
    windows = _free_window(s, t, e.at)
    history = _record(t, e.at, "transferred") if t.state is not TicketState.WAITING else t.history
    steps = (*t.steps[: t.step_index], e.to_service, *t.steps[t.step_index + 1 :])
    t = _requeued(
        t,
        service=e.to_service,
        steps=steps,
        deadline=e.deadline,
        transfer_count=t.transfer_count + 1,
        history=history,
    )
    reserved = _unreserved(s.reserved, t.ticket_id)
    if e.to_window is not None:
        reserved = {**reserved, t.ticket_id: e.to_window}
    return _replace(s, tickets=s.tickets.set(t.ticket_id, t), queues=_enqueue(queues, t), windows=windows,
                    reserved=reserved)


def _ticket_parked(s: EngineState, e: ev.TicketParked) -> EngineState:
    t = s.tickets[e.ticket_id]
    windows = _free_window(s, t, e.at)
    t = _replace(
        t,
        state=TicketState.PARKED,
        served_s=_served_s(t, e.at),
        started_at=None,
        park_reason=e.reason,
    )
    return _replace(s, tickets=s.tickets.set(t.ticket_id, t), windows=windows)


def _ticket_resumed(s: EngineState, e: ev.TicketResumed) -> EngineState:
    t = _replace(
        s.tickets[e.ticket_id],
        state=TicketState.SERVING,
        window_id=e.window_id,
        started_at=e.at,
        park_reason="",
    )
    return _replace(
        s,
        tickets=s.tickets.set(t.ticket_id, t),
        windows=hall.set_window(s.windows, e.window_id, current=t.ticket_id),
    )


def _ticket_cancelled(s: EngineState, e: ev.TicketCancelled) -> EngineState:
    t = s.tickets[e.ticket_id]
    queues = _dequeue(s.queues, t) if t.state is TicketState.WAITING else s.queues
    windows = _free_window(s, t, e.at)
    t = _replace(t, state=TicketState.CANCELLED, ended_at=e.at)
    return _replace(s, tickets=s.tickets.set(t.ticket_id, t), queues=queues, windows=windows,
                    reserved=_unreserved(s.reserved, t.ticket_id))


def _ticket_rated(s: EngineState, e: ev.TicketRated) -> EngineState:
    t = s.tickets[e.ticket_id]
    t = _replace(t, ratings=(*t.ratings, (e.step, e.level)))
    return _replace(s, tickets=s.tickets.set(t.ticket_id, t))


_APPLIERS: dict[type[Any], Callable[[EngineState, Any], EngineState]] = {
    ev.DayStarted: _day_started,
    ev.TicketIssued: _ticket_issued,
    ev.AppointmentRegistered: _appointment_registered,
    ev.AppointmentCancelled: _appointment_cancelled,
    ev.BlockLeased: _block_leased,
    ev.TicketCalled: _ticket_called,
    ev.TicketRecalled: _ticket_recalled,
    ev.ServiceStarted: _service_started,
    ev.StepFinished: _step_finished,
    ev.TicketNoShow: _ticket_no_show,
    ev.TicketTransferred: _ticket_transferred,
    ev.TicketParked: _ticket_parked,
    ev.TicketResumed: _ticket_resumed,
    ev.TicketCancelled: _ticket_cancelled,
    ev.TicketRated: _ticket_rated,
    ev.StaffLoggedIn: hall.logged_in,
    ev.StaffLoggedOut: hall.logged_out,
    ev.WindowOpened: hall.opened,
    ev.WindowClosed: hall.closed,
    ev.WindowPaused: hall.paused,
    ev.WindowResumed: hall.resumed,
    ev.WindowSkillsSet: hall.window_skills_set,
    ev.ServiceLimitsSet: hall.service_limits_set,
    ev.NoticesSet: hall.notices_set,
    ev.AlertAcknowledged: hall.alert_acknowledged,
}
