"""The drivers' exception tree. Each carries a plain-language message for the citizen or technician."""

from __future__ import annotations

from hall_protocol.errors import OneVisitError


class DriverError(OneVisitError):
    """A device could not do what was asked.

    ``message_zh``/``message_en`` are what a person at the kiosk is told; ``str(err)`` is the log detail.
    """

    message_zh = "设备暂时无法使用，请联系工作人员。"
    message_en = "The device is not available right now. Please ask a member of staff."

    def __init__(self, detail: str, *, message_zh: str | None = None, message_en: str | None = None) -> None:
        super().__init__(detail)
        if message_zh is not None:
            self.message_zh = message_zh
        if message_en is not None:
            self.message_en = message_en


class DeviceAbsent(DriverError):
    message_zh = "设备未连接，请联系工作人员。"
    message_en = "The device is not connected. Please ask a member of staff."


class DeviceTimeout(DriverError):
    message_zh = "设备没有响应，请稍后再试。"
    message_en = "The device did not answer. Please try again."


class DeviceFault(DriverError):
    pass
