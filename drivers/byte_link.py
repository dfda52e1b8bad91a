"""Blocking byte links under the byte-stream drivers (ID reader, LED display, keypad, receipt printer).

A link is a serial port, a printer-class device node, or an emulator in the same process
(``drivers.emulator_link``). Links are called only from worker threads (``asyncio.to_thread`` or a reader
thread), never from the event loop. Each driver holds its link in a ``LinkHolder``: opened on first use,
closed and forgotten when it fails, so that a device plugged in later is picked up.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
from collections.abc import Callable
from typing import Protocol

import serial

from drivers.errors import DeviceAbsent, DeviceTimeout, DriverError

_READ_CHUNK = 4096


class LinkError(DriverError):
    """The link itself failed; each driver translates it into its own error at its boundary."""


class LinkClosed(LinkError, DeviceAbsent):
    """The port is missing, or went away (unplugged, closed) while in use."""

    reason = "port-absent"


class LinkStalled(LinkError, DeviceTimeout):
    """The device is there but does not take our bytes (a write timed out: busy, or flow control held)."""


class ByteLink(Protocol):
    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes:
        """Whatever bytes arrive within ``timeout`` seconds (at least one, or b"" when none came)."""
        ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


class SerialLink:
    """A pyserial port, 8N1. Opening a missing port raises LinkClosed."""

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
        except serial.SerialTimeoutException as err:
            raise LinkStalled(f"write to {self.port} timed out (busy, or flow control held)") from err
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


class DeviceFileLink:
    """A printer-class device node (``/dev/usb/lp0``). usblp answers reads only for bidirectional printers:
    one that never answers through it reads as silent, which is the honest answer."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        except OSError as err:
            raise LinkClosed(f"cannot open {path}: {err.strerror}") from err

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as err:
            if err.errno in (errno.ENODEV, errno.EIO, errno.ENXIO):
                raise LinkClosed(f"{self.path}: {err.strerror}") from err
            raise LinkStalled(f"{self.path}: {err.strerror}") from err

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self._fd], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            return os.read(self._fd, _READ_CHUNK)
        except OSError as err:
            raise LinkClosed(f"{self.path}: {err.strerror}") from err

    def discard_input(self) -> None:
        while self.read(0):
            pass

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


class LinkHolder:
    """One driver's link: ``get()`` opens it on first use, ``drop()`` closes and forgets it after a failure,
    so the next ``get()`` opens it again. Called from worker threads, under the driver's own lock."""

    def __init__(self, open_link: Callable[[], ByteLink]) -> None:
        self._open_link = open_link
        self._link: ByteLink | None = None
        self._stale = False

    @property
    def current(self) -> ByteLink | None:
        """The open link, or None; never opens one."""
        return self._link

    def get(self) -> ByteLink:
        """The open link (opened now if need be), emptied of any late answer ``expect_late`` announced."""
        if self._link is None:
            self._link = self._open_link()
            self._stale = False
        elif self._stale:
            self._link.discard_input()
            self._stale = False
        return self._link

    def expect_late(self) -> None:
        """An answer was given up on and may still arrive: the next ``get()`` discards what came in."""
        self._stale = True

    def drop(self) -> None:
        link, self._link = self._link, None  # swap first: the keypad's reader thread may drop it too
        if link is not None:
            link.close()
