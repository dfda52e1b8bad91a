"""Build the configured receipt printer."""

from __future__ import annotations

from functools import partial

from drivers.byte_link import DeviceFileLink, SerialLink
from drivers.receipt_printer.config import (
    DOTS_PER_LINE,
    EscposFileConfig,
    EscposSerialConfig,
    ReceiptPrinterConfig,
    ReceiptSimConfig,
)
from drivers.receipt_printer.driver import EscposPrinter
from drivers.receipt_printer.emulator import Faults
from drivers.receipt_printer.interface import ReceiptPrinter
from drivers.receipt_printer.simulator import SimulatedReceiptPrinter


def open_receipt_printer(config: ReceiptPrinterConfig) -> ReceiptPrinter:
    """No I/O happens here: the device is opened on first use, in a worker thread."""
    width = DOTS_PER_LINE[config.paper_width_mm]
    match config:
        case EscposSerialConfig():
            open_serial = partial(SerialLink, config.port, config.baudrate, write_timeout=config.write_timeout_s)
            return EscposPrinter(open_serial, name=config.port, width_dots=width,
                                 status_timeout_s=config.status_timeout_s, band_rows=config.band_rows,
                                 partial_cut=config.partial_cut)
        case EscposFileConfig():
            return EscposPrinter(partial(DeviceFileLink, config.path), name=config.path, width_dots=width,
                                 status_timeout_s=config.status_timeout_s, band_rows=config.band_rows,
                                 partial_cut=config.partial_cut)
        case ReceiptSimConfig():
            faults = Faults(paper_out_after_tickets=config.tickets_per_roll)
            sim = SimulatedReceiptPrinter(width_dots=width, faults=faults)
            return sim
    raise TypeError(f"unknown receipt printer config {type(config).__name__}")
