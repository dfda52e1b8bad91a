"""Position and estimated wait of a waiting ticket (method and limits: docs/estimates.md).

Computed on read from the current state, so every event is reflected; nothing is stored per ticket.
"""

from __future__ import annotations

import math

import msgspec

from hall_controller.engine.errors import EngineError
from hall_controller.engine.state import EngineState, Ticket
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import TicketState

_Z = 1.2816  # two-sided 80 % band of a normal distribution
_LOW_SLACK = 0.9  # windows may open, people ahead may leave
_HIGH_SLACK = 1.25  # priority tickets arriving later go ahead; staff pause


class Estimate(msgspec.Struct, frozen=True, kw_only=True):
    seconds: float
    low: float
    high: float
    basis: str = "open"
    """"open": from the windows open now; "configured": none is open, so from every window configured
    for the service (wider band); "none": no window serves it at all (seconds is 0, meaningless)."""


def position(state: EngineState, ticket_id: str) -> int:
    """1 = next in its service's queue; 0 when the ticket is not waiting."""
    t = _ticket(state, ticket_id)
    if t.state is not TicketState.WAITING:
        return 0
    return state.queues[t.service].rank(t.key) + 1


def estimate(state: EngineState, ticket_id: str, now: float) -> Estimate:
    t = _ticket(state, ticket_id)
    if t.state is not TicketState.WAITING:
        return Estimate(seconds=0.0, low=0.0, high=0.0)
    return estimate_at(state, t.service, position(state, ticket_id), now)


def estimate_new(state: EngineState, service: str, now: float) -> Estimate:
    """What a ticket of the normal class taken now would be told (for the hall screen and routing)."""
    return estimate_at(state, service, len(state.queues[service]) + 1, now)


def estimate_at(state: EngineState, service: str, pos: int, now: float) -> Estimate:
    stats = state.stats[service]
    mean, sd = stats.mean, math.sqrt(max(stats.var, 0.0))
    capacity, residual, basis = _capacity(state, service, now, only_active=True)
    if capacity <= 0:
        capacity, residual, basis = _capacity(state, service, now, only_active=False)
        if capacity <= 0:
            return Estimate(seconds=0.0, low=0.0, high=0.0, basis="none")
    ahead = max(pos - 1, 0)
    seconds = residual + ahead * mean / capacity
    spread = _Z * math.sqrt(ahead * sd * sd / (capacity * capacity) + (0.5 * residual) ** 2)
    low = max(0.0, (seconds - spread) * _LOW_SLACK)
    high = (seconds + spread) * _HIGH_SLACK
    if basis == "configured":
        high *= 2
    return Estimate(seconds=seconds, low=low, high=max(high, seconds), basis=basis)


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
