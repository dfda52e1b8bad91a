"""The frame source for cameras whose library blocks: a capture thread reads frames as fast as the camera
delivers them and hands each to the event loop's ``LatestFrame``; the loop never waits on the device."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from drivers.camera.errors import CameraAbsent, CameraError, CameraNotStarted
from drivers.camera.frames import Frame, Pixels
from drivers.camera.mailbox_source import MailboxSource

log = logging.getLogger(__name__)
T = TypeVar("T")

# Consecutive failed reads before the thread starts pausing between attempts (a busy loop helps nobody).
_FAILURES_BEFORE_BACKOFF = 3
_BACKOFF = 0.05
_JOIN_TIMEOUT = 3.0


class ThreadedFrameSource(MailboxSource):
    """Subclasses implement the four blocking primitives; everything else is shared.

    ``_open_blocking``/``_close_blocking`` run in a worker thread via ``asyncio.to_thread``;
    ``_grab_blocking`` runs in the capture thread and returns RGB pixels, or None for a failed read;
    ``_vanished`` tells a failed read from a device that has gone.
    """

    def __init__(self, *, stall_timeout: float) -> None:
        super().__init__(stall_timeout=stall_timeout)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the four primitives ------------------------------------------------------------------------

    def _open_blocking(self) -> None:
        raise NotImplementedError

    def _grab_blocking(self) -> Pixels | None:
        raise NotImplementedError

    def _close_blocking(self) -> None:
        raise NotImplementedError

    def _vanished(self) -> bool:
        return False

    # -- FrameSource --------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = None  # a capture thread that ended (device vanished) is reopened from scratch
        try:
            await asyncio.to_thread(self._open_blocking)
        except CameraError as err:
            self._open_error = err
            log.warning("%s: cannot open: %s", self.name, err)
            raise
        self._open_error = None
        self._mailbox.reset()
        self._stop.clear()
        self._started_at = time.monotonic()
        loop = asyncio.get_running_loop()
        self._thread = threading.Thread(
            target=self._run, args=(loop,), name=f"{self.name}-capture", daemon=True
        )
        self._thread.start()
        log.info("%s: streaming", self.name)

    async def close(self) -> None:
        thread, self._thread = self._thread, None
        self._started_at = None
        if thread is None:
            return
        self._stop.set()
        # The capture thread releases the device itself: releasing it from here while a read is in flight
        # is not safe with V4L2.
        await asyncio.to_thread(thread.join, _JOIN_TIMEOUT)
        if thread.is_alive():
            log.warning("%s: capture thread still blocked in a read after %.0f s", self.name, _JOIN_TIMEOUT)
        self._mailbox.fail(CameraNotStarted(f"{self.name} was closed"))
        log.info("%s: closed", self.name)

    # -- internals ----------------------------------------------------------------------------------

    def _require_started(self) -> None:
        if self._thread is None:
            raise CameraNotStarted(f"{self.name}: start() was not called, or close() was")

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        failures = 0
        try:
            while not self._stop.is_set():
                try:
                    pixels = self._grab_blocking()
                except Exception as err:  # a driver library may raise anything from its C layer
                    log.warning("%s: read raised %r", self.name, err)
                    pixels = None
                if self._stop.is_set():
                    break
                if pixels is None:
                    failures += 1
                    if self._vanished():
                        gone = CameraAbsent(f"{self.name} disappeared while streaming")
                        self._post(loop, self._mailbox.fail, gone)
                        return
                    if failures >= _FAILURES_BEFORE_BACKOFF:
                        self._stop.wait(_BACKOFF)
                    continue
                failures = 0
                self._seq += 1
                frame = Frame(pixels=pixels, ts=time.monotonic(), seq=self._seq)
                if not self._post(loop, self._mailbox.publish, frame):
                    return
        finally:
            try:
                self._close_blocking()
            except Exception as err:  # closing a vanished device can fail; nothing more to do
                log.debug("%s: close raised %r", self.name, err)

    def _post(self, loop: asyncio.AbstractEventLoop, fn: Callable[[T], None], arg: T) -> bool:
        # asyncio objects belong to the loop's thread; call_soon_threadsafe is the one safe way in.
        try:
            loop.call_soon_threadsafe(fn, arg)
        except RuntimeError:  # the loop has closed under us: the process is ending
            return False
        return True

