"""Ticket, window, rating and lease messages: the hall controller's request/response services.

Requests travel on ``rpc/{service}`` with an MQTT v5 response topic and correlation data. Every request
that changes state carries ``request_id``; the controller answers a replayed id with its first answer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

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


class Provisional(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket a kiosk issued from its leased block while the hall was unreachable."""

    lease_id: str
    number: str  # as printed, e.g. "A1203"
    arrived_at: float  # the citizen's real arrival time (epoch seconds)


# Requests ----------------------------------------------------------------------------------------


class IssueTicket(Message, frozen=True, tag="ticket.issue"):
    request_id: str
    service: str  # service code; the first step when ``steps`` is given
    source_device: str
    priority: Priority = Priority.NORMAL
    steps: tuple[str, ...] = ()  # 一件事一次办: the services of one visit, in order
    appointment_id: str | None = None
    notify_phone: str | None = None  # kept only for the ticket's day, for silent-call SMS
    masked_name: str = ""  # already masked at the kiosk (张*): the only form of a name that leaves it
    lang: str = "zh"
    provisional: Provisional | None = None


class CheckIn(Message, frozen=True, tag="ticket.checkin"):
    request_id: str
    appointment_code: str  # from the appointment QR, or looked up by the citizen's ID hash
    source_device: str


class CancelTicket(Message, frozen=True, tag="ticket.cancel"):
    request_id: str
    ticket_id: str
    reason: str = ""


class TicketStatus(Message, frozen=True, tag="ticket.status"):
    """Read-only; needs no request_id."""

    ticket_id: str


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
    request_id: str
    window_id: str
    op: WindowOp
    staff_id: str | None = None
    ticket_id: str | None = None  # for call-ticket, unpark, and to name the ticket explicitly
    target_service: str | None = None  # for transfer
    reason: str = ""  # recorded for call-ticket, pause, transfer, park


class SubmitRating(Message, frozen=True, tag="rating.submit"):
    request_id: str
    ticket_id: str
    level: Annotated[int, msgspec.Meta(ge=1, le=5)]  # 5 非常满意 … 1 非常不满意
    window_id: str | None = None
    reasons: tuple[str, ...] = ()
    comment: str = ""
    source_device: str = ""


class LeaseRequest(Message, frozen=True, tag="lease.request"):
    request_id: str
    device_id: str
    service: str
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
    message_zh: str = ""
    message_en: str = ""


class WindowReply(Message, frozen=True, tag="window.reply"):
    request_id: str
    window_id: str
    window_state: str
    ticket: TicketView | None = None


class Ack(Message, frozen=True, tag="ack"):
    request_id: str
    queued: bool = False  # set by a device's agent: stored, sent when the hall is reachable again
    message_zh: str = ""
    message_en: str = ""


class LeaseGranted(Message, frozen=True, tag="lease.granted"):
    request_id: str
    lease_id: str
    service: str
    day: str  # YYYY-MM-DD in the hall's time zone: a block is valid on that day only
    prefix: str
    first: int
    last: int


class ErrorReply(Message, frozen=True, tag="error"):
    request_id: str
    code: ErrorCode
    message: str
    field: str | None = None
    message_zh: str = ""


RpcRequest = IssueTicket | CheckIn | CancelTicket | TicketStatus | WindowCommand | SubmitRating | LeaseRequest
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
