"""Receipt printer errors; ``reason`` is the status reason the failure shows as in ``health()``."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceFault, DeviceTimeout, DriverError


class ReceiptPrinterError(DriverError):
    reason = "printer-error"


class PrinterAbsent(ReceiptPrinterError, DeviceAbsent):
    reason = "printer-absent"


class PrinterOffline(ReceiptPrinterError, DeviceTimeout):
    reason = "offline"


class PaperOut(ReceiptPrinterError, DeviceFault):
    reason = "media-empty"

    def __init__(self, detail: str, *, incomplete: bool = False) -> None:
        """``incomplete``: part of the ticket was already printed when the paper ran out."""
        super().__init__(detail)
        self.incomplete = incomplete


class CoverOpen(ReceiptPrinterError, DeviceFault):
    reason = "cover-open"


class CutterError(ReceiptPrinterError, DeviceFault):
    reason = "cutter-error"


class PrinterFault(ReceiptPrinterError, DeviceFault):
    """The printer reports an unrecoverable error, or answers status requests with bytes that make no
    sense (``reason`` ``protocol-error``)."""

    reason = "unrecoverable-error"
