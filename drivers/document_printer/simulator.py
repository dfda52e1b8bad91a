"""A simulated document printer with a paper tray, for demos and kiosk development.

It keeps the real driver's contract: a job completes, or waits for paper and gives up with PaperOut after
the job timeout; a cover opened or the printer taken offline stops the job the same way.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from datetime import datetime
from pathlib import Path

from drivers.document_printer.documents import page_count, render_test_page
from drivers.document_printer.errors import JobTimeout, error_for_reasons
from drivers.document_printer.interface import PrintedJob
from drivers.document_printer.ipp_states import PrinterSnapshot, PrinterState, printer_health
from drivers.health import PeripheralHealth

log = logging.getLogger(__name__)


class SimulatedDocumentPrinter:
    def __init__(self, *, sheets: int = 500, low_at: int = 50, seconds_per_page: float = 0.0,
                 job_timeout_s: float = 120.0) -> None:
        self.sheets = sheets
        self.low_at = low_at
        self.seconds_per_page = seconds_per_page
        self.job_timeout_s = job_timeout_s
        self.cover_open = False
        self.offline = False
        self.printed_pages = 0
        self._next_job = 1
        self._changed = asyncio.Event()
        self.stalled = asyncio.Event()  # set while a job waits for paper, a closed cover or the printer
        self._lock = asyncio.Lock()

    # ---------------------------------------------------------------- staff and test actions

    def load_paper(self, sheets: int) -> None:
        self.sheets += sheets
        self._changed.set()

    def set_cover_open(self, is_open: bool) -> None:
        self.cover_open = is_open
        self._changed.set()

    def set_offline(self, offline: bool) -> None:
        self.offline = offline
        self._changed.set()

    # ---------------------------------------------------------------- DocumentPrinter

    def _reasons(self) -> tuple[str, ...]:
        reasons: list[str] = []
        if self.sheets == 0:
            reasons += ["media-empty-error", "media-needed-error"]
        elif self.sheets <= self.low_at:
            reasons.append("media-low-report")
        if self.cover_open:
            reasons.append("cover-open-error")
        if self.offline:
            reasons.append("offline-report")
        return tuple(reasons)

    async def health(self) -> PeripheralHealth:
        return printer_health(PrinterSnapshot(state=PrinterState.IDLE, reasons=self._reasons()))

    def _blocked(self) -> bool:
        return self.sheets == 0 or self.cover_open or self.offline

    async def print_file(self, path: Path, *, title: str = "OneVisit", copies: int = 1) -> PrintedJob:
        if not 1 <= copies <= 99:
            raise ValueError(f"copies must be 1..99, got {copies}")
        pages = await asyncio.to_thread(page_count, path) * copies
        async with self._lock:
            job_id = self._next_job
            self._next_job += 1
            started = time.monotonic()
            deadline = started + self.job_timeout_s
            for _ in range(pages):
                while self._blocked():
                    self.stalled.set()
                    self._changed.clear()
                    left = deadline - time.monotonic()
                    try:
                        async with asyncio.timeout(max(0.0, left)):
                            await self._changed.wait()
                    except TimeoutError:
                        health = await self.health()
                        detail = (f"sim job {job_id}: {self.printed_pages} pages printed, stuck on "
                                  f"{', '.join(health.reasons)} for {self.job_timeout_s} s; job canceled")
                        raise error_for_reasons(health.reasons, detail, job_id=job_id,
                                                default=JobTimeout) from None
                self.stalled.clear()
                if self.seconds_per_page:
                    await asyncio.sleep(self.seconds_per_page)
                self.sheets -= 1
                self.printed_pages += 1
            log.info("sim job %d (%s): %d pages", job_id, title, pages)
            return PrintedJob(job_id=job_id, seconds=time.monotonic() - started, health=await self.health())

    async def self_test(self) -> PrintedJob:
        page = await asyncio.to_thread(render_test_page, "sim", datetime.now())
        with tempfile.TemporaryDirectory(prefix="ov-selftest-") as tmp:
            path = Path(tmp) / "self-test.png"
            await asyncio.to_thread(page.save, path)
            return await self.print_file(path, title="OneVisit self-test")

    async def close(self) -> None:
        return None
