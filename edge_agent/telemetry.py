"""Device health telemetry (latest-value: a newer sample replaces an unsent older one, never a queue).

``TelemetryCollector.sample()`` reads /proc and /sys through psutil and is quick, but statvfs on a sick
disk can stall: call :meth:`TelemetryCollector.sample_async` from the event loop, which runs it in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Generic, TypeVar

import psutil

from edge_agent.outbox_items import OutboxStats
from hall_protocol.devices import Telemetry
from hall_protocol.health import PeripheralHealth

logger = logging.getLogger(__name__)

THERMAL_ROOT = Path("/sys/class/thermal")
_MIB = 1024 * 1024

T = TypeVar("T")


def read_temperature(root: Path = THERMAL_ROOT) -> float | None:
    """The hottest thermal zone in °C, or None when the machine exposes none (VMs, most x86 kiosks' BIOS)."""
    temps: list[float] = []
    for zone in sorted(root.glob("thermal_zone*")):
        try:
            text = (zone / "temp").read_text().strip()
            millideg = int(text)
        except (OSError, ValueError):
            continue  # a zone that cannot be read (sensor off, EIO) says nothing
        # Some drivers report an unplugged sensor as a huge negative value; keep what a board can reach.
        if -40_000 <= millideg <= 150_000:
            temps.append(millideg / 1000)
    return max(temps) if temps else None


class TelemetryCollector:
    """Builds :class:`hall_protocol.devices.Telemetry` for one device."""

    def __init__(
        self,
        device_id: str,
        *,
        disk_path: str | Path = "/",
        thermal_root: Path = THERMAL_ROOT,
        process: psutil.Process | None = None,
    ) -> None:
        self.device_id = device_id
        self.disk_path = str(disk_path)
        self.thermal_root = thermal_root
        self._process = process or psutil.Process()
        # cpu_percent(None) measures since the previous call; the first call only starts the clock.
        psutil.cpu_percent(interval=None)

    def sample(
        self,
        *,
        now: float,
        outbox: OutboxStats | None = None,
        peripherals: Mapping[str, PeripheralHealth] | None = None,
    ) -> Telemetry:
        """``uptime_s`` is the device's (time since boot), not the agent's: the agent's restarts show in
        its birth message's boot id."""
        disk_pct = 0.0
        try:
            disk_pct = psutil.disk_usage(self.disk_path).percent
        except OSError as err:
            logger.warning("telemetry: cannot read disk usage of %s: %s", self.disk_path, err)
        try:
            rss_mib = self._process.memory_info().rss / _MIB
        except psutil.Error as err:
            logger.warning("telemetry: cannot read own memory: %s", err)
            rss_mib = 0.0
        return Telemetry(
            device_id=self.device_id,
            ts=now,
            cpu_pct=psutil.cpu_percent(interval=None),
            mem_pct=psutil.virtual_memory().percent,
            rss_mib=round(rss_mib, 1),
            temp_c=read_temperature(self.thermal_root),
            disk_pct=disk_pct,
            uptime_s=max(0.0, time.time() - psutil.boot_time()),
            outbox_depth=outbox.depth if outbox else 0,
            outbox_oldest_s=outbox.oldest_age_s if outbox else 0.0,
            outbox_alarm=outbox.alarm if outbox else False,
            peripherals=dict(peripherals or {}),
        )

    async def sample_async(
        self,
        *,
        now: float,
        outbox: OutboxStats | None = None,
        peripherals: Mapping[str, PeripheralHealth] | None = None,
    ) -> Telemetry:
        return await asyncio.to_thread(self.sample, now=now, outbox=outbox, peripherals=peripherals)


class LatestValue(Generic[T]):
    """Holds only the newest unsent value. ``set`` replaces; ``take`` empties; ``wait`` awaits one."""

    def __init__(self) -> None:
        self._slot: list[T] = []  # zero or one value; a list keeps "empty" apart from a stored None
        self._event = asyncio.Event()
        self.replaced = 0  # values overwritten before anyone took them (diagnostics)

    def set(self, value: T) -> None:
        if self._slot:
            self.replaced += 1
        self._slot[:] = [value]
        self._event.set()

    def peek(self) -> T | None:
        return self._slot[0] if self._slot else None

    def take(self) -> T | None:
        """The newest value, or None when nothing new arrived since the last take."""
        return self._pop() if self._slot else None

    def put_back(self, value: T) -> None:
        """Return a value whose send failed, unless a newer one arrived meanwhile (newer wins)."""
        if not self._slot:
            self.set(value)

    async def wait(self) -> T:
        """Wait for a value and take it."""
        while not self._slot:
            await self._event.wait()
        return self._pop()

    def _pop(self) -> T:
        self._event.clear()
        return self._slot.pop()
