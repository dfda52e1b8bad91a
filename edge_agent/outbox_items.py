"""What the outbox holds and reports: lanes, items, drops, stats, and the outbox's errors.

The store itself is :mod:`edge_agent.outbox_store`; its SQLite side is :mod:`edge_agent.outbox_db`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from hall_protocol.errors import OneVisitError


class Lane(StrEnum):
    TICKETS = "tickets"
    RATINGS = "ratings"
    EVENTS = "events"
    TELEMETRY = "telemetry"

    @property
    def priority(self) -> int:
        """0 is sent first."""
        return _PRIORITY[self]

    @property
    def evictable(self) -> bool:
        return self in (Lane.EVENTS, Lane.TELEMETRY)


_PRIORITY = {Lane.TICKETS: 0, Lane.RATINGS: 0, Lane.EVENTS: 1, Lane.TELEMETRY: 2}
EVICTION_ORDER = (Lane.TELEMETRY, Lane.EVENTS)  # lowest priority first


class DropReason(StrEnum):
    EXPIRED = "expired"  # the item's own expiry passed
    MAX_AGE = "max-age"  # an evictable item older than the outbox's max_age_s
    EVICTED = "evicted"  # made room for a newer or more important item


# Errors --------------------------------------------------------------------------------------------------


class OutboxError(OneVisitError):
    """Root of the outbox's errors. ``str()`` is the detail for the log; what a person reads is the UI's,
    chosen by the error code the agent answers with (see :mod:`edge_agent.replies`)."""


class OutboxFull(OutboxError):
    """The put was refused: higher-priority items alone fill the byte cap (nothing was evicted)."""

    def __init__(self, lane: Lane, size: int, free: int, max_bytes: int) -> None:
        super().__init__(
            f"outbox full: a {size}-byte {lane} item does not fit "
            f"({free} bytes free or evictable of {max_bytes})"
        )
        self.lane = lane
        self.size = size
        self.free = free
        self.max_bytes = max_bytes


class OutboxStorageError(OutboxError):
    """SQLite failed (disk full, I/O error, corrupt file). Nothing of the failed group was stored."""


class OutboxClosed(OutboxError):
    """The outbox was closed, or its writer stopped."""


# Values ----------------------------------------------------------------------------------------------------


def item_size(topic: str, payload: bytes, key: str) -> int:
    """What an item counts against ``max_bytes``."""
    return len(topic.encode()) + len(payload) + len(key.encode())


@dataclass(frozen=True, slots=True)
class OutboxItem:
    seq: int  # also the item's id for Outbox.ack()
    lane: Lane
    topic: str
    payload: bytes
    key: str
    qos: int
    created_at: float
    expires_at: float | None

    @property
    def size(self) -> int:
        return item_size(self.topic, self.payload, self.key)

    def expiry_interval(self, now: float) -> int | None:
        """Seconds left, rounded up, for the MQTT v5 message-expiry-interval; None when it never expires."""
        if self.expires_at is None:
            return None
        return max(1, math.ceil(self.expires_at - now))


@dataclass(frozen=True, slots=True)
class DroppedItem:
    seq: int
    lane: Lane
    topic: str
    key: str
    reason: DropReason


@dataclass(frozen=True, slots=True)
class LaneStats:
    depth: int
    bytes: int
    oldest_age_s: float


@dataclass(frozen=True, slots=True)
class OutboxStats:
    depth: int
    bytes: int
    oldest_age_s: float
    alarm: bool
    per_lane: Mapping[Lane, LaneStats]
    max_bytes: int
    max_age_s: float
