"""Ticket/receipt printer over ESC/POS (serial or a USB printer-class node), emulator and simulator."""

from drivers.receipt_printer.config import (
    EscposFileConfig,
    EscposSerialConfig,
    ReceiptPrinterConfig,
    ReceiptSimConfig,
)
from drivers.receipt_printer.driver import EscposPrinter
from drivers.receipt_printer.emulator import EscposEmulator, Faults
from drivers.receipt_printer.errors import (
    CoverOpen,
    CutterError,
    PaperOut,
    PrinterAbsent,
    PrinterFault,
    PrinterOffline,
    ReceiptPrinterError,
)
from drivers.receipt_printer.factory import open_receipt_printer
from drivers.receipt_printer.interface import ReceiptPrinter
from drivers.receipt_printer.layout import TicketPrint, render_receipt, render_ticket
from drivers.receipt_printer.simulator import SimulatedReceiptPrinter

__all__ = [
    "CoverOpen",
    "CutterError",
    "EscposEmulator",
    "EscposFileConfig",
    "EscposPrinter",
    "EscposSerialConfig",
    "Faults",
    "PaperOut",
    "PrinterAbsent",
    "PrinterFault",
    "PrinterOffline",
    "ReceiptPrinter",
    "ReceiptPrinterConfig",
    "ReceiptPrinterError",
    "ReceiptSimConfig",
    "SimulatedReceiptPrinter",
    "TicketPrint",
    "open_receipt_printer",
    "render_receipt",
    "render_ticket",
]
