"""A rolling history of each device's telemetry, in memory, for the console's charts.

Bounded twice: ``per_device`` samples per device (at the agents' default of one sample every 30 s, 360 is
three hours) and ``max_devices`` devices (the device that reported longest ago makes room). Nothing is
stored: after a restart the history starts again from the latest sample, which the broker keeps retained.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

from hall_protocol.devices import Telemetry

PER_DEVICE = 360
MAX_DEVICES = 1000


@dataclass(frozen=True, slots=True)
class Sample:
    received_at: float  # the controller's clock (the device's own is in ``telemetry.ts``)
    telemetry: Telemetry


class TelemetryHistory:
    def __init__(self, per_device: int = PER_DEVICE, max_devices: int = MAX_DEVICES) -> None:
        self.per_device = per_device
        self.max_devices = max_devices
        self._rings: OrderedDict[str, deque[Sample]] = OrderedDict()

    def add(self, sample: Telemetry, received_at: float) -> bool:
        """Keep ``sample``; False when it is the one already kept last (a retained copy seen again)."""
        ring = self._rings.get(sample.device_id)
        if ring is None:
            ring = self._rings[sample.device_id] = deque(maxlen=self.per_device)
            while len(self._rings) > self.max_devices:
                self._rings.popitem(last=False)
        elif ring and ring[-1].telemetry.ts == sample.ts:
            return False
        self._rings.move_to_end(sample.device_id)
        ring.append(Sample(received_at, sample))
        return True

    def samples(self, device_id: str) -> list[Sample]:
        """Oldest first."""
        return list(self._rings.get(device_id, ()))

    def latest(self, device_id: str) -> Sample | None:
        ring = self._rings.get(device_id)
        return ring[-1] if ring else None

    def forget(self, device_id: str) -> None:
        self._rings.pop(device_id, None)
