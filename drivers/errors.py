"""The drivers' exception tree.

An exception says what kind of failure happened (its class), the detail for the log (``str(err)``, in
English, never personal data) and ``reason``: a machine code in the vocabulary of the health reasons
(``media-empty``, ``cover-open``, ``reader-absent``…). What a person is told is not the drivers' business:
the kiosk maps classes and reasons to its own translated texts.
"""

from __future__ import annotations

from hall_protocol.errors import OneVisitError


class DriverError(OneVisitError):
    """A device could not do what was asked."""

    reason: str = "driver-error"

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        if reason is not None:
            self.reason = reason


class DeviceAbsent(DriverError):
    reason = "device-absent"


class DeviceTimeout(DriverError):
    reason = "not-responding"


class DeviceFault(DriverError):
    reason = "device-fault"
