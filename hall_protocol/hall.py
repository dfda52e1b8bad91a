"""What screens, phones and the console are shown: hall state, per-zone displays, call and ticket events."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hall_protocol.codec import Message
from hall_protocol.tickets import TicketState


class CallView(msgspec.Struct, frozen=True, kw_only=True):
    call_id: str
    ticket_id: str
    number: str
    window_id: str
    window_name: str
    zone: str
    masked_name: str = ""  # 张* — only when the citizen identified; never the full name
    recall_count: int = 0
    ts: float = 0.0


class ServiceQueue(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_zh: str
    name_en: str
    zone: str
    waiting: int
    est_wait_s: int = 0
    open: bool = True


class WindowView(msgspec.Struct, frozen=True, kw_only=True):
    window_id: str
    name: str
    zone: str
    state: str  # closed, open, paused, serving, calling
    current_number: str | None = None


MAX_NOTICES = 5
NOTICE_CHARS = 200


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    """A line the hall manager puts on the screens (opening hours today, a window moved, a system outage)."""

    text_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=NOTICE_CHARS)]
    text_en: Annotated[str, msgspec.Meta(max_length=NOTICE_CHARS)] = ""
    zone: str | None = None  # None: every screen of the hall; else the screens of that zone


class HallState(Message, frozen=True, tag="hall.state"):
    hall: str
    ts: float
    seq: int  # increases with every publication, so a screen can drop an older retained copy
    services: tuple[ServiceQueue, ...] = ()
    windows: tuple[WindowView, ...] = ()
    recent_calls: tuple[CallView, ...] = ()
    notices: Annotated[tuple[Notice, ...], msgspec.Meta(max_length=MAX_NOTICES)] = ()
    contact_key: str = ""
    """The controller's public key that agents seal a citizen's phone number with (``notify_sealed``)."""


class DisplayState(Message, frozen=True, tag="display.state"):
    zone: str
    ts: float
    seq: int
    calls: tuple[CallView, ...] = ()  # newest first
    waiting: int = 0
    notices: Annotated[tuple[Notice, ...], msgspec.Meta(max_length=MAX_NOTICES)] = ()  # the hall's and this zone's
    # the zone's windows (state and number, no names): a window display clears its number after a finish
    windows: tuple[WindowView, ...] = ()


class CallEvent(Message, frozen=True, tag="event.call"):
    """Published with a message expiry: a stale call is never shown."""

    call: CallView
    expires_at: float


class TicketEvent(Message, frozen=True, tag="event.ticket"):
    ticket_id: str
    number: str
    service: str
    state: TicketState
    ts: float
    window_id: str | None = None
    position: int = 0
    est_wait_s: int = 0


class AlertView(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # ticket-over-target, queue-over-threshold, window-idle, service-overrun
    since: float
    value: float
    limit: float
    message_zh: str
    message_en: str
    service: str | None = None
    window_id: str | None = None
    ticket_id: str | None = None


class HallAlerts(Message, frozen=True, tag="hall.alerts"):
    """Every efficiency alert (效能监管) that holds now; retained, replaced as a whole."""

    hall: str
    ts: float
    alerts: tuple[AlertView, ...] = ()
