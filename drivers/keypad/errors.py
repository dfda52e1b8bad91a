"""The keypads' exceptions."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceTimeout, DriverError


class KeypadError(DriverError):
    reason = "keypad-error"


class KeypadDisconnected(KeypadError, DeviceAbsent):
    reason = "port-absent"


class KeypadSilent(KeypadError, DeviceTimeout):
    """No frame (not even a heartbeat) for longer than the heartbeat timeout."""

    reason = "keypad-silent"
