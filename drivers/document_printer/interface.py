"""What a kiosk needs from a document (A4) printer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from drivers.health import PeripheralHealth


@dataclass(frozen=True, slots=True)
class PrintedJob:
    job_id: int
    seconds: float  # from submission to the completed state
    health: PeripheralHealth  # the printer's health when the job completed (e.g. media-low)


class DocumentPrinter(Protocol):
    async def print_file(self, path: Path, *, title: str = "OneVisit", copies: int = 1) -> PrintedJob:
        """Print a PDF or PNG and wait until the job completed. Raises a DocumentPrinterError if it was
        aborted, canceled, held, or did not finish within the configured time (the job is then canceled,
        so it does not come out later for someone else)."""
        ...

    async def health(self) -> PeripheralHealth: ...

    async def self_test(self) -> PrintedJob:
        """Print a test page (CJK text, a grey ramp, a QR code)."""
        ...

    async def close(self) -> None: ...
