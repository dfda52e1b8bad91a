"""What the view-models print (receipts: tickets, checklists) and the printer they need.

The receipt is already in the citizen's language: it is paper, it cannot be switched later.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from drivers.errors import DriverError
from hall_protocol.health import PeripheralHealth
from hall_protocol.tickets import TicketView

PAPER_OUT_REASONS = frozenset({"media-empty", "media-needed", "media-jam"})


class LineSize(StrEnum):
    NORMAL = "normal"
    LARGE = "large"
    HUGE = "huge"  # the ticket number


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    text: str
    size: LineSize = LineSize.NORMAL
    center: bool = False


@dataclass(frozen=True, slots=True)
class Receipt:
    lines: tuple[ReceiptLine, ...]
    qr: str | None = None  # payload printed as a QR code under the lines
    ticket: TicketView | None = None  # set for a queue ticket: printers with a ticket layout use it


class KioskPrinter(Protocol):
    """The kiosk's receipt/document printer. Failures raise ``drivers.errors.DriverError``."""

    async def print_receipt(self, receipt: Receipt) -> None: ...

    async def print_document(self, data: bytes, mime: str, title: str) -> None: ...

    async def health(self) -> PeripheralHealth: ...


class PrintProblem(StrEnum):
    PAPER_OUT = "paper-out"
    FAULT = "fault"


async def classify_print_failure(printer: KioskPrinter, err: DriverError) -> PrintProblem:
    """Paper out or something else? Ask the printer's health; the error alone may not say."""
    try:
        health = await printer.health()
    except DriverError:
        return PrintProblem.FAULT
    if PAPER_OUT_REASONS.intersection(health.reasons):
        return PrintProblem.PAPER_OUT
    return PrintProblem.FAULT
