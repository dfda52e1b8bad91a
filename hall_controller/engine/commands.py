"""Commands the engine handles. Every one that changes state carries a caller-chosen ``request_id``.

A command whose ``request_id`` the state has already seen (``EngineState.seen``) changes nothing.
Window operations that act on "the window's current ticket" accept an optional ``ticket_id``: when given it
must name that ticket, so a stale screen cannot finish somebody else's ticket.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from hall_protocol.tickets import Priority, Provisional


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    request_id: str


# Tickets -----------------------------------------------------------------------------------------


class IssueTicket(_Command, frozen=True, tag="issue-ticket"):
    """Take a ticket. ``steps`` (一件事一次办) lists every service of the visit, ``service`` first.

    With ``provisional`` the ticket was printed offline from a leased block: its number and real arrival
    time are kept."""

    service: str
    source_device: str = ""
    priority: Priority = Priority.NORMAL
    steps: tuple[str, ...] = ()
    provisional: Provisional | None = None
    masked_name: str = ""  # already masked (张*); shown on call screens
    lang: str = "zh"


class RegisterAppointment(_Command, frozen=True, tag="register-appointment"):
    appointment_id: str
    service: str
    slot_start: float  # epoch seconds
    steps: tuple[str, ...] = ()
    masked_name: str = ""


class CheckIn(_Command, frozen=True, tag="check-in"):
    """Turn an appointment into a ticket of the appointment class, inside its check-in window."""

    appointment_id: str
    source_device: str = ""


class CancelTicket(_Command, frozen=True, tag="cancel-ticket"):
    ticket_id: str
    reason: str = ""


class LeaseBlock(_Command, frozen=True, tag="lease-block"):
    """Reserve ``size`` numbers of today's sequence for a kiosk's offline tickets."""

    device_id: str
    service: str
    size: Annotated[int, msgspec.Meta(ge=1, le=500)] = 20


class RecordRating(_Command, frozen=True, tag="record-rating"):
    ticket_id: str
    level: Annotated[int, msgspec.Meta(ge=1, le=5)]  # 5 非常满意 … 1 非常不满意
    reasons: tuple[str, ...] = ()


class Transfer(_Command, frozen=True, tag="transfer"):
    """Send a ticket to another service, keeping its arrival time. Names the window's current ticket
    (``window_id``) or any waiting/parked ticket (``ticket_id``)."""

    target_service: str
    window_id: str | None = None
    ticket_id: str | None = None
    reason: str = ""


class SweepCalls(_Command, frozen=True, tag="sweep-calls"):
    """Mark as no-show every call past its recalls and grace period (the service sends it on a timer)."""


# Windows and staff -------------------------------------------------------------------------------


class _WindowCommand(_Command, frozen=True, kw_only=True):
    window_id: str


class Login(_WindowCommand, frozen=True, tag="login"):
    staff_id: str


class Logout(_WindowCommand, frozen=True, tag="logout"):
    pass


class OpenWindow(_WindowCommand, frozen=True, tag="open-window"):
    pass


class CloseWindow(_WindowCommand, frozen=True, tag="close-window"):
    pass


class PauseWindow(_WindowCommand, frozen=True, tag="pause-window"):
    reason: str = ""  # e.g. "back-office" (后台办理), "break"


class ResumeWindow(_WindowCommand, frozen=True, tag="resume-window"):
    pass


class CallNext(_WindowCommand, frozen=True, tag="call-next"):
    pass


class CallTicket(_WindowCommand, frozen=True, tag="call-ticket"):
    ticket_id: str
    reason: str = ""


class Recall(_WindowCommand, frozen=True, tag="recall"):
    ticket_id: str | None = None


class StartService(_WindowCommand, frozen=True, tag="start-service"):
    ticket_id: str | None = None


class FinishService(_WindowCommand, frozen=True, tag="finish-service"):
    ticket_id: str | None = None


class MarkNoShow(_WindowCommand, frozen=True, tag="mark-no-show"):
    ticket_id: str | None = None


class Park(_WindowCommand, frozen=True, tag="park"):
    ticket_id: str | None = None
    reason: str = ""


class Unpark(_WindowCommand, frozen=True, tag="unpark"):
    ticket_id: str


Command = (
    IssueTicket
    | RegisterAppointment
    | CheckIn
    | CancelTicket
    | LeaseBlock
    | RecordRating
    | Transfer
    | SweepCalls
    | Login
    | Logout
    | OpenWindow
    | CloseWindow
    | PauseWindow
    | ResumeWindow
    | CallNext
    | CallTicket
    | Recall
    | StartService
    | FinishService
    | MarkNoShow
    | Park
    | Unpark
)
