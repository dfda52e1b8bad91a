"""Events: the append-only log the engine's state is derived from.

Each event holds everything :func:`hall_controller.engine.apply` needs, so folding the log over
``EngineState.initial`` rebuilds the live state exactly. Every event carries the ``request_id`` of the
command that caused it ("" for the day rollover) and ``at``, the command's ``now``.
Encode with ``msgspec.json.encode(event)``; decode with ``msgspec.json.decode(data, type=Event)``.
"""

from __future__ import annotations

import msgspec

from hall_protocol.hall import Notice
from hall_protocol.tickets import Priority


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    request_id: str
    at: float


class DayStarted(_Event, frozen=True, tag="day-started"):
    """The hall's local date changed: yesterday's tickets, counters and leases are dropped."""

    day: str
    day_start: float
    day_end: float


class TicketIssued(_Event, frozen=True, tag="ticket-issued"):
    ticket_id: str
    number: str
    prefix: str
    seq: int
    service: str
    steps: tuple[str, ...]
    priority: Priority
    arrival: float  # the citizen's real arrival (provisional: as printed, clamped)
    order_time: float  # what ordering uses: arrival, or the slot start for an early appointment
    deadline: float  # order_time + the class's maximum wait
    source_device: str = ""
    lease_id: str | None = None
    appointment_id: str | None = None
    masked_name: str = ""
    token: str = ""
    lang: str = "zh"
    est_s: float = 0.0  # the uncalibrated wait estimate at issue, learned from at its first call


class AppointmentRegistered(_Event, frozen=True, tag="appointment-registered"):
    appointment_id: str
    service: str
    steps: tuple[str, ...]
    slot_start: float
    masked_name: str = ""
    id_lookup: str = ""  # keyed hash of the ID number (never the number)


class AppointmentCancelled(_Event, frozen=True, tag="appointment-cancelled"):
    appointment_id: str
    reason: str = ""


class BlockLeased(_Event, frozen=True, tag="block-leased"):
    lease_id: str
    device_id: str
    service: str
    prefix: str
    day: str
    first: int
    last: int


class TicketCalled(_Event, frozen=True, tag="ticket-called"):
    """Carries what a ``hall_protocol.hall.CallView`` needs."""

    ticket_id: str
    number: str
    service: str
    window_id: str
    window_name: str
    zone: str
    call_id: str
    masked_name: str = ""
    explicit: bool = False  # called by id rather than by "call next"
    reason: str = ""  # staff's words for an explicit call; the routing rule's reason for call-next
    reason_zh: str = ""
    turns: tuple[int, int] | None = None  # the service's class-ratio counters after this call (routing.py)


class TicketRecalled(_Event, frozen=True, tag="ticket-recalled"):
    ticket_id: str
    number: str
    window_id: str
    window_name: str
    zone: str
    call_id: str
    recall_count: int
    masked_name: str = ""
    auto: bool = False  # by the controller's clock (``calling.recall_after_s``), not by staff


class ServiceStarted(_Event, frozen=True, tag="service-started"):
    ticket_id: str
    window_id: str


class StepFinished(_Event, frozen=True, tag="step-finished"):
    """One service of the visit is done (and ``also_done``, the steps after it done in the same sitting); with
    ``next_service`` the ticket queues for the next step. ``duration_s`` is the sitting's service time."""

    ticket_id: str
    window_id: str
    service: str
    duration_s: float
    next_service: str | None = None
    next_deadline: float = 0.0
    also_done: tuple[str, ...] = ()


class TicketNoShow(_Event, frozen=True, tag="ticket-no-show"):
    """With ``recycled`` the ticket goes back to the queue behind those waiting now (once)."""

    ticket_id: str
    window_id: str
    recycled: bool
    order_time: float = 0.0
    deadline: float = 0.0


class TicketTransferred(_Event, frozen=True, tag="ticket-transferred"):
    """``to_window``: only that window may call the ticket now (``EngineState.reserved``)."""

    ticket_id: str
    from_service: str
    to_service: str
    deadline: float
    window_id: str | None = None
    reason: str = ""
    to_window: str | None = None


class TicketParked(_Event, frozen=True, tag="ticket-parked"):
    ticket_id: str
    window_id: str
    reason: str = ""


class TicketResumed(_Event, frozen=True, tag="ticket-resumed"):
    ticket_id: str
    window_id: str


class TicketCancelled(_Event, frozen=True, tag="ticket-cancelled"):
    ticket_id: str
    reason: str = ""
    window_id: str | None = None


class TicketRated(_Event, frozen=True, tag="ticket-rated"):
    """A rating of one service step: ``step`` is its index in the visit, ``service`` and ``window_id`` where
    it was served; ``comment`` is the citizen's own words (kept for the follow-up of a bad rating)."""

    ticket_id: str
    level: int
    reasons: tuple[str, ...] = ()
    window_id: str | None = None
    step: int = 0
    service: str = ""
    comment: str = ""


class StaffLoggedIn(_Event, frozen=True, tag="staff-logged-in"):
    window_id: str
    staff_id: str


class StaffLoggedOut(_Event, frozen=True, tag="staff-logged-out"):
    window_id: str
    staff_id: str


class WindowOpened(_Event, frozen=True, tag="window-opened"):
    window_id: str


class WindowClosed(_Event, frozen=True, tag="window-closed"):
    window_id: str


class WindowPaused(_Event, frozen=True, tag="window-paused"):
    window_id: str
    reason: str = ""


class WindowResumed(_Event, frozen=True, tag="window-resumed"):
    window_id: str


class WindowSkillsSet(_Event, frozen=True, tag="window-skills-set"):
    """The window serves these services (code → weight) until the day ends; then the configured ones again."""

    window_id: str
    skills: dict[str, float]


class ServiceLimitsSet(_Event, frozen=True, tag="service-limits-set"):
    """The service's target wait and daily cap until the day ends; then the configured ones again."""

    service: str
    target_wait_min: float
    daily_cap: int


class NoticesSet(_Event, frozen=True, tag="notices-set"):
    notices: tuple[Notice, ...] = ()


class AlertAcknowledged(_Event, frozen=True, tag="alert-acknowledged"):
    alert_id: str
    by: str


Event = (
    DayStarted
    | TicketIssued
    | AppointmentRegistered
    | AppointmentCancelled
    | BlockLeased
    | TicketCalled
    | TicketRecalled
    | ServiceStarted
    | StepFinished
    | TicketNoShow
    | TicketTransferred
    | TicketParked
    | TicketResumed
    | TicketCancelled
    | TicketRated
    | StaffLoggedIn
    | StaffLoggedOut
    | WindowOpened
    | WindowClosed
    | WindowPaused
    | WindowResumed
    | WindowSkillsSet
    | ServiceLimitsSet
    | NoticesSet
    | AlertAcknowledged
)
