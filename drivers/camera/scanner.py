"""QR scanning over a ``FrameSource``: frames are decoded with zxing-cpp in a worker thread, and a code
held in front of the camera is reported once, not once per frame."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass

import zxingcpp
from PIL import Image

from drivers.camera.frames import Frame, FrameSource, Pixels, as_rgb_pixels

log = logging.getLogger(__name__)

DEFAULT_FORMATS = ("QRCode",)


@dataclass(frozen=True)
class ScannedCode:
    """A decoded code. ``text`` may be personal data: log ``len(text)``, never the text.
    ``ts`` is the monotonic capture time of the frame it was read from."""

    text: str
    format: str  # zxing-cpp's format name: "QRCode", "MicroQRCode", "DataMatrix", …
    ts: float

    def __repr__(self) -> str:
        return f"ScannedCode(format={self.format!r}, ts={self.ts:.3f}, {len(self.text)} characters)"


class CodeDeduplicator:
    """Sans-IO: reports a code the first time it is seen, then stays quiet while it keeps being seen.

    A code counts as gone once it has not been seen for ``forget_after`` seconds of frame time; seen again
    after that, it is a new presentation and reported again. Frames that miss a code now and then (glare,
    motion blur) therefore do not make it repeat.
    """

    def __init__(self, forget_after: float = 1.5) -> None:
        if forget_after <= 0:
            raise ValueError("forget_after must be positive")
        self.forget_after = forget_after
        self._last_seen: dict[str, float] = {}

    def feed(self, texts: Iterable[str], now: float) -> list[str]:
        """The texts of one frame taken at ``now``; returns those that are new, in order, without repeats."""
        fresh: list[str] = []
        for text in texts:
            last = self._last_seen.get(text)
            if (last is None or now - last > self.forget_after) and text not in fresh:
                fresh.append(text)
            self._last_seen[text] = now
        self._last_seen = {t: ts for t, ts in self._last_seen.items() if now - ts <= self.forget_after}
        return fresh

    def forget(self) -> None:
        """Start over: every code is new again (e.g. when a new citizen's session begins)."""
        self._last_seen.clear()


def resolve_formats(names: Sequence[str]) -> zxingcpp.BarcodeFormats:
    """zxing-cpp formats from their names; raises ValueError naming an unknown one."""
    formats = []
    for name in names:
        try:
            formats.append(zxingcpp.barcode_format_from_str(name))
        except ValueError as err:
            raise ValueError(f"unknown barcode format {name!r}") from err
    if not formats:
        raise ValueError("at least one barcode format is needed")
    return zxingcpp.BarcodeFormats(formats)


def decode_pixels(pixels: Pixels, formats: zxingcpp.BarcodeFormats, ts: float) -> list[ScannedCode]:
    """Blocking: every valid code in an RGB frame. Run it in a thread."""
    view = zxingcpp.ImageView(pixels, pixels.shape[1], pixels.shape[0], zxingcpp.ImageFormat.RGB)
    found = zxingcpp.read_barcodes(view, formats=formats)
    return [ScannedCode(text=b.text, format=b.format.name, ts=ts) for b in found if b.valid]


def decode_image(
    image: Image.Image, formats: Sequence[str] = DEFAULT_FORMATS, ts: float = 0.0
) -> list[ScannedCode]:
    """Blocking: every valid code in a still image (a captured still, an uploaded picture)."""
    return decode_pixels(as_rgb_pixels(image), resolve_formats(formats), ts)


class QrScanner:
    """``async for code in QrScanner(source): …`` yields each new code; camera errors (``CameraStalled``,
    ``CameraAbsent``) propagate so the caller decides whether to reopen, as with any other driver error.

    The source must be started by the caller. One frame is decoded at a time; frames that arrive while a
    decode runs are skipped in favour of the newest.
    """

    def __init__(
        self, source: FrameSource, *, formats: Sequence[str] = DEFAULT_FORMATS, forget_after: float = 1.5
    ) -> None:
        self._source = source
        self._formats = resolve_formats(formats)
        self.dedup = CodeDeduplicator(forget_after)
        self.frames_decoded = 0

    async def decode(self, frame: Frame) -> list[ScannedCode]:
        codes = await asyncio.to_thread(decode_pixels, frame.pixels, self._formats, frame.ts)
        self.frames_decoded += 1
        return codes

    async def next_codes(self) -> list[ScannedCode]:
        """Waits for frames until one holds a code not seen just before; returns the new ones."""
        while True:
            frame = await self._source.frame()
            codes = await self.decode(frame)
            new_texts = self.dedup.feed((c.text for c in codes), frame.ts)
            if new_texts:
                fresh = [next(c for c in codes if c.text == t) for t in new_texts]
                for code in fresh:
                    log.info("scanned a %s code of %d characters", code.format, len(code.text))
                return fresh

    async def __aiter__(self) -> AsyncIterator[ScannedCode]:
        while True:
            for code in await self.next_codes():
                yield code
