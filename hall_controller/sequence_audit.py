"""Per-device sequence audit of what agents send from their outboxes. Sans-IO: time is passed in.

Every outbox message carries its device's sequence number (a user property). Lanes drain in priority
order, so numbers may arrive out of order; a number is only a *gap* when it is still missing ``grace_s``
after a later one arrived. A number seen twice is a *replay* (a PUBACK lost in an outage): harmless, because
requests are idempotent, but counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DeviceSequence:
    highest: int = 0
    missing: dict[int, float] = field(default_factory=dict)  # seq → when it was first noticed missing
    replays: int = 0
    reported: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Gap:
    device_id: str
    seq: int
    missing_since: float


class SequenceAudit:
    def __init__(self, grace_s: float = 120.0, max_missing: int = 10_000) -> None:
        self.grace_s = grace_s
        self.max_missing = max_missing
        self.devices: dict[str, DeviceSequence] = {}

    def observe(self, device_id: str, seq: int, now: float) -> None:
        d = self.devices.setdefault(device_id, DeviceSequence())
        if seq > d.highest:
            first_unseen = d.highest + 1 if d.highest else seq  # the first message we see starts the count
            for s in range(max(first_unseen, seq - self.max_missing), seq):
                d.missing.setdefault(s, now)
            d.highest = seq
        elif seq in d.missing:
            del d.missing[seq]
            d.reported.discard(seq)
        else:
            d.replays += 1

    def new_gaps(self, now: float) -> list[Gap]:
        """Gaps past the grace period that were not reported before."""
        out: list[Gap] = []
        for device_id, d in self.devices.items():
            for seq, since in d.missing.items():
                if now - since >= self.grace_s and seq not in d.reported:
                    d.reported.add(seq)
                    out.append(Gap(device_id, seq, since))
        return out
