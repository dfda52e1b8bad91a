"""What every camera hands out (``Frame``), the interface every camera implements (``FrameSource``), and
the latest-frame mailbox the implementations share.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from drivers.camera.errors import CameraError, CameraStalled
from drivers.health import PeripheralHealth

Pixels = NDArray[np.uint8]


@dataclass(frozen=True, eq=False)
class Frame:
    """One picture: ``pixels`` is an (height, width, 3) RGB uint8 array, C-contiguous.

    ``ts`` is ``time.monotonic()`` when the frame was captured (not when it was read), ``seq`` counts up
    from 1 per source so a reader can tell a new frame from one it has already seen.
    """

    pixels: Pixels
    ts: float
    seq: int

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def to_image(self) -> Image.Image:
        return Image.fromarray(self.pixels, mode="RGB")


def as_rgb_pixels(image: Image.Image) -> Pixels:
    """A PIL image of any mode as a contiguous RGB array."""
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def mean_brightness(pixels: Pixels) -> float:
    """Mean luma (ITU-R BT.601 weights), 0 … 255; a subsample keeps it cheap on large frames."""
    step = max(1, min(pixels.shape[0], pixels.shape[1]) // 240)
    sample = pixels[::step, ::step].astype(np.float32)
    luma = sample[..., 0] * 0.299 + sample[..., 1] * 0.587 + sample[..., 2] * 0.114
    return float(luma.mean())


def brightness_spread(pixels: Pixels) -> float:
    """Standard deviation of the subsampled green channel: ~0 for a blank (uniform) frame."""
    step = max(1, min(pixels.shape[0], pixels.shape[1]) // 240)
    return float(pixels[::step, ::step, 1].std())


@runtime_checkable
class FrameSource(Protocol):
    """A camera. ``start()`` opens it (raises ``CameraAbsent``/``CameraFault``/``CameraBackendMissing``);
    ``frame()`` waits for a frame newer than the last one it returned and gives the newest (older ones
    are dropped, so a slow reader is never behind), raising ``CameraStalled`` when none comes within the
    source's stall timeout and ``CameraAbsent`` if the device went away; ``capture_still()`` gives the
    newest frame as a PIL image for printing or upload; ``close()`` releases the device and may be called
    twice; ``health()`` never raises.
    """

    async def start(self) -> None: ...

    async def frame(self) -> Frame: ...

    async def capture_still(self) -> Image.Image: ...

    async def close(self) -> None: ...

    async def health(self) -> PeripheralHealth: ...


@dataclass
class LatestFrame:
    """Holds the newest frame and wakes readers; lives on the event loop.

    Capture threads hand frames over with ``loop.call_soon_threadsafe(mailbox.publish, frame)``, since
    asyncio objects may only be touched from the loop's own thread.
    """

    stall_timeout: float
    latest: Frame | None = None
    error: CameraError | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _last_returned: int = 0

    def publish(self, frame: Frame) -> None:
        self.latest = frame
        self._wake()

    def fail(self, error: CameraError) -> None:
        self.error = error
        self._wake()

    def reset(self) -> None:
        """Forget a previous failure (the source was reopened); keep the sequence running."""
        self.error = None

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def next(self, *, taken_after: float | None = None) -> Frame:
        """The newest frame not yet returned by ``next()``; or, with ``taken_after``, the newest frame
        captured at or after that moment (for stills, which must not disturb the scanning reader)."""
        deadline = time.monotonic() + self.stall_timeout
        while True:
            if self.error is not None:
                # The same instance is raised to every reader; drop the last raise's traceback so it
                # does not grow with each call.
                raise self.error.with_traceback(None)
            frame = self.latest
            if frame is not None and taken_after is not None:
                if frame.ts >= taken_after:
                    return frame
            elif frame is not None and frame.seq > self._last_returned:
                self._last_returned = frame.seq
                return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CameraStalled(f"no new frame for {self.stall_timeout:.1f} s")
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                continue

    def age(self, now: float) -> float | None:
        """Seconds since the newest frame was captured, or None before the first one."""
        return None if self.latest is None else now - self.latest.ts
