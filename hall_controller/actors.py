"""Who is asking: the actor behind every request, and where the controller learns a device's role.

A device's identity is the device id in the topic its request arrived on (``device/{id}/rpc/...``): the
broker's ACL lets a device publish under its own id only, so that id cannot be forged. Its role, zone and
window come from the controller's own records, never from anything the device says: the enrolment registry
in an enrolled hall, the ``[[devices]]`` table of ``hall.toml`` in a hall run without enrolment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from hall_controller.accounts import PersonRole
from hall_protocol.devices import Role
from hall_protocol.hall_config import HallConfig


class ActorKind(StrEnum):
    DEVICE = "device"
    PERSON = "person"  # window staff, a manager or a technician, logged in to a page
    API = "api"  # an integration with an API token
    SYSTEM = "system"  # the controller itself (timers, day rollover)


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str
    role: Role | PersonRole | None = None  # a device's role, or a person's; None for API clients and the system
    zone: str = ""
    window: str | None = None  # the window a device stands at, or the window a staff member is logged into
    scopes: frozenset[str] = frozenset()  # an API client's scopes

    @property
    def label(self) -> str:
        """How the audit log and the log name this actor: ``device:kiosk-A-01``, ``staff:zhang``,
        ``manager:li``, ``api:portal``."""
        return f"{self.role if self.kind is ActorKind.PERSON else self.kind}:{self.id}"


SYSTEM = Actor(ActorKind.SYSTEM, "controller")

RegistryLookup = Callable[[str], Actor | None]
"""Answers for an enrolled device (None when the registry does not know it or it was retired)."""


class DeviceDirectory:
    """Device id → Actor. The registry answers first; the hall config's static devices after it.

    Registry answers are cached for ``ttl_s`` (each lookup is a database read); retiring a device cuts its
    broker account at once, so a stale cache entry cannot outlive the device's connection.
    """

    def __init__(
        self,
        config: HallConfig,
        registry: RegistryLookup | None = None,
        *,
        ttl_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._static = {
            d.id: Actor(ActorKind.DEVICE, d.id, d.role, d.zone, d.window) for d in config.devices
        }
        self._registry = registry
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, Actor | None]] = {}

    def lookup(self, device_id: str) -> Actor | None:
        if self._registry is not None:
            now = self._clock()
            hit = self._cache.get(device_id)
            if hit is None or now - hit[0] > self._ttl_s:
                if len(self._cache) > 10_000:  # unknown ids from a hostile sender must not grow it forever
                    self._cache.clear()
                hit = (now, self._registry(device_id))
                self._cache[device_id] = hit
            if hit[1] is not None:
                return hit[1]
        return self._static.get(device_id)

    def forget(self, device_id: str) -> None:
        """Drop a cached answer (after the registry changed the device)."""
        self._cache.pop(device_id, None)
