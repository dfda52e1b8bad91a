"""The keypads' exceptions."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceTimeout, DriverError


class KeypadError(DriverError):
    message_zh = "按键器暂时无法使用，请联系工作人员。"
    message_en = "The keypad is not available right now. Please ask a member of staff."


class KeypadDisconnected(KeypadError, DeviceAbsent):
    message_zh = "按键器连接已断开，请检查连接线。"
    message_en = "The keypad was disconnected. Please check its cable."


class KeypadSilent(KeypadError, DeviceTimeout):
    """No frame (not even a heartbeat) for longer than the heartbeat timeout."""

    message_zh = "按键器没有响应，请检查按键器电源和连线。"
    message_en = "The keypad does not answer. Please check its power and cable."
