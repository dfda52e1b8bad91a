"""Blocking byte transports for ESC/POS printers. Called only from worker threads, never the event loop."""

from __future__ import annotations

import errno
import os
import select
import time
from typing import Protocol

import serial

from drivers.receipt_printer.emulator import EscposEmulator
from drivers.receipt_printer.errors import PrinterAbsent, PrinterOffline


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...
    def read(self, n: int, timeout: float) -> bytes:
        """Up to ``n`` bytes; fewer (maybe none) if ``timeout`` passes first."""
        ...
    def discard_input(self) -> None: ...
    def close(self) -> None: ...


class SerialTransport:
    def __init__(self, port: str, *, baudrate: int, write_timeout: float) -> None:
        try:
            self._serial = serial.Serial(port, baudrate=baudrate, timeout=0, write_timeout=write_timeout)
        except serial.SerialException as err:
            raise PrinterAbsent(f"cannot open serial port {port}: {err}") from err
        self.port = port

    def write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
            self._serial.flush()
        except serial.SerialTimeoutException as err:
            raise PrinterOffline(f"write to {self.port} timed out (busy, or flow control held)") from err
        except serial.SerialException as err:
            raise PrinterAbsent(f"write to {self.port} failed: {err}") from err

    def read(self, n: int, timeout: float) -> bytes:
        self._serial.timeout = timeout
        try:
            data: bytes = self._serial.read(n)
        except serial.SerialException as err:
            raise PrinterAbsent(f"read from {self.port} failed: {err}") from err
        return data

    def discard_input(self) -> None:
        try:
            self._serial.reset_input_buffer()
        except serial.SerialException as err:
            raise PrinterAbsent(f"{self.port}: {err}") from err

    def close(self) -> None:
        self._serial.close()


class DeviceFileTransport:
    """A printer-class device node. usblp answers reads only for bidirectional printers: a printer that
    never answers DLE EOT through it is reported offline, which is the honest answer."""

    def __init__(self, path: str) -> None:
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        except OSError as err:
            raise PrinterAbsent(f"cannot open {path}: {err.strerror}") from err
        self.path = path

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as err:
            if err.errno in (errno.ENODEV, errno.EIO, errno.ENXIO):
                raise PrinterAbsent(f"{self.path}: {err.strerror}") from err
            raise PrinterOffline(f"{self.path}: {err.strerror}") from err

    def read(self, n: int, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        out = b""
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self._fd], [], [], left)
            if not ready:
                break
            try:
                chunk = os.read(self._fd, n - len(out))
            except OSError as err:
                raise PrinterAbsent(f"{self.path}: {err.strerror}") from err
            if not chunk:
                break
            out += chunk
        return out

    def discard_input(self) -> None:
        while True:
            ready, _, _ = select.select([self._fd], [], [], 0)
            if not ready or not os.read(self._fd, 4096):
                return

    def close(self) -> None:
        os.close(self._fd)


class EmulatorTransport:
    """The emulator in-process: what the simulator driver talks to. Answers are immediate, so a silent
    printer is noticed at once instead of after a status timeout."""

    def __init__(self, emulator: EscposEmulator) -> None:
        self.emulator = emulator
        self._pending = bytearray()

    def write(self, data: bytes) -> None:
        for _delay, chunk in self.emulator.receive(data):
            self._pending += chunk

    def read(self, n: int, timeout: float) -> bytes:
        out = bytes(self._pending[:n])
        del self._pending[:n]
        return out

    def discard_input(self) -> None:
        self._pending.clear()

    def close(self) -> None:
        pass
