"""The birth of a ticket, whoever asks for it (kiosk, appointment check-in, offline merge): its number,
its opaque id and status token (``ids.py``), its deadline.

A ticket merged from an offline block keeps the id its kiosk gave it while offline, ``{day}-{number}``
(``edge_agent.offline.provisional_reply``): the kiosk holds no secret, and a rating it queued names that
id. Its token is keyed like any other.
"""

from __future__ import annotations

from hall_controller.engine import events as ev
from hall_controller.engine.checks import fail
from hall_controller.engine.estimates import raw_estimate
from hall_controller.engine.state import EngineState
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Priority

MAX_NUMBER = 9999


def next_number(state: EngineState, prefix: str) -> int:
    n = state.counters.get(prefix, 0) + 1
    if n > MAX_NUMBER:
        fail(ErrorCode.CAP_REACHED, f"prefix {prefix} has no numbers left today", "今日号码已用完")
    return n


def issued_event(
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
    deadline = order_time + state.index.bounds_s[priority]
    number = f"{prefix}{seq:03d}"
    ticket_id, token = state.keys.derive(state.day, number, request_id)
    if lease_id is not None:
        ticket_id = f"{state.day}-{number}"
    return ev.TicketIssued(
        request_id=request_id,
        at=now,
        ticket_id=ticket_id,
        number=number,
        prefix=prefix,
        seq=seq,
        service=service,
        steps=steps,
        priority=priority,
        arrival=arrival,
        order_time=order_time,
        deadline=deadline,
        source_device=source_device,
        lease_id=lease_id,
        appointment_id=appointment_id,
        masked_name=masked_name,
        token=token,
        lang=lang,
        est_s=raw_estimate(state, service, _ahead(state, service, deadline, order_time, number), now, deadline),
    )


def _ahead(state: EngineState, service: str, deadline: float, order_time: float, number: str) -> int:
    """How many of those waiting for ``service`` will be called before a new ticket with this key."""
    return state.queues[service].count_before((deadline, order_time, number, ""))
