"""Commands the engine handles. Every one that changes state carries a caller-chosen ``request_id``.

A command whose ``request_id`` the state has already seen (``EngineState.seen``) changes nothing.
Window operations that act on "the window's current ticket" accept an optional ``ticket_id``: when given it
must name that ticket, so a stale screen cannot finish somebody else's ticket.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from hall_protocol.hall import Notice
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
    id_lookup: str = ""
    """The keyed hash of the citizen's ID number (``hall_protocol.appointments.id_lookup``), never the number:
    a check-in by ID card finds the appointment by it."""


class CancelAppointment(_Command, frozen=True, tag="cancel-appointment"):
    appointment_id: str
    reason: str = ""


class CheckIn(_Command, frozen=True, tag="check-in"):
    """Turn an appointment into a ticket of the appointment class, inside its check-in window. The
    appointment is named by its id (the QR) or found by ``id_lookup`` (the ID card)."""

    appointment_id: str = ""
    id_lookup: str = ""
    source_device: str = ""


class CancelTicket(_Command, frozen=True, tag="cancel-ticket"):
    ticket_id: str
    reason: str = ""


class LeaseBlock(_Command, frozen=True, tag="lease-block"):
    """Reserve up to ``size`` numbers of today's sequence for a kiosk's offline tickets (fewer when the
    daily cap or the device's share allows fewer: ``rules_leases.py``)."""

    device_id: str
    service: str
    size: Annotated[int, msgspec.Meta(ge=1, le=500)] = 20


class RecordRating(_Command, frozen=True, tag="record-rating"):
    """Rate one finished service step of a visit (一事一评): ``step`` is its index in the visit; None rates
    the step finished last."""

    ticket_id: str
    level: Annotated[int, msgspec.Meta(ge=1, le=5)]  # 5 非常满意 … 1 非常不满意
    reasons: tuple[str, ...] = ()
    comment: str = ""
    step: int | None = None


class Transfer(_Command, frozen=True, tag="transfer"):
    """Send a ticket to another service or to a window (or both), keeping its arrival time. Names the
    window's current ticket (``window_id``) or any waiting/parked ticket (``ticket_id``). Sent to a window,
    the ticket waits for that window only, which calls it before its own queues."""

    target_service: str | None = None
    target_window: str | None = None
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
    """Finish the current step. ``also_done``: the visit's next steps, in order, done at this window in the
    same sitting (一件事一次办 at a comprehensive window); the ticket then queues for the step after them."""

    ticket_id: str | None = None
    also_done: tuple[str, ...] = ()


class MarkNoShow(_WindowCommand, frozen=True, tag="mark-no-show"):
    ticket_id: str | None = None


class Park(_WindowCommand, frozen=True, tag="park"):
    ticket_id: str | None = None
    reason: str = ""


class Unpark(_WindowCommand, frozen=True, tag="unpark"):
    ticket_id: str


# The hall manager's changes for the day (the console) ----------------------------------------------


class SetWindowSkills(_Command, frozen=True, tag="set-window-skills"):
    """Which services a window serves, and how well (service code → weight in (0, 1]), until the day ends."""

    window_id: str
    skills: dict[str, float]


class SetServiceLimits(_Command, frozen=True, tag="set-service-limits"):
    """A service's target wait and daily cap, until the day ends."""

    service: str
    target_wait_min: float
    daily_cap: int


class SetNotices(_Command, frozen=True, tag="set-notices"):
    """What the hall's screens show besides the calls (replaces the previous notices; kept across days)."""

    notices: tuple[Notice, ...] = ()


class AcknowledgeAlert(_Command, frozen=True, tag="acknowledge-alert"):
    """Somebody has seen an efficiency alert (one episode of it: ``alert_book.py`` names episodes)."""

    alert_id: str
    by: str


Command = (
    IssueTicket
    | RegisterAppointment
    | CancelAppointment
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
    | SetWindowSkills
    | SetServiceLimits
    | SetNotices
    | AcknowledgeAlert
)
