"""Whether a request may be acted on, and as what: the target rules on top of ``permissions.allowed``.

Every request passes :func:`authorise` before the engine sees it. The answer is the request bound to its
sender (fields that name the sender are overwritten with its identity, names are masked again), or
:class:`Refused` naming why. Nothing a sender puts in a payload widens what it may do.

    sender            may send (permissions.py)         target (here)
    kiosk             ticket.issue                      normal or green class; a provisional ticket only
                                                        from a block leased to this kiosk
                      ticket.checkin                    -
                      ticket.cancel, ticket.status      only tickets this kiosk issued
                      rating.submit                     only with the ticket's token (from its QR)
                      lease.request                     a block for this kiosk
    evaluator         rating.submit                     only a step served at its own window
    window-terminal   window.command                    only its own window
    hall-screen,      nothing (they only listen)
    window-display
    staff (a person)  window.command                    only the window they logged in to, as themselves
                      ticket.issue (any class), status  -
    manager           window.command                    any window, as themselves
                      ticket.issue (any class), status, cancel
    manager, API      appointment.register, .cancel     - (never a device: no role has the action)
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import msgspec

from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor, ActorKind
from hall_controller.engine.state import EngineState, Ticket
from hall_controller.permissions import (
    APPOINTMENTS,
    CANCEL,
    CHECKIN,
    ISSUE,
    ISSUE_PRIORITY,
    LEASE,
    RATE,
    STATUS,
    WINDOW,
    allowed,
)
from hall_protocol.devices import Role
from hall_protocol.errors import ErrorCode
from hall_protocol.identity import is_masked_name, mask_name
from hall_protocol.tickets import (
    CancelAppointment,
    CancelTicket,
    CheckIn,
    IssueTicket,
    LeaseRequest,
    Priority,
    RegisterAppointment,
    RpcRequest,
    SubmitRating,
    TicketStatus,
    WindowCommand,
    WindowOp,
)

ACTION_OF: dict[type, str] = {
    IssueTicket: ISSUE, CheckIn: CHECKIN, CancelTicket: CANCEL, TicketStatus: STATUS, SubmitRating: RATE,
    LeaseRequest: LEASE, WindowCommand: WINDOW, RegisterAppointment: APPOINTMENTS, CancelAppointment: APPOINTMENTS,
}
PLAIN_PRIORITIES = frozenset({Priority.NORMAL, Priority.GREEN})


@dataclass(frozen=True, slots=True)
class Refused(Exception):
    code: ErrorCode
    message: str

    def __str__(self) -> str:
        return self.message


def masked(name: str) -> str:
    """``name`` if it already has the masked shape, else masked here: a full name never gets further."""
    name = name.strip()
    return name if not name or is_masked_name(name) else mask_name(name)


def authorise(actor: Actor, request: RpcRequest, state: EngineState) -> RpcRequest:
    """The request as the engine may act on it, or :class:`Refused`."""
    action = ACTION_OF.get(type(request))
    if action is None or not allowed(actor, action):
        raise _forbidden(actor, f"send {type(request).__name__}")
    if isinstance(request, IssueTicket):
        return _issue(actor, request, state)
    if isinstance(request, CheckIn):
        return msgspec.structs.replace(request, source_device=actor.id)
    if isinstance(request, CancelTicket | TicketStatus):
        if actor.kind is ActorKind.DEVICE:
            _own_ticket(actor, request.ticket_id, state)
        return request
    if isinstance(request, SubmitRating):
        return _rating(actor, request, state)
    if isinstance(request, LeaseRequest):
        return msgspec.structs.replace(request, device_id=actor.id)
    if isinstance(request, WindowCommand):
        return _window(actor, request, state)
    if isinstance(request, RegisterAppointment):
        return msgspec.structs.replace(request, masked_name=masked(request.masked_name))
    if isinstance(request, CancelAppointment):
        return request
    raise _forbidden(actor, f"send {type(request).__name__}")  # pragma: no cover - ACTION_OF decides first


def _forbidden(actor: Actor, what: str) -> Refused:
    return Refused(ErrorCode.FORBIDDEN, f"{actor.label} may not {what}")


def _issue(actor: Actor, request: IssueTicket, state: EngineState) -> IssueTicket:
    if request.priority not in PLAIN_PRIORITIES and not allowed(actor, ISSUE_PRIORITY):
        raise _forbidden(actor, f"issue a {request.priority} ticket (staff only)")
    if request.provisional is not None:
        lease = state.leases.get(request.provisional.lease_id)
        if lease is not None and lease.device_id != actor.id:
            raise _forbidden(actor, f"merge a number of lease {lease.lease_id}, which belongs to {lease.device_id}")
    return msgspec.structs.replace(request, source_device=actor.id, masked_name=masked(request.masked_name))


def _own_ticket(actor: Actor, ticket_id: str, state: EngineState) -> None:
    ticket = state.ticket(ticket_id)
    if ticket is not None and ticket.source_device != actor.id:
        raise _forbidden(actor, "touch a ticket another device issued")


def _rating(actor: Actor, request: SubmitRating, state: EngineState) -> SubmitRating:
    ticket = state.ticket(request.ticket_id)
    if ticket is None:
        return msgspec.structs.replace(request, source_device=actor.id)  # the engine answers NOT_FOUND
    if actor.role is Role.KIOSK and not hmac.compare_digest(request.token.encode(), ticket.token.encode()):
        raise _forbidden(actor, "rate a ticket without its token")
    if actor.role is Role.EVALUATOR:
        request = _evaluator_step(actor, request, ticket)
    return msgspec.structs.replace(request, source_device=actor.id, window_id=ticket.window_id)


def _evaluator_step(actor: Actor, request: SubmitRating, ticket: Ticket) -> SubmitRating:
    """An evaluator rates a step served at its own window: the newest such step unless it names one."""
    here = [i for i, r in enumerate(ticket.finished_steps) if r.window_id == actor.window]
    if request.step is None and here:
        return msgspec.structs.replace(request, step=here[-1])
    if request.step is None and ticket.window_id == actor.window:
        return request  # nothing finished here yet: the engine says so
    if request.step not in here:
        raise _forbidden(actor, f"rate a step not served at window {actor.window}")
    return request


def _window(actor: Actor, request: WindowCommand, state: EngineState) -> WindowCommand:
    if actor.role is PersonRole.MANAGER:
        pass  # a manager may act for any window (open or close it, step in at the counter)
    elif request.window_id != actor.window:
        raise _forbidden(actor, f"act for window {request.window_id} (it is at {actor.window})")
    if actor.kind is not ActorKind.PERSON:
        return request  # a window terminal device: its staff log in on the device (the keypad)
    if request.op is WindowOp.LOGIN:
        return msgspec.structs.replace(request, staff_id=actor.id)
    rt = state.windows.get(request.window_id)
    holder = rt.staff_id if rt is not None else None
    if holder is not None and holder != actor.id and actor.role is not PersonRole.MANAGER:
        raise _forbidden(actor, f"act at window {request.window_id}, where {holder} is logged in")
    return request
