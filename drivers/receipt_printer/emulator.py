"""An ESC/POS thermal printer emulator (sans-IO): bytes in, status answers out, printed tickets kept.

It parses the commands this driver sends (ESC @, ESC d, GS v 0, GS V, DLE EOT), answers DLE EOT with
status bytes, keeps each cut ticket as an image, and can be scripted to fail the way real printers do.
Host it on a pseudo-terminal with drivers.serial_pty.PtyHost, or in-process for the simulator.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from PIL import Image

from drivers.receipt_printer.escpos import DLE, EOT, ESC, GS

log = logging.getLogger(__name__)

ESC_AT = bytes((ESC, 0x40))
ESC_D = bytes((ESC, 0x64))
GS_V0 = bytes((GS, 0x76, 0x30))
GS_V = bytes((GS, 0x56))
DLE_EOT = bytes((DLE, EOT))
FEED_LINE_DOTS = 30  # one line of the default line spacing, in dots


@dataclass
class Faults:
    """What goes wrong, and when. Change fields while a test runs (under ``emulator.lock``)."""

    paper_near_end: bool = False
    paper_out: bool = False
    paper_out_after_tickets: int | None = None  # the roll ends right after this many cut tickets
    paper_out_after_rows: int | None = None  # ...or after this many raster rows of the next ticket
    cover_open: bool = False
    cutter_jams: bool = False  # the next GS V fails and the printer goes offline
    unrecoverable: bool = False
    silent: bool = False  # no answer at all: unplugged, powered off, wrong baud rate


@dataclass
class EmulatorLog:
    tickets: list[Image.Image] = field(default_factory=list)  # cut, complete tickets
    torn: list[Image.Image] = field(default_factory=list)  # what got printed before a stop
    commands: list[str] = field(default_factory=list)
    discarded_bytes: int = 0  # data that arrived while the printer could not print
    status_requests: int = 0
    cut_count: int = 0  # every complete ticket, also those no longer kept in ``tickets``

    def trim(self, keep: int) -> None:
        """Keep only the newest ``keep`` images and commands (a long-running simulator must not grow)."""
        for items in (self.tickets, self.torn, self.commands):
            del items[:-keep]


class EscposEmulator:
    def __init__(self, *, width_dots: int = 576, faults: Faults | None = None, keep_last: int | None = None) -> None:
        self.width_dots = width_dots
        self.keep_last = keep_last
        self.faults = faults or Faults()
        self.log = EmulatorLog()
        self.lock = threading.Lock()
        self._buf = bytearray()
        self._bands: list[Image.Image] = []
        self._rows_this_ticket = 0
        self._cutter_error = False

    # ---------------------------------------------------------------- state seen by the status bytes

    def _paper_end(self) -> bool:
        return self.faults.paper_out

    def _cannot_print(self) -> bool:
        f = self.faults
        return f.paper_out or f.cover_open or self._cutter_error or f.unrecoverable

    def status_byte(self, n: int) -> int:
        f = self.faults
        value = 0x12
        if n == 1:
            value |= 0x08 if self._cannot_print() else 0
        elif n == 2:
            value |= (0x04 if f.cover_open else 0) | (0x20 if f.paper_out else 0)
            value |= 0x40 if (self._cutter_error or f.unrecoverable) else 0
        elif n == 3:
            value |= (0x08 if self._cutter_error else 0) | (0x20 if f.unrecoverable else 0)
        elif n == 4:
            value |= (0x0C if (f.paper_near_end or f.paper_out) else 0) | (0x60 if f.paper_out else 0)
        return value

    # ---------------------------------------------------------------- scripting and staff actions

    def script(self, **changes: bool | int | None) -> None:
        """Change faults while the host thread may be reading: ``emu.script(cover_open=True)``."""
        with self.lock:
            for name, value in changes.items():
                if not hasattr(self.faults, name):
                    raise AttributeError(f"no such fault: {name}")
                setattr(self.faults, name, value)

    def load_paper(self) -> None:
        with self.lock:
            self.faults.paper_out = False
            self.faults.paper_near_end = False
            self.faults.paper_out_after_tickets = None
            self.faults.paper_out_after_rows = None

    def clear_cutter(self) -> None:
        with self.lock:
            self._cutter_error = False
            self.faults.cutter_jams = False

    # ---------------------------------------------------------------- byte stream

    def receive(self, data: bytes) -> list[tuple[float, bytes]]:
        with self.lock:
            self._buf += data
            replies = bytearray()
            while self._buf:
                consumed, reply = self._step()
                if consumed == 0:
                    break  # an incomplete command: wait for more bytes
                del self._buf[:consumed]
                replies += reply
            return [(0.0, bytes(replies))] if replies else []

    def _step(self) -> tuple[int, bytes]:
        b = self._buf
        if (len(b) == 1 and b[0] in (ESC, GS, DLE)) or b == GS_V0[:2]:
            return 0, b""  # a command split across reads: its first bytes alone mean nothing yet
        if b[:2] == DLE_EOT:
            if len(b) < 3:
                return 0, b""
            self.log.status_requests += 1
            self.log.commands.append(f"DLE EOT {b[2]}")
            if self.faults.silent or b[2] not in (1, 2, 3, 4):
                return 3, b""
            return 3, bytes((self.status_byte(b[2]),))
        if self.faults.silent:
            self.log.discarded_bytes += len(b)
            return len(b), b""
        if b[:2] == ESC_AT:
            self.log.commands.append("ESC @")
            self._bands.clear()
            self._rows_this_ticket = 0
            return 2, b""
        if b[:2] == ESC_D:
            if len(b) < 3:
                return 0, b""
            self.log.commands.append(f"ESC d {b[2]}")
            if not self._cannot_print() and b[2]:
                self._bands.append(Image.new("1", (self.width_dots, b[2] * FEED_LINE_DOTS), 1))
            return 3, b""
        if b[:3] == GS_V0:
            return self._raster()
        if b[:2] == GS_V:
            if len(b) < 3:
                return 0, b""
            length = 4 if b[2] in (65, 66) else 3
            if len(b) < length:
                return 0, b""
            self.log.commands.append(f"GS V {b[2]}")
            self._cut()
            return length, b""
        # Anything else (text, commands this emulator does not model) is consumed a byte at a time.
        self.log.commands.append(f"byte 0x{b[0]:02x}")
        return 1, b""

    def _raster(self) -> tuple[int, bytes]:
        b = self._buf
        if len(b) < 8:
            return 0, b""
        width_bytes = b[4] | b[5] << 8
        rows = b[6] | b[7] << 8
        total = 8 + width_bytes * rows
        if len(b) < total:
            return 0, b""
        self.log.commands.append(f"GS v 0 {width_bytes}x{rows}")
        if self._cannot_print():
            self.log.discarded_bytes += total
            return total, b""
        limit = self.faults.paper_out_after_rows
        printable = rows
        if limit is not None and self._rows_this_ticket + rows >= limit:
            printable = max(0, limit - self._rows_this_ticket)
        if printable:
            data = bytes(x ^ 0xFF for x in b[8 : 8 + width_bytes * printable])
            band = Image.frombytes("1", (width_bytes * 8, printable), data)
            self._bands.append(band.crop((0, 0, min(self.width_dots, width_bytes * 8), printable)))
            self._rows_this_ticket += printable
        if printable < rows:
            self._run_out_mid_ticket()
            self.log.discarded_bytes += width_bytes * (rows - printable)
        return total, b""

    def _run_out_mid_ticket(self) -> None:
        log.info("emulated printer ran out of paper mid-ticket after %d rows", self._rows_this_ticket)
        self.faults.paper_out = True
        self.faults.paper_out_after_rows = None
        if self._bands:
            self.log.torn.append(_stack(self._bands, self.width_dots))
        self._bands = []
        self._rows_this_ticket = 0

    def _cut(self) -> None:
        if self._cannot_print():
            return
        if self.faults.cutter_jams:
            self._cutter_error = True
            if self._bands:
                self.log.torn.append(_stack(self._bands, self.width_dots))
            self._bands = []
            return
        if self._bands:
            self.log.tickets.append(_stack(self._bands, self.width_dots))
            self.log.cut_count += 1
        self._bands = []
        self._rows_this_ticket = 0
        if self.keep_last is not None:
            self.log.trim(self.keep_last)
        after = self.faults.paper_out_after_tickets
        if after is not None and self.log.cut_count >= after:
            self.faults.paper_out = True


def _stack(bands: list[Image.Image], width: int) -> Image.Image:
    height = sum(b.height for b in bands)
    out = Image.new("1", (width, max(1, height)), 1)
    y = 0
    for band in bands:
        out.paste(band, (0, y))
        y += band.height
    return out
