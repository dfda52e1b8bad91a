"""What a kiosk needs from a ticket/receipt printer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from drivers.health import PeripheralHealth
from drivers.receipt_printer.layout import TicketPrint


class ReceiptPrinter(Protocol):
    async def print_ticket(self, ticket: TicketPrint) -> PeripheralHealth:
        """Print and cut one queue ticket; returns the health after printing (e.g. degraded: media-low).

        Raises a ReceiptPrinterError (PaperOut, CoverOpen, CutterError, PrinterOffline, …) when the ticket
        was not printed completely; nothing is sent when the printer is known not to be able to print."""
        ...

    async def print_receipt(
        self, title: str, lines: Sequence[str], qr_url: str | None = None
    ) -> PeripheralHealth:
        ...

    async def health(self) -> PeripheralHealth: ...

    async def self_test(self) -> PeripheralHealth:
        """Print a test ticket (CJK text, a QR code, a cut) and report health afterwards."""
        ...

    async def close(self) -> None: ...
