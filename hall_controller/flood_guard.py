"""Cutting off, at the broker, a device that sends what no honest agent sends.

The fair queue keeps a flood from delaying other devices once the controller has read it; it cannot keep the
flood from being read. Every message costs paho's receive (about 190 µs of CPU) in arrival order, so during a
flood an honest kiosk's request waits behind it in the socket, for seconds on a busy machine. So a device whose
requests are refused as hostile (a response topic not its own, a body that does not decode, an action or a
target its role does not have) more often than an honest agent could be wrong is disabled at the broker
(dynamic-security ``disableClient``) for a cool-down: Mosquitto drops its connection and refuses it until the
controller enables it again. What it had already sent is still read and answered as before.

Volume alone is never a reason. After a controller outage an honest agent's backlog arrives at once, thousands
of valid requests; and an agent that cannot connect keeps what it has not sent in its durable outbox, so a
cut-off loses nothing of an honest device's: it only delays it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from hall_controller.enrollment.errors import BrokerAdminError
from hall_controller.fairness import TokenBucket, spend

log = logging.getLogger(__name__)

STRIKES_PER_S, STRIKE_BURST = 1.0, 50.0  # hostile requests a device may send before it is cut off
COOL_DOWN_S = 60.0
RESUME_RETRY_S = 10.0


class BrokerSwitch(Protocol):
    """Turning devices' broker accounts off and on (the real one is the dynsec admin, ``BrokerAdmin``)."""

    async def suspend_device(self, device_id: str) -> None: ...

    async def resume_devices(self, device_ids: Sequence[str]) -> None: ...


@dataclass
class Strikes:
    """Which devices have sent more hostile requests than an honest one could, and are cooling down.

    Sans-IO: the caller passes the time and does the cutting off when :meth:`strike` says so."""

    rate: float = STRIKES_PER_S
    burst: float = STRIKE_BURST
    cool_down_s: float = COOL_DOWN_S
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)
    _cooling: dict[str, float] = field(default_factory=dict)  # device -> when its cool-down ends

    def strike(self, device: str, now: float) -> bool:
        """One hostile request from ``device``; True when this one starts its cool-down (once per cool-down)."""
        if self.cooling(device, now):
            return False
        if spend(self._buckets, device, self.rate, self.burst, now):
            return False
        self._cooling[device] = now + self.cool_down_s
        del self._buckets[device]  # back with a clean record
        return True

    def cooling(self, device: str, now: float) -> bool:
        until = self._cooling.get(device)
        if until is not None and now >= until:
            del self._cooling[device]
            return False
        return until is not None

    def devices_cooling(self, now: float) -> list[str]:
        return [d for d in list(self._cooling) if self.cooling(d, now)]


async def cut_off(switch: BrokerSwitch, device: str, cool_down_s: float) -> None:
    """Disable ``device`` at the broker, wait out the cool-down, enable it again (retrying until the broker
    takes it; a controller that stops meanwhile enables every live device when it starts again)."""
    try:
        await switch.suspend_device(device)
    except BrokerAdminError as err:
        log.error("device %s sends requests no honest agent sends, and could not be cut off at the broker: %s",
                  device, err)
        return
    log.warning("device %s sends requests no honest agent sends: cut off at the broker for %.0f s",
                device, cool_down_s)
    await asyncio.sleep(cool_down_s)
    while True:
        try:
            await switch.resume_devices([device])
        except BrokerAdminError as err:
            log.warning("device %s: could not enable it again at the broker yet (%s); retrying", device, err)
            await asyncio.sleep(RESUME_RETRY_S)
            continue
        log.info("device %s may connect to the broker again", device)
        return
