"""Blocking byte links under the serial drivers: a real pyserial port, or an emulator in the same process.

Both are called only from worker threads (``asyncio.to_thread`` or a reader thread), never from the event
loop. The in-process link lets a simulator run the very same protocol code as the real driver, so the
simulator shows the device's faults (split frames, garbage, delays) exactly as a port would.

Shared by drivers.idcard, drivers.led_display and drivers.keypad.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from typing import Protocol

import serial

from drivers.errors import DeviceAbsent
from drivers.serial_pty import Emulator


class LinkClosed(DeviceAbsent):
    """The port went away (unplugged, closed) while in use."""

    message_zh = "设备连接已断开，请检查连接线。"
    message_en = "The device was disconnected. Please check the cable."


class ByteLink(Protocol):
    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes:
        """Whatever bytes arrive within ``timeout`` seconds (at least one, or b"" when none came)."""
        ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


class SerialLink:
    """A pyserial port, 8N1. Opening a missing port raises LinkClosed (a DeviceAbsent)."""

    def __init__(self, port: str, baudrate: int, *, write_timeout: float = 1.0) -> None:
        self.port = port
        try:
            self._serial = serial.Serial(
                port,
                baudrate=baudrate,
                bytesize=serial.EIGHTBITS,
                parity=serial.PARITY_NONE,
                stopbits=serial.STOPBITS_ONE,
                timeout=0.1,
                write_timeout=write_timeout,
            )
        except (serial.SerialException, OSError, ValueError) as err:
            raise LinkClosed(f"cannot open {port}: {err}") from err

    def write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
            self._serial.flush()
        except (serial.SerialException, OSError) as err:
            raise LinkClosed(f"write to {self.port} failed: {err}") from err

    def read(self, timeout: float) -> bytes:
        try:
            self._serial.timeout = max(0.0, timeout)
            first = self._serial.read(1)
            if not first:
                return b""
            waiting = self._serial.in_waiting
            return first + (self._serial.read(waiting) if waiting else b"")
        except (serial.SerialException, OSError, TypeError) as err:
            # pyserial raises SerialException when the other end hangs up (EIO on a pty, USB unplug);
            # TypeError comes from reading a port another thread closed.
            raise LinkClosed(f"read from {self.port} failed: {err}") from err

    def discard_input(self) -> None:
        try:
            self._serial.reset_input_buffer()
        except (serial.SerialException, OSError) as err:
            raise LinkClosed(f"flush of {self.port} failed: {err}") from err

    def close(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self._serial.close()


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
