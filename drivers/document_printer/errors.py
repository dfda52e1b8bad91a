"""Document printer errors, with what the citizen should do next."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceFault, DeviceTimeout, DriverError


class DocumentPrinterError(DriverError):
    message_zh = "文件打印机暂时无法使用，请联系工作人员。"
    message_en = "The document printer is not available right now. Please ask a member of staff."

    def __init__(self, detail: str, *, job_id: int | None = None, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.job_id = job_id
        self.reasons = reasons


class PrintServiceUnavailable(DocumentPrinterError, DeviceAbsent):
    """cupsd cannot be reached, or the queue does not exist."""

    message_zh = "打印服务未就绪，请联系工作人员。"
    message_en = "The printing service is not ready. Please ask a member of staff."


class PaperOut(DocumentPrinterError, DeviceFault):
    message_zh = "打印纸已用完，请联系工作人员更换。"
    message_en = "The printer is out of paper. Please ask a member of staff to refill it."


class PaperJam(DocumentPrinterError, DeviceFault):
    message_zh = "打印机卡纸，请联系工作人员处理。"
    message_en = "There is a paper jam. Please ask a member of staff."


class CoverOpen(DocumentPrinterError, DeviceFault):
    message_zh = "打印机盖未关好，请联系工作人员。"
    message_en = "The printer cover is open. Please ask a member of staff."


class PrinterOffline(DocumentPrinterError, DeviceTimeout):
    message_zh = "打印机没有响应，请联系工作人员。"
    message_en = "The printer is not responding. Please ask a member of staff."


class JobFailed(DocumentPrinterError, DeviceFault):
    """The printer aborted the job, or the queue stopped, or the job was held or canceled."""

    message_zh = "文件未能打印，请联系工作人员。"
    message_en = "Your document could not be printed. Please ask a member of staff."


class JobTimeout(DocumentPrinterError, DeviceTimeout):
    message_zh = "打印超时，文件未能打印完成，请联系工作人员。"
    message_en = "Printing took too long and did not finish. Please ask a member of staff."


class UnsupportedDocument(DocumentPrinterError):
    message_zh = "该文件无法打印，请联系工作人员。"
    message_en = "This file cannot be printed. Please ask a member of staff."


def error_for_reasons(reasons: tuple[str, ...], detail: str, *, job_id: int | None,
                      default: type[DocumentPrinterError]) -> DocumentPrinterError:
    """The most telling error for a stuck or failed job, from the printer's reason codes."""
    for code, cls in (("media-empty", PaperOut), ("media-jam", PaperJam), ("cover-open", CoverOpen),
                      ("offline", PrinterOffline)):
        if code in reasons:
            return cls(detail, job_id=job_id, reasons=reasons)
    return default(detail, job_id=job_id, reasons=reasons)
