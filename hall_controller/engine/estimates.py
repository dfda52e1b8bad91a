"""Position and estimated wait of a waiting ticket (method and limits: docs/estimates.md).

Computed on read from the current state, so every event is reflected; nothing is stored per ticket.
"""

from __future__ import annotations

import math

import msgspec

from hall_controller.engine.errors import EngineError
from hall_controller.engine.state import Calibration, EngineState, Flow, Ticket
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Priority, TicketState

_Z = 1.2816  # two-sided 80 % band of a normal distribution
OFFSET_S = 60.0  # errors are compared as log((wait + c) / (estimate + c)): relative, but not for tiny waits
PRIOR_SD = 0.35  # the log-ratio spread assumed before enough of the day's tickets were called
MIN_CALIBRATION = 5  # a service's own calibration is used from this many first calls (the hall's before)
MIN_INTERVALS = 3  # the queue's measured pace is used from this many busy intervals
CALIBRATION_ALPHA = 0.1
FLOW_ALPHA = 0.2


class Estimate(msgspec.Struct, frozen=True, kw_only=True):
    seconds: float
    low: float
    high: float
    basis: str = "open"
    """"open": from the windows open now; "configured": none is open, so from every window configured
    for the service (wider band); "none": no window serves it at all (seconds is 0, meaningless)."""


def position(state: EngineState, ticket_id: str) -> int:
    """1 = next in its service's queue (or, transferred to a window, among those sent there); 0 when the
    ticket is not waiting."""
    t = _ticket(state, ticket_id)
    if t.state is not TicketState.WAITING:
        return 0
    window = state.reserved.get(ticket_id)
    if window is not None:
        return 1 + sum(1 for tid, w in state.reserved.items() if w == window and state.tickets[tid].key < t.key)
    return state.queues[t.service].rank(t.key) + 1


def estimate(state: EngineState, ticket_id: str, now: float) -> Estimate:
    t = _ticket(state, ticket_id)
    if t.state is not TicketState.WAITING:
        return Estimate(seconds=0.0, low=0.0, high=0.0)
    return estimate_at(state, t.service, position(state, ticket_id), now, t.deadline)


def estimate_new(state: EngineState, service: str, now: float) -> Estimate:
    """What a ticket of the normal class taken now would be told (for the hall screen and routing)."""
    deadline = now + state.index.bounds_s[Priority.NORMAL]
    return estimate_at(state, service, len(state.queues[service]) + 1, now, deadline)


def estimate_at(state: EngineState, service: str, pos: int, now: float, deadline: float) -> Estimate:
    raw, basis = _raw(state, service, max(pos - 1, 0), now, deadline)
    if basis == "none":
        return Estimate(seconds=0.0, low=0.0, high=0.0, basis="none")
    mean, sd = _calibration(state, service, raw == 0)
    base = raw + OFFSET_S
    low = max(base * math.exp(mean - _Z * sd) - OFFSET_S, 0.0)
    high = max(base * math.exp(mean + _Z * sd) - OFFSET_S, 0.0)
    seconds = min(max(raw, low), high)
    if basis == "configured":
        high *= 2
    return Estimate(seconds=seconds, low=low, high=high, basis=basis)


def raw_estimate(state: EngineState, service: str, ahead: int, now: float, deadline: float) -> float:
    """The uncalibrated wait of a ticket with ``ahead`` tickets before it (kept at issue, learned from)."""
    return _raw(state, service, ahead, now, deadline)[0]


def _raw(state: EngineState, service: str, ahead: int, now: float, deadline: float) -> tuple[float, str]:
    """Time until the queue's next call, plus ``ahead`` times the queue's pace: its measured interval
    between calls once known (the next call is due one interval after the last while the queue stays busy;
    after it emptied, when a window is free), else the expected service time over the windows' capacity;
    never past the time the call order guarantees (the deadline, or one expected service time before it
    under ``onevisit``)."""
    lead = state.stats[service].mean if state.config.routing.call_order == "onevisit" else 0.0
    due = max(deadline - lead - now, 0.0)
    flow = state.flow.get(service)
    if flow is not None and flow.n >= MIN_INTERVALS:
        if flow.busy:  # the queue has not emptied since its last call: the next call is due at its pace
            return min(max(flow.interval - (now - flow.last_call), 0.0) + ahead * flow.interval, due), "open"
        residual = _residual(state, service, now)
        if residual is not None:
            return min(residual + ahead * flow.interval, due), "open"
    capacity, residual, basis = _capacity(state, service, now, only_active=True)
    if capacity <= 0:
        capacity, residual, basis = _capacity(state, service, now, only_active=False)
        if capacity <= 0:
            return 0.0, "none"
    return min(residual + ahead * state.stats[service].mean / capacity, due), basis


