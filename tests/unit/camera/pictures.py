"""Helpers for the camera tests: pictures made at run time (QR codes from segno, distorted with Pillow)
and loops that read a source until it fails."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import segno
from PIL import Image, ImageFilter

from drivers.camera import CameraError, Frame, FrameSource, QrScanner, ScannedCode


def qr_image(text: str, *, scale: int = 6, border: int = 4, micro: bool = False) -> Image.Image:
    buf = io.BytesIO()
    segno.make(text, error="m", micro=micro).save(buf, kind="png", scale=scale, border=border)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def scene(
    texts: list[str] | str,
    *,
    size: tuple[int, int] = (640, 480),
    scale: int = 5,
    rotate: float = 0.0,
    shrink: float = 1.0,
    noise: float = 0.0,
    blur: float = 0.0,
    contrast: float = 1.0,
    seed: int = 1,
) -> Image.Image:
    """One camera picture holding the codes side by side, distorted as a phone in a hand would be."""
    texts = [texts] if isinstance(texts, str) else texts
    canvas = Image.new("RGB", size, (200, 196, 188))
    x = 20
    for text in texts:
        code = qr_image(text, scale=scale)
        if shrink != 1.0:
            code = code.resize((int(code.width * shrink), int(code.height * shrink)), Image.Resampling.BILINEAR)
        if rotate:
            code = code.rotate(rotate, expand=True, fillcolor=(255, 255, 255), resample=Image.Resampling.BICUBIC)
        canvas.paste(code, (x, max(0, (size[1] - code.height) // 2)))
        x += code.width + 20
    if contrast != 1.0:
        pixels = np.asarray(canvas, dtype=np.float32)
        canvas = Image.fromarray(np.clip(128 + (pixels - 128) * contrast, 0, 255).astype(np.uint8))
    if blur:
        canvas = canvas.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = np.random.default_rng(seed)
        noisy = np.asarray(canvas, dtype=np.float64) + rng.normal(0, noise, (size[1], size[0], 3))
        canvas = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    return canvas


def empty_scene(size: tuple[int, int] = (640, 480)) -> Image.Image:
    return Image.new("RGB", size, (200, 196, 188))


async def read_until_error(source: FrameSource, timeout: float = 10.0) -> tuple[list[Frame], CameraError]:
    """Every frame a source gives until it raises; the error is returned for the test to check."""
    frames: list[Frame] = []
    async with asyncio.timeout(timeout):
        while True:
            try:
                frames.append(await source.frame())
            except CameraError as err:
                return frames, err


async def scan_until_error(scanner: QrScanner, timeout: float = 10.0) -> tuple[list[ScannedCode], CameraError]:
    codes: list[ScannedCode] = []
    async with asyncio.timeout(timeout):
        while True:
            try:
                codes += await scanner.next_codes()
            except CameraError as err:
                return codes, err
