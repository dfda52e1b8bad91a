"""Build the configured document printer."""

from __future__ import annotations

from drivers.document_printer.config import CupsConfig, DocumentPrinterConfig, DocumentSimConfig
from drivers.document_printer.cups_printer import CupsPrinter
from drivers.document_printer.interface import DocumentPrinter
from drivers.document_printer.simulator import SimulatedDocumentPrinter


def open_document_printer(config: DocumentPrinterConfig) -> DocumentPrinter:
    """No I/O happens here; the CUPS connection is made on first use, in the driver's worker thread."""
    match config:
        case CupsConfig():
            return CupsPrinter(config)
        case DocumentSimConfig():
            return SimulatedDocumentPrinter(sheets=config.sheets, low_at=config.low_at,
                                            seconds_per_page=config.seconds_per_page,
                                            job_timeout_s=config.job_timeout_s)
    raise TypeError(f"unknown document printer config {type(config).__name__}")
