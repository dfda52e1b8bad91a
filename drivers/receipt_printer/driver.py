"""The ESC/POS printer driver: status before, between bands and after every print; raster printing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from PIL import Image

from drivers.byte_link import ByteLink, LinkClosed, LinkHolder, LinkStalled
from drivers.health import HealthState, PeripheralHealth
from drivers.receipt_printer import escpos
from drivers.receipt_printer.errors import (
    CoverOpen,
    CutterError,
    PaperOut,
    PrinterAbsent,
    PrinterFault,
    PrinterOffline,
)
from drivers.receipt_printer.layout import HALL_TZ, TicketPrint, render_receipt, render_ticket
from drivers.receipt_printer.status import FullStatus, OfflineCause, StatusByteError, to_health

log = logging.getLogger(__name__)


class EscposPrinter:
    """Implements ReceiptPrinter over any byte link. ``open_link`` runs in a worker thread on first use and
    again after the device went away, so a printer plugged in later is picked up."""

    def __init__(self, open_link: Callable[[], ByteLink], *, name: str, width_dots: int = 576,
                 status_timeout_s: float = 0.5, band_rows: int = escpos.DEFAULT_BAND_ROWS,
                 partial_cut: bool = True) -> None:
        self._link = LinkHolder(open_link)
        self.name = name
        self.width_dots = width_dots
        self.status_timeout_s = status_timeout_s
        self.band_rows = band_rows
        self.partial_cut = partial_cut
        self._lock = asyncio.Lock()  # one job or status exchange at a time: answers are not tagged

    # ---------------------------------------------------------------- public API

    async def print_ticket(self, ticket: TicketPrint) -> PeripheralHealth:
        image = await asyncio.to_thread(render_ticket, ticket, width=self.width_dots)
        return await self.print_image(image, what=f"ticket {ticket.number}")

    async def print_receipt(
        self, title: str, lines: Sequence[str], qr_url: str | None = None
    ) -> PeripheralHealth:
        image = await asyncio.to_thread(render_receipt, title, lines, qr_url, width=self.width_dots,
                                        printed_at=datetime.now(HALL_TZ))
        return await self.print_image(image, what="receipt")

    async def health(self) -> PeripheralHealth:
        async with self._lock:
            try:
                status = await asyncio.to_thread(self._status_blocking)
            except PrinterAbsent as err:
                return PeripheralHealth(state=HealthState.ABSENT, reasons=(err.reason,), detail=str(err))
            except PrinterFault as err:  # only a status byte that makes no sense can raise it here
                return PeripheralHealth(state=HealthState.FAULT, reasons=(err.reason,), detail=str(err))
        return to_health(status)

    async def self_test(self) -> PeripheralHealth:
        image = await asyncio.to_thread(
            render_receipt,
            "打印机自检 Printer self-test",
            [f"设备 Device: {self.name}", f"纸宽 Width: {self.width_dots} dots",
             "中文字体测试：政务服务 最多跑一次", "ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789",
             "如能扫描下方二维码，打印质量正常。If the QR code scans, print quality is fine."],
            "https://onevisit.invalid/self-test",
            width=self.width_dots, printed_at=datetime.now(HALL_TZ))
        return await self.print_image(image, what="self-test")

    async def close(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._link.drop)

    async def print_image(self, image: Image.Image, *, what: str = "image") -> PeripheralHealth:
        if image.width > self.width_dots:
            raise ValueError(f"image is {image.width} dots wide; the paper has {self.width_dots}")
        chunks = escpos.ticket_job(image, partial_cut=self.partial_cut, band_rows=self.band_rows)
        async with self._lock:
            status = await asyncio.to_thread(self._print_blocking, chunks, what)
        return to_health(status)

    # ---------------------------------------------------------------- worker-thread side

    @contextlib.contextmanager
    def _link_errors(self) -> Iterator[None]:
        """The link's failures as this driver's: a lost link is dropped (reopened on next use)."""
        try:
            yield
        except LinkClosed as err:
            self._link.drop()
            raise PrinterAbsent(f"{self.name}: {err}") from err
        except LinkStalled as err:
            raise PrinterOffline(f"{self.name}: {err}") from err

    def _ask(self, link: ByteLink, n: escpos.StatusRequest) -> int | None:
        link.write(escpos.status_request(n))
        answer = link.read(self.status_timeout_s)
        return answer[0] if answer else None  # one byte answers DLE EOT; anything after it is noise

    def _status_blocking(self) -> FullStatus | None:
        """All four status bytes, or None when the printer does not answer."""
        with self._link_errors():
            link = self._link.get()
            link.discard_input()  # a late answer from an earlier timeout must not be read as this one
            values: list[int] = []
            for n in escpos.StatusRequest:
                value = self._ask(link, n)
                if value is None:
                    log.warning("%s: no answer to DLE EOT %d", self.name, n)
                    return None
                values.append(value)
        try:
            return FullStatus.parse(bytes(values))
        except StatusByteError as err:
            raise PrinterFault(f"{self.name}: {err}", reason="protocol-error") from err

    def _offline_cause_blocking(self, link: ByteLink) -> OfflineCause | None:
        link.discard_input()
        value = self._ask(link, escpos.StatusRequest.OFFLINE_CAUSE)
        if value is None:
            return None
        try:
            return OfflineCause.parse(value)
        except StatusByteError as err:
            raise PrinterFault(f"{self.name}: {err}", reason="protocol-error") from err

    def _print_blocking(self, chunks: list[bytes], what: str) -> FullStatus:
        before = self._status_blocking()
        self._raise_if_cannot_print(before, what, started=False)
        assert before is not None
        last = len(chunks) - 1
        with self._link_errors():
            link = self._link.get()
            for index, chunk in enumerate(chunks):
                link.write(chunk)
                if index == last:
                    break
                cause = self._offline_cause_blocking(link)
                if cause is None or cause.stopped_paper_end or cause.cover_open or cause.error:
                    # Stop sending at once; the full status tells which fault, and the rest of the
                    # ticket is not pushed into a printer that will print it after a refill.
                    after = self._status_blocking()
                    self._raise_if_cannot_print(after, what, started=True,
                                                progress=f"after chunk {index + 1} of {len(chunks)}")
        after = self._status_blocking()
        if after is not None and after.paper_out and not (after.offline.cover_open or after.error.cutter_error
                                                           or after.error.unrecoverable):
            # Every raster band was printed before the sensor tripped: the ticket is whole. The roll is
            # empty now, which the returned health says, and the next print is refused before sending.
            log.warning("%s: paper ran out right after %s", self.name, what)
            return after
        self._raise_if_cannot_print(after, what, started=True, progress="after the cut")
        assert after is not None
        log.info("%s: printed %s (%s)", self.name, what, ", ".join(after.reasons()) or "ok")
        return after

    def _raise_if_cannot_print(self, status: FullStatus | None, what: str, *, started: bool,
                               progress: str = "") -> None:
        where = f"{what} {progress}".strip() if started else f"{what} not sent"
        if status is None:
            raise PrinterOffline(f"{self.name}: no status answer; {where}")
        if status.paper_out:
            raise PaperOut(f"{self.name}: paper end; {where}", incomplete=started)
        if status.offline.cover_open:
            raise CoverOpen(f"{self.name}: cover open; {where}")
        if status.error.cutter_error:
            raise CutterError(f"{self.name}: autocutter error; {where}")
        if status.error.unrecoverable:
            raise PrinterFault(f"{self.name}: unrecoverable error; {where}")
        if status.printer.offline:
            raise PrinterOffline(f"{self.name}: printer offline ({', '.join(status.reasons())}); {where}")

