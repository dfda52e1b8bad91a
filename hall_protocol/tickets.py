"""Ticket, window, rating and lease messages: the hall controller's request/response services.

Requests travel on ``rpc/{service}`` with an MQTT v5 response topic and correlation data. Every request
that changes state carries ``request_id``; the controller answers a replayed id with its first answer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

import msgspec

from hall_protocol.codec import Message
from hall_protocol.errors import ErrorCode
from hall_protocol.topics import RpcService


class Priority(StrEnum):
    NORMAL = "normal"
    GREEN = "green"  # elderly, disabled, pregnant: 绿色通道
    APPOINTMENT = "appointment"
    VIP = "vip"


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    RECALLED = "recalled"
    SERVING = "serving"
    FINISHED = "finished"
    NO_SHOW = "no-show"
    TRANSFERRED = "transferred"
    PARKED = "parked"
    CANCELLED = "cancelled"


# Field limits: every text a device can send has a bound, so a valid message cannot be a 10 MiB event row.
RequestId = Annotated[str, msgspec.Meta(pattern=r"^[!-~]{1,100}$", description="printable ASCII, no spaces")]
Ref = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="a ticket, window or other id")]
Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="a service code")]
MaskedName = Annotated[str, msgspec.Meta(max_length=8)]
Reason = Annotated[str, msgspec.Meta(max_length=200)]
Comment = Annotated[str, msgspec.Meta(max_length=500)]
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9]{5,15}$")]
AppointmentId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$",
                                            description="A-Z a-z 0-9 _ - (the alphabet of the appointment QR)")]
IdLookup = Annotated[str, msgspec.Meta(pattern=r"^([0-9a-f]{64})?$",
                                       description="hall_protocol.appointments.id_lookup of the ID number, or empty")]
Sealed = Annotated[str, msgspec.Meta(pattern=r"^v1\.[A-Za-z0-9_-]{80,200}$")]
Lang = Literal["zh", "en"]


class Provisional(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket a kiosk issued from its leased block while the hall was unreachable."""

    lease_id: Ref
    number: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{1,2}[0-9]{1,4}$")]  # as printed, e.g. "A1203"
    arrived_at: float  # the citizen's real arrival time (epoch seconds)


# Requests ----------------------------------------------------------------------------------------


class IssueTicket(Message, frozen=True, tag="ticket.issue"):
    request_id: RequestId
    service: Code  # service code; the first step when ``steps`` is given
    source_device: str = ""
    """Ignored by the controller, which takes the sender from the topic the broker let it publish on."""
    priority: Priority = Priority.NORMAL
    steps: Annotated[tuple[Code, ...], msgspec.Meta(max_length=10)] = ()  # 一件事一次办: the visit's services
    appointment_id: Ref | None = None
    notify_phone: Phone | None = None
    """Given with the citizen's consent, for silent-call messages on this visit. Travels in clear only on a
    device's local socket and inside the controller: an agent seals it into ``notify_sealed``."""
    notify_sealed: Sealed | None = None
    """``notify_phone`` sealed for the controller (``hall_runtime.sealed_box``; key in ``HallState``)."""
    masked_name: MaskedName = ""  # masked at the kiosk (张*); the controller masks again whatever arrives
    lang: Lang = "zh"
    provisional: Provisional | None = None


class CheckIn(Message, frozen=True, tag="ticket.checkin"):
    request_id: RequestId
    appointment_code: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    """From the appointment QR, or looked up by the citizen's keyed ID hash."""
    source_device: str = ""
    """Ignored by the controller (see IssueTicket.source_device)."""


class RegisterAppointment(Message, frozen=True, tag="appointment.register"):
    """From the console or the open API (never from a device). Carries no ID number: only its keyed hash."""

    request_id: RequestId
    appointment_id: AppointmentId
    service: Code
    slot_start: Annotated[float, msgspec.Meta(ge=0)]  # epoch seconds
    steps: Annotated[tuple[Code, ...], msgspec.Meta(max_length=10)] = ()
    masked_name: MaskedName = ""
    id_lookup: IdLookup = ""


class CancelAppointment(Message, frozen=True, tag="appointment.cancel"):
    request_id: RequestId
    appointment_id: AppointmentId
    reason: Reason = ""


class CancelTicket(Message, frozen=True, tag="ticket.cancel"):
    request_id: RequestId
    ticket_id: Ref
    reason: Reason = ""


class TicketStatus(Message, frozen=True, tag="ticket.status"):
    """Read-only; needs no request_id."""

    ticket_id: Ref


