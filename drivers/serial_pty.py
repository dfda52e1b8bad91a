"""Hosts a serial-device emulator on a pseudo-terminal, so a real pyserial driver talks to it.

The emulator is sans-IO (bytes in, timed chunks out); this module only moves bytes between it and the
pty master in a thread. Chunks with delays let an emulator split frames across reads or go silent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import tty
from typing import Protocol

log = logging.getLogger(__name__)


class Emulator(Protocol):
    def receive(self, data: bytes) -> list[tuple[float, bytes]]:
        """Bytes the host wrote → chunks to send back, each after waiting ``delay`` seconds."""
        ...


class PtyHost:
    """``with PtyHost(emulator) as host: serial.Serial(host.port)``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line discipline: bytes pass unchanged
        self.port = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"pty-host {self.port}", daemon=True)
        self._lock = threading.Lock()

    def start(self) -> PtyHost:
        self._thread.start()
        return self

    def inject(self, data: bytes) -> None:
        """Send unsolicited bytes to the host (a keypad press, garbage on the line)."""
        with self._lock:
            os.write(self._master, data)

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            if not data:
                continue
            try:
                chunks = self.emulator.receive(data)
            except Exception:
                log.exception("emulator failed on %r", data[:64])
                continue
            for delay, chunk in chunks:
                if delay > 0 and self._stop.wait(delay):
                    return
                if chunk:
                    with self._lock:
                        os.write(self._master, chunk)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> PtyHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


