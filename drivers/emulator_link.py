"""An emulator wired straight to a driver, in process: what every byte-stream simulator runs on.

The simulator is the real driver over an ``EmulatorPort``, so it goes through the same framing, timeouts
and error mapping as the driver on a real port, and shows the emulator's faults (split frames, garbage,
delays, silence) exactly as a port would.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from drivers.byte_link import ByteLink, LinkClosed
from drivers.serial_pty import Emulator


class EmulatorLink:
    """An emulator wired straight to the driver: its timed chunks are delivered after their delays.

    ``inject`` plays unsolicited bytes (a key press); ``unplug`` makes reads fail like a vanished port.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._cond = threading.Condition()
        self._due: deque[tuple[float, bytes]] = deque()
        self._closed = False
        self._unplugged = False

    def write(self, data: bytes) -> None:
        with self._cond:
            self._check()
            chunks = self.emulator.receive(data)
            at = max([time.monotonic()] + [t for t, _ in self._due])
            for delay, chunk in chunks:
                at += delay
                self._due.append((at, chunk))
            self._cond.notify_all()

    def inject(self, data: bytes) -> None:
        with self._cond:
            at = max([time.monotonic()] + [t for t, _ in self._due])
            self._due.append((at, data))
            self._cond.notify_all()

    def unplug(self) -> None:
        with self._cond:
            self._unplugged = True
            self._cond.notify_all()

    def read(self, timeout: float) -> bytes:
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            while True:
                self._check()
                now = time.monotonic()
                if self._due and self._due[0][0] <= now:
                    out = bytearray()
                    while self._due and self._due[0][0] <= now:
                        out += self._due.popleft()[1]
                    if out:
                        return bytes(out)
                    continue
                wake = deadline if not self._due else min(deadline, self._due[0][0])
                if now >= deadline:
                    return b""
                self._cond.wait(wake - now)

    def discard_input(self) -> None:
        with self._cond:
            now = time.monotonic()
            while self._due and self._due[0][0] <= now:
                self._due.popleft()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _check(self) -> None:
        if self._closed:
            raise LinkClosed("link closed")
        if self._unplugged:
            raise LinkClosed("device unplugged (simulated)")


class EmulatorPort:
    """The port a simulator's driver opens: pass ``open`` as the driver's ``open_link``.

    The first link is made at once, so that bytes injected before anyone reads (keys pressed before the
    kiosk listens) wait in it like bytes in a UART buffer; every later ``open`` makes a fresh link.
    """

    def __init__(self, emulator: Emulator, *, what: str) -> None:
        self.emulator = emulator
        self.what = what
        self.link = EmulatorLink(emulator)
        self._fresh = True
        self._plugged = True

    def open(self) -> ByteLink:
        if not self._plugged:
            raise LinkClosed(f"simulated {self.what} is unplugged")
        if not self._fresh:
            self.link = EmulatorLink(self.emulator)
        self._fresh = False
        return self.link

    def inject(self, data: bytes) -> None:
        """Unsolicited bytes from the device, into the current link."""
        if data:
            self.link.inject(data)

    def unplug(self) -> None:
        """Pull the cable: the link in use fails, and ``open`` fails until ``plug_in``."""
        self._plugged = False
        self._fresh = False
        self.link.unplug()

    def plug_in(self) -> None:
        self._plugged = True
