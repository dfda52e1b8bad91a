"""Document (A4) printer via CUPS, and a simulator with a paper tray."""

from drivers.document_printer.config import CupsConfig, DocumentPrinterConfig, DocumentSimConfig
from drivers.document_printer.cups_printer import CupsPrinter
from drivers.document_printer.errors import (
    CoverOpen,
    DocumentPrinterError,
    JobFailed,
    JobTimeout,
    PaperJam,
    PaperOut,
    PrinterOffline,
    PrintServiceUnavailable,
    UnsupportedDocument,
)
from drivers.document_printer.factory import open_document_printer
from drivers.document_printer.interface import DocumentPrinter, PrintedJob
from drivers.document_printer.simulator import SimulatedDocumentPrinter

__all__ = [
    "CoverOpen",
    "CupsConfig",
    "CupsPrinter",
    "DocumentPrinter",
    "DocumentPrinterConfig",
    "DocumentPrinterError",
    "DocumentSimConfig",
    "JobFailed",
    "JobTimeout",
    "PaperJam",
    "PaperOut",
    "PrintServiceUnavailable",
    "PrintedJob",
    "PrinterOffline",
    "SimulatedDocumentPrinter",
    "UnsupportedDocument",
    "open_document_printer",
]