class WindowOp(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    OPEN = "open"
    CLOSE = "close"
    PAUSE = "pause"
    RESUME = "resume"
    CALL_NEXT = "call-next"
    CALL_TICKET = "call-ticket"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no-show"
    TRANSFER = "transfer"
    PARK = "park"
    UNPARK = "unpark"


class WindowCommand(Message, frozen=True, tag="window.command"):
    request_id: RequestId
    window_id: Ref
    op: WindowOp
    staff_id: Ref | None = None
    ticket_id: Ref | None = None  # for call-ticket, unpark, and to name the ticket explicitly
    target_service: Code | None = None  # for transfer: to another service
    target_window: Ref | None = None  # for transfer: to a window by name (with or without a new service)
    services_done: Annotated[tuple[Code, ...], msgspec.Meta(max_length=10)] = ()
    """For finish: the visit's next steps, in order, done in the same sitting (一件事一次办)."""
    reason: Reason = ""  # recorded for call-ticket, pause, transfer, park


class SubmitRating(Message, frozen=True, tag="rating.submit"):
    request_id: RequestId
    ticket_id: Ref
    level: Annotated[int, msgspec.Meta(ge=1, le=5)]  # 5 非常满意 … 1 非常不满意
    window_id: Ref | None = None
    reasons: Annotated[tuple[Annotated[str, msgspec.Meta(max_length=50)], ...], msgspec.Meta(max_length=10)] = ()
    comment: Comment = ""
    step: Annotated[int, msgspec.Meta(ge=0, le=9)] | None = None
    """The step of a several-service visit this rates (0 = the first); None: the step finished last."""
    source_device: str = ""
    """Ignored by the controller (see IssueTicket.source_device)."""
    token: Annotated[str, msgspec.Meta(max_length=64)] = ""
    """The ticket's status token (from its QR): a kiosk rating a ticket must hold it."""


class LeaseRequest(Message, frozen=True, tag="lease.request"):
    request_id: RequestId
    service: Code
    device_id: str = ""
    """Ignored by the controller: a block is leased to the device that asks (the topic's device)."""
    size: Annotated[int, msgspec.Meta(ge=1, le=500)] = 20


# Replies -----------------------------------------------------------------------------------------


class TicketView(msgspec.Struct, frozen=True, kw_only=True):
    """What a citizen, a screen or a printer may know about a ticket: no personal data."""

    ticket_id: str
    number: str
    service: str
    service_name_zh: str
    service_name_en: str
    state: TicketState
    zone: str
    zone_name_zh: str = ""
    zone_name_en: str = ""
    position: int = 0  # 1 = next; 0 when not waiting
    est_wait_s: int = 0
    est_wait_low_s: int = 0
    est_wait_high_s: int = 0
    issued_at: float = 0.0
    window_id: str | None = None
    window_name: str | None = None
    provisional: bool = False
    status_url: str = ""
    steps: tuple[str, ...] = ()
    step_index: int = 0


class TicketReply(Message, frozen=True, tag="ticket.reply"):
    request_id: str
    ticket: TicketView


class WindowReply(Message, frozen=True, tag="window.reply"):
    request_id: str
    window_id: str
    window_state: str
    ticket: TicketView | None = None


class Ack(Message, frozen=True, tag="ack"):
    request_id: str
    queued: bool = False  # set by a device's agent: stored, sent when the hall is reachable again


class LeaseGranted(Message, frozen=True, tag="lease.granted"):
    request_id: str
    lease_id: str
    service: str
    day: str  # YYYY-MM-DD in the hall's time zone: a block is valid on that day only
    prefix: str
    first: int
    last: int


class ErrorReply(Message, frozen=True, tag="error"):
    """A refusal. ``code`` is what a program (and the kiosk's own wording for citizens) goes by; ``message`` is
    the detail for logs and technicians. What a person reads is written by the UI that shows it."""

    request_id: str
    code: ErrorCode
    message: str
    field: str | None = None


RpcRequest = (
    IssueTicket | CheckIn | CancelTicket | TicketStatus | WindowCommand | SubmitRating | LeaseRequest
    | RegisterAppointment | CancelAppointment
)
RpcReply = TicketReply | WindowReply | Ack | LeaseGranted | ErrorReply


def service_for(request: RpcRequest) -> RpcService:
    """Which controller service answers ``request``."""
    if isinstance(request, WindowCommand):
        return RpcService.WINDOW
    if isinstance(request, SubmitRating):
        return RpcService.RATING
    if isinstance(request, LeaseRequest):
        return RpcService.LEASE
    return RpcService.TICKET
