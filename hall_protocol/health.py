"""The one shape in which every peripheral reports its health (IPP-style reason codes)."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class HealthState(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"  # works, but needs attention soon (paper low)
    FAULT = "fault"  # cannot do its job now (paper out, cover open)
    ABSENT = "absent"  # not connected or not found


class PeripheralHealth(msgspec.Struct, frozen=True, kw_only=True):
    state: HealthState
    reasons: tuple[str, ...] = ()  # e.g. "media-low", "media-empty", "cover-open", "sam-fault", "reader-absent"
    detail: str = ""  # a plain sentence for technicians; never personal data

    @classmethod
    def ok(cls) -> PeripheralHealth:
        return cls(state=HealthState.OK)


SEVERITY = {HealthState.OK: 0, HealthState.DEGRADED: 1, HealthState.FAULT: 2, HealthState.ABSENT: 3}


def worst(healths: list[PeripheralHealth]) -> HealthState:
    if not healths:
        return HealthState.OK
    return max((h.state for h in healths), key=SEVERITY.__getitem__)
