"""Document printer errors; ``reason`` is the printer-state reason (IPP vocabulary) each one stands for."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceFault, DeviceTimeout, DriverError


class DocumentPrinterError(DriverError):
    """``reasons``: the printer-state reasons seen when the job failed (what ``health()`` would say)."""

    reason = "other-error"

    def __init__(self, detail: str, *, job_id: int | None = None, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.job_id = job_id
        self.reasons = reasons


class PrintServiceUnavailable(DocumentPrinterError, DeviceAbsent):
    """cupsd cannot be reached, or the queue does not exist."""

    reason = "printer-absent"


class PaperOut(DocumentPrinterError, DeviceFault):
    reason = "media-empty"


class PaperJam(DocumentPrinterError, DeviceFault):
    reason = "media-jam"


class CoverOpen(DocumentPrinterError, DeviceFault):
    reason = "cover-open"


class PrinterOffline(DocumentPrinterError, DeviceTimeout):
    reason = "offline"


class JobFailed(DocumentPrinterError, DeviceFault):
    """The printer aborted the job, or the queue stopped, or the job was held or canceled."""

    reason = "job-failed"


class JobTimeout(DocumentPrinterError, DeviceTimeout):
    reason = "job-timed-out"


class UnsupportedDocument(DocumentPrinterError):
    reason = "document-unsupported"


def error_for_reasons(reasons: tuple[str, ...], detail: str, *, job_id: int | None,
                      default: type[DocumentPrinterError]) -> DocumentPrinterError:
    """The most telling error for a stuck or failed job, from the printer's reason codes."""
    for cls in (PaperOut, PaperJam, CoverOpen, PrinterOffline):
        if cls.reason in reasons:
            return cls(detail, job_id=job_id, reasons=reasons)
    return default(detail, job_id=job_id, reasons=reasons)