def _keys(service: str, idle: bool) -> tuple[str, str]:
    """Calibration keys: the service's and the hall's, apart for tickets that met an idle window (raw
    estimate 0: called at once, nearly always) and the others."""
    return (f"{service}:idle", "*:idle") if idle else (service, "*")


def _calibration(state: EngineState, service: str, idle: bool) -> tuple[float, float]:
    """(mean, sd) of today's log-ratio of waits to estimates: the service's, else the hall's, else none."""
    for key in _keys(service, idle):
        cal = state.calibration.get(key)
        if cal is not None and cal.n >= MIN_CALIBRATION:
            return cal.mean, math.sqrt(max(cal.var, 0.0))
    return 0.0, PRIOR_SD


def learn_wait(
    calibration: dict[str, Calibration], service: str, waited: float, estimated: float
) -> dict[str, Calibration]:
    """``calibration`` after a ticket estimated at ``estimated`` seconds was first called after ``waited``."""
    x = math.log((max(waited, 0.0) + OFFSET_S) / (estimated + OFFSET_S))
    out = dict(calibration)
    for key in _keys(service, estimated == 0):
        old = out.get(key) or Calibration(var=PRIOR_SD**2)
        diff = x - old.mean
        incr = CALIBRATION_ALPHA * diff
        out[key] = Calibration(
            mean=old.mean + incr, var=(1 - CALIBRATION_ALPHA) * (old.var + diff * incr), n=old.n + 1
        )
    return out


def learn_call(flow: dict[str, Flow], service: str, at: float, left_waiting: bool) -> dict[str, Flow]:
    """``flow`` after a call from ``service`` at ``at`` that left somebody waiting or not."""
    old = flow.get(service)
    out = dict(flow)
    if old is None or not old.busy:
        out[service] = Flow(
            last_call=at,
            busy=left_waiting,
            interval=old.interval if old else 0.0,
            var=old.var if old else 0.0,
            n=old.n if old else 0,
        )
        return out
    x = at - old.last_call
    if old.n == 0:
        interval, var = x, 0.0
    else:
        diff = x - old.interval
        incr = FLOW_ALPHA * diff
        interval, var = old.interval + incr, (1 - FLOW_ALPHA) * (old.var + diff * incr)
    out[service] = Flow(last_call=at, busy=left_waiting, interval=interval, var=var, n=old.n + 1)
    return out


def _residual(state: EngineState, service: str, now: float) -> float | None:
    """Time until one of the active windows serving ``service`` is free (0 if one is idle); None if none is
    active."""
    residual: float | None = None
    stats = state.stats
    for window_id, _ in state.index.service_windows[service]:
        rt = state.windows[window_id]
        if not rt.active:
            continue
        if rt.current is None:
            return 0.0
        cur = state.tickets[rt.current]
        cur_mean = stats[cur.service].mean
        elapsed = cur.served_s + (now - cur.started_at if cur.started_at is not None else 0.0)
        remaining = max(cur_mean - elapsed, 0.1 * cur_mean)
        residual = remaining if residual is None else min(residual, remaining)
    return residual


def _capacity(state: EngineState, service: str, now: float, *, only_active: bool) -> tuple[float, float, str]:
    """Effective number of windows working on ``service`` and the expected time until one is free.

    A window serving several services gives each a share proportional to skill weight × queue length.
    """
    queues, windows, stats = state.queues, state.windows, state.stats
    capacity = 0.0
    residual: float | None = None
    for window_id, weight in state.index.service_windows[service]:
        rt = windows[window_id]
        if only_active and not rt.active:
            continue
        own = weight * max(len(queues[service]), 1)
        total = own + sum(
            wt * len(queues[code]) for wt, code in state.index.window_skills[window_id] if code != service
        )
        capacity += own / total
        remaining = 0.0
        if only_active and rt.current is not None:
            cur = state.tickets[rt.current]
            cur_mean = stats[cur.service].mean
            elapsed = cur.served_s + (now - cur.started_at if cur.started_at is not None else 0.0)
            remaining = max(cur_mean - elapsed, 0.1 * cur_mean)
        elif not only_active:
            remaining = stats[service].mean / 2
        residual = remaining if residual is None else min(residual, remaining)
    return capacity, residual or 0.0, "open" if only_active else "configured"


def _ticket(state: EngineState, ticket_id: str) -> Ticket:
    t = state.tickets.get(ticket_id)
    if t is None:
        raise EngineError(ErrorCode.NOT_FOUND, f"unknown ticket {ticket_id!r}", "找不到这张号票")
    return t
