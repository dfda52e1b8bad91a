"""The LED window display's exceptions."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceTimeout, DriverError


class LedDisplayError(DriverError):
    reason = "display-error"


class DisplayRejected(LedDisplayError):
    """The display answered NAK; ``nak`` is its reason byte (``protocol.NakReason``)."""

    def __init__(self, nak: int, detail: str) -> None:
        super().__init__(detail)
        self.nak = nak


class DisplayTextError(LedDisplayError, ValueError):
    """The text cannot be sent at all (too long, not encodable in GB 18030): the caller's mistake."""


class DisplayNoAnswer(LedDisplayError, DeviceTimeout):
    reason = "display-not-responding"


class DisplayAbsent(LedDisplayError, DeviceAbsent):
    reason = "port-absent"
