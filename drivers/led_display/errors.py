"""The LED window display's exceptions."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceTimeout, DriverError


class LedDisplayError(DriverError):
    message_zh = "窗口显示屏暂时无法显示，请联系工作人员。"
    message_en = "The window display cannot show this right now. Please ask a member of staff."


class DisplayRejected(LedDisplayError):
    """The display answered NAK."""

    def __init__(self, reason: int, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class DisplayTextError(LedDisplayError, ValueError):
    """The text cannot be sent at all (too long, not encodable in GB 18030): the caller's mistake."""


class DisplayNoAnswer(LedDisplayError, DeviceTimeout):
    message_zh = "窗口显示屏没有响应，请检查显示屏电源和连线。"
    message_en = "The window display does not answer. Please check its power and cable."


class DisplayAbsent(LedDisplayError, DeviceAbsent):
    message_zh = "窗口显示屏未连接，请联系工作人员。"
    message_en = "The window display is not connected. Please ask a member of staff."
