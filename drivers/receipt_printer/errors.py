"""Receipt printer errors: each says in plain words what the citizen or staff should do."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceFault, DeviceTimeout, DriverError


class ReceiptPrinterError(DriverError):
    message_zh = "凭条打印机暂时无法使用，请联系工作人员。"
    message_en = "The ticket printer is not available right now. Please ask a member of staff."


class PrinterAbsent(ReceiptPrinterError, DeviceAbsent):
    message_zh = "凭条打印机未连接，请联系工作人员。"
    message_en = "The ticket printer is not connected. Please ask a member of staff."


class PrinterOffline(ReceiptPrinterError, DeviceTimeout):
    message_zh = "凭条打印机没有响应，请联系工作人员。"
    message_en = "The ticket printer is not responding. Please ask a member of staff."


class PaperOut(ReceiptPrinterError, DeviceFault):
    message_zh = "打印纸已用完，请联系工作人员更换。"
    message_en = "The printer is out of paper. Please ask a member of staff to refill it."

    def __init__(self, detail: str, *, incomplete: bool = False) -> None:
        """``incomplete``: part of the ticket was already printed when the paper ran out."""
        super().__init__(detail)
        self.incomplete = incomplete
        if incomplete:
            self.message_zh = "打印纸已用完，凭条未打印完整，请联系工作人员更换纸卷后重新打印。"
            self.message_en = ("The printer ran out of paper and the ticket is incomplete. "
                               "Please ask a member of staff to refill it and print again.")


class CoverOpen(ReceiptPrinterError, DeviceFault):
    message_zh = "打印机盖未关好，请联系工作人员。"
    message_en = "The printer cover is open. Please ask a member of staff."


class CutterError(ReceiptPrinterError, DeviceFault):
    message_zh = "打印机切纸故障，请联系工作人员取出凭条。"
    message_en = "The printer's paper cutter is stuck. Please ask a member of staff to take out your ticket."


class PrinterFault(ReceiptPrinterError, DeviceFault):
    message_zh = "打印机故障，请联系工作人员。"
    message_en = "The printer has a fault. Please ask a member of staff."
