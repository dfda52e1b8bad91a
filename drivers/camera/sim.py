"""A camera simulator: loops over still images at a set rate and can be made to fail the way cameras do.

Faults, either scripted (``SimFaultConfig``: from tick N, for M ticks) or switched by a test:
- ``stall``: the device stays but frames stop (a hung USB camera); readers get ``CameraStalled`` after the
  stall timeout, health turns ``fault`` / ``camera-stalled``; frames resume when the stall ends.
- ``vanish``: the device disappears (cable pulled); readers get ``CameraAbsent`` at once, health turns
  ``absent`` / ``camera-absent``, and ``start()`` fails until it reappears.
- ``blank``: frames keep coming but are black (covered lens, dead sensor); health turns ``degraded`` /
  ``camera-dark``.

A tick is one frame interval (1 / fps) counted from ``start()``, starting at 1, whether or not a frame was
sent in it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import segno
from PIL import Image

from drivers.camera.config import SimCameraConfig, SimFaultConfig
from drivers.camera.errors import CameraAbsent, CameraError, CameraFault, CameraNotStarted
from drivers.camera.frames import Frame, Pixels, as_rgb_pixels
from drivers.camera.mailbox_source import MailboxSource

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
_BACKGROUND = (214, 210, 200)  # a counter top under hall lighting, not pure white


def code_picture(text: str, width: int, height: int, *, fill: float = 0.6) -> Image.Image:
    """``text`` as a QR code filling ``fill`` of the shorter side, centred on a plain background."""
    qr = segno.make(text, error="m", micro=False)
    modules = qr.symbol_size(scale=1, border=4)[0]
    scale = max(1, int(min(width, height) * fill) // modules)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=4)
    buf.seek(0)
    symbol = Image.open(buf).convert("RGB")
    canvas = Image.new("RGB", (width, height), _BACKGROUND)
    canvas.paste(symbol, ((width - symbol.width) // 2, (height - symbol.height) // 2))
    return canvas


def load_folder(folder: Path) -> list[Image.Image]:
    """Every image in ``folder``, sorted by file name; raises CameraAbsent for a missing or empty folder."""
    if not folder.is_dir():
        raise CameraAbsent(f"sim camera: folder {folder} does not exist")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise CameraAbsent(f"sim camera: folder {folder} holds no {'/'.join(IMAGE_SUFFIXES)} images")
    images = []
    for path in files:
        try:
            with Image.open(path) as im:
                images.append(im.convert("RGB"))
        except OSError as err:
            raise CameraFault(f"sim camera: {path.name} is not a readable image: {err}") from err
    return images


def code_sequence(codes: Sequence[str], width: int, height: int, hold_frames: int) -> list[Image.Image]:
    """Each code held for ``hold_frames`` frames, then as many frames of empty background (the phone is
    taken away), so a looping simulator shows each code again as a new presentation."""
    empty = Image.new("RGB", (width, height), _BACKGROUND)
    seq: list[Image.Image] = []
    for text in codes:
        picture = code_picture(text, width, height)
        seq += [picture] * hold_frames + [empty] * hold_frames
    return seq


class SimCamera(MailboxSource):
    """A ``FrameSource`` over ``images`` (PIL images) or the images of ``folder``, at ``fps``."""

    def __init__(
        self,
        images: Sequence[Image.Image] | None = None,
        *,
        folder: Path | None = None,
        fps: float = 10.0,
        stall_timeout: float = 2.0,
        loop: bool = True,
        faults: Sequence[SimFaultConfig] = (),
        name: str = "sim camera",
    ) -> None:
        if (images is None) == (folder is None):
            raise ValueError("give exactly one of images or folder")
        if images is not None and not images:
            raise ValueError("images must not be empty")
        if not 0 < fps <= 120:
            raise ValueError(f"fps {fps} must be above 0 and at most 120")
        super().__init__(stall_timeout=stall_timeout)
        self.name = name
        self._images = list(images) if images is not None else None
        self._folder = folder
        self._pixels: list[Pixels] = []
        self._interval = 1.0 / fps
        self._loop_images = loop
        self._faults = sorted(faults, key=lambda f: f.at_frame)
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0
        self._script_ends: dict[str, int] = {}
        self.stalled = False
        self.vanished = False
        self.blanked = False

    @classmethod
    def from_config(cls, config: SimCameraConfig) -> SimCamera:
        if config.folder is not None:
            return cls(
                folder=Path(config.folder), fps=config.fps, stall_timeout=config.stall_timeout,
                loop=config.loop, faults=config.faults,
            )
        images = code_sequence(config.codes, config.width, config.height, config.hold_frames)
        return cls(
            images, fps=config.fps, stall_timeout=config.stall_timeout, loop=config.loop, faults=config.faults
        )

    # -- fault switches (for tests and demos) -------------------------------------------------------

    def stall(self) -> None:
        self.stalled = True

    def resume(self) -> None:
        self.stalled = False

    def blank(self, on: bool = True) -> None:
        self.blanked = on

    def vanish(self) -> None:
        """Pull the cable: the stream ends with CameraAbsent and the device cannot be reopened."""
        self.vanished = True
        self._mailbox.fail(CameraAbsent(f"{self.name} disappeared while streaming"))
        task, self._task = self._task, None
        self._started_at = None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def reappear(self) -> None:
        """Plug it back in; the caller must ``start()`` again, as with a real camera."""
        self.vanished = False

    # -- FrameSource --------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            return
        if self.vanished:
            self._open_error = CameraAbsent(f"{self.name} is not connected")
            raise self._open_error
        if not self._pixels:
            try:
                self._pixels = await asyncio.to_thread(self._load)
            except CameraError as err:
                self._open_error = err
                raise
        self._open_error = None
        self._mailbox.reset()
        self.ticks = 0
        self._script_ends.clear()
        self._started_at = time.monotonic()
        self._task = asyncio.create_task(self._produce(), name=f"{self.name}-producer")

    async def close(self) -> None:
        task, self._task = self._task, None
        self._started_at = None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if (current := asyncio.current_task()) is not None and current.cancelling():
                    raise
        if not self.vanished:
            self._mailbox.fail(CameraNotStarted(f"{self.name} was closed"))

    # -- internals ----------------------------------------------------------------------------------

    def _require_started(self) -> None:
        if self._task is None and not self.vanished:
            raise CameraNotStarted(f"{self.name}: start() was not called, or close() was")

    def _load(self) -> list[Pixels]:
        images = self._images if self._images is not None else load_folder(self._folder or Path())
        return [as_rgb_pixels(im) for im in images]

    def _apply_script(self, tick: int) -> None:
        # Ends are counted in ticks, not timers, so a script plays out the same on a busy machine.
        if self._script_ends.get("stall") == tick:
            self.resume()
        if self._script_ends.get("blank") == tick:
            self.blank(False)
        for fault in self._faults:
            if fault.at_frame != tick:
                continue
            log.info("%s: scripted fault %s at tick %d", self.name, fault.kind, tick)
            if fault.frames:
                self._script_ends[fault.kind] = tick + fault.frames
            if fault.kind == "stall":
                self.stall()
            elif fault.kind == "blank":
                self.blank(True)
            else:
                self.vanish()
                if fault.frames:  # the producer is gone, so the way back is a timer
                    asyncio.get_running_loop().call_later(fault.frames * self._interval, self.reappear)

    async def _produce(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        index = 0
        while True:
            self.ticks += 1
            self._apply_script(self.ticks)
            if self.vanished:
                return
            if not self.stalled:
                if index >= len(self._pixels) and self._loop_images:
                    index = 0
                if index < len(self._pixels):  # without looping, the stream just stops: a stall
                    pixels = self._pixels[index]
                    index += 1
                    if self.blanked:
                        pixels = np.zeros_like(pixels)
                    self._seq += 1
                    self._mailbox.publish(Frame(pixels=pixels, ts=time.monotonic(), seq=self._seq))
            next_at += self._interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))
