"""Every MQTT topic OneVisit uses. No other module spells a topic string.

Layout: ``ov/v1/{hall}/...``. Hall and device ids are restricted to ``[A-Za-z0-9_-]`` so they can never
inject a topic level or a wildcard.

A device publishes only under its own ``device/{id}/`` subtree, requests included
(``device/{id}/rpc/{service}``): the broker's ACL lets device ``id`` publish there and nowhere else, so the
topic a request arrives on names its sender. That is the only identity the controller believes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ROOT = "ov"
TOPIC_VERSION = "v1"

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class RpcService(StrEnum):
    """Request/response services offered by the hall controller."""

    TICKET = "ticket"  # issue, check-in, cancel, status
    WINDOW = "window"  # staff operations at a window
    RATING = "rating"  # 好差评 from an evaluator pad or kiosk
    LEASE = "lease"  # offline ticket-number blocks for kiosks
    DEVICE = "device"  # self-test reports, config fetch


def check_id(value: str, what: str = "id") -> str:
    if not _ID.fullmatch(value):
        raise ValueError(f"{what} {value!r} must be 1-64 characters of A-Z a-z 0-9 _ -")
    return value


def _base(hall: str) -> str:
    return f"{ROOT}/{TOPIC_VERSION}/{check_id(hall, 'hall')}"


def device_state(hall: str, device_id: str) -> str:
    """Retained presence: birth (online) and the last will (offline)."""
    return f"{_base(hall)}/device/{check_id(device_id, 'device')}/state"


def device_telemetry(hall: str, device_id: str) -> str:
    return f"{_base(hall)}/device/{check_id(device_id, 'device')}/telemetry"


def device_cmd(hall: str, device_id: str) -> str:
    """Commands to one device (request/response, with message expiry)."""
    return f"{_base(hall)}/device/{check_id(device_id, 'device')}/cmd"


def device_reply(hall: str, device_id: str) -> str:
    """Where a device receives answers to its own RPC requests (its MQTT v5 response topic)."""
    return f"{_base(hall)}/device/{check_id(device_id, 'device')}/reply"


def device_events(hall: str, device_id: str) -> str:
    """Fire-and-forget state-changing messages a device emits (e.g. its self-test result)."""
    return f"{_base(hall)}/device/{check_id(device_id, 'device')}/events"


def rpc(hall: str, device_id: str, service: RpcService) -> str:
    """A request from ``device_id`` to the controller's ``service`` (MQTT v5 response topic + correlation)."""
    return f"{_base(hall)}/device/{check_id(device_id, 'device')}/rpc/{service.value}"


def hall_state(hall: str) -> str:
    """Retained summary of queues and windows for screens and the console."""
    return f"{_base(hall)}/hall/state"


def hall_alerts(hall: str) -> str:
    """Retained efficiency alerts (效能监管) for the console."""
    return f"{_base(hall)}/hall/alerts"


def display(hall: str, zone: str) -> str:
    """Retained per-zone display content, so a reconnecting screen renders at once."""
    return f"{_base(hall)}/display/{check_id(zone, 'zone')}"


def events_calls(hall: str) -> str:
    return f"{_base(hall)}/events/calls"


def events_tickets(hall: str) -> str:
    return f"{_base(hall)}/events/tickets"


# Subscription filters -----------------------------------------------------------------------------


def all_device_states(hall: str) -> str:
    return f"{_base(hall)}/device/+/state"


def all_device_telemetry(hall: str) -> str:
    return f"{_base(hall)}/device/+/telemetry"


def all_device_events(hall: str) -> str:
    return f"{_base(hall)}/device/+/events"


def all_rpc(hall: str) -> str:
    return f"{_base(hall)}/device/+/rpc/+"


def all_displays(hall: str) -> str:
    return f"{_base(hall)}/display/+"


class TopicKind(StrEnum):
    DEVICE = "device"
    HALL = "hall"
    DISPLAY = "display"
    EVENTS = "events"


class DeviceLeaf(StrEnum):
    STATE = "state"
    TELEMETRY = "telemetry"
    CMD = "cmd"
    REPLY = "reply"
    EVENTS = "events"
    RPC = "rpc"


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    hall: str
    kind: TopicKind
    name: str  # device id, zone, hall feed (state/alerts) or event stream (calls/tickets)
    leaf: DeviceLeaf | None = None  # device topics only
    service: RpcService | None = None  # device rpc topics only

    def is_rpc(self) -> bool:
        return self.leaf is DeviceLeaf.RPC

    def is_device(self, leaf: DeviceLeaf) -> bool:
        return self.kind is TopicKind.DEVICE and self.leaf is leaf


def parse(topic: str) -> ParsedTopic:
    """Split a OneVisit topic into its parts; ValueError names what did not fit."""
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != ROOT or parts[1] != TOPIC_VERSION:
        raise ValueError(f"topic {topic!r} is not under {ROOT}/{TOPIC_VERSION}/")
    hall, kind, rest = parts[2], parts[3], parts[4:]
    if not _ID.fullmatch(hall) or any(not _ID.fullmatch(p) for p in rest):
        raise ValueError(f"topic {topic!r} has a level that is not an id")
    if kind == TopicKind.DEVICE and len(rest) == 2 and rest[1] in _LEAVES and rest[1] != DeviceLeaf.RPC:
        return ParsedTopic(hall, TopicKind.DEVICE, rest[0], DeviceLeaf(rest[1]))
    if kind == TopicKind.DEVICE and len(rest) == 3 and rest[1] == DeviceLeaf.RPC and rest[2] in _SERVICES:
        return ParsedTopic(hall, TopicKind.DEVICE, rest[0], DeviceLeaf.RPC, RpcService(rest[2]))
    if kind == TopicKind.HALL and rest in (["state"], ["alerts"]):
        return ParsedTopic(hall, TopicKind.HALL, rest[0])
    if kind == TopicKind.DISPLAY and len(rest) == 1:
        return ParsedTopic(hall, TopicKind.DISPLAY, rest[0])
    if kind == TopicKind.EVENTS and len(rest) == 1 and rest[0] in ("calls", "tickets"):
        return ParsedTopic(hall, TopicKind.EVENTS, rest[0])
    raise ValueError(f"topic {topic!r} has an unknown shape")


def is_rpc(topic: str) -> bool:
    """Whether ``topic`` is a device's request topic (False for anything that does not parse)."""
    try:
        return parse(topic).is_rpc()
    except ValueError:
        return False


_LEAVES = frozenset(leaf.value for leaf in DeviceLeaf)
_SERVICES = frozenset(s.value for s in RpcService)
