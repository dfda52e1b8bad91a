"""What every frame source serves the same way: its producer publishes into a ``LatestFrame`` mailbox, and
frames, stills and health are read from there. Subclasses start and stop the producer."""

from __future__ import annotations

import time

from PIL import Image

from drivers.camera.errors import CameraError
from drivers.camera.frames import Frame, LatestFrame
from drivers.camera.health_rules import health_for_error, streaming_health
from drivers.health import PeripheralHealth


class MailboxSource:
    name = "camera"

    def __init__(self, *, stall_timeout: float) -> None:
        self._mailbox = LatestFrame(stall_timeout=stall_timeout)
        self._open_error: CameraError | None = None  # why the last start() failed, until one succeeds
        self._started_at: float | None = None
        self._seq = 0

    def _require_started(self) -> None:
        """Raise CameraNotStarted when there is no producer to wait for."""
        raise NotImplementedError

    async def frame(self) -> Frame:
        self._require_started()
        return await self._mailbox.next()

    async def capture_still(self) -> Image.Image:
        self._require_started()
        frame = await self._mailbox.next(taken_after=time.monotonic())
        return frame.to_image()

    async def health(self) -> PeripheralHealth:
        if self._open_error is not None:
            return health_for_error(self._open_error)
        return streaming_health(self._mailbox, started_at=self._started_at, now=time.monotonic())
