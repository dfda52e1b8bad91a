"""Checks on a printed or rendered ticket image, shared by the unit and integration tests."""

from __future__ import annotations

import zxingcpp
from PIL import Image


def decode_qr(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L")) if r.format == zxingcpp.BarcodeFormat.QRCode]


def black_fraction(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    region = image.convert("L").crop(box)
    hist = region.histogram()
    return sum(hist[:128]) / max(1, region.width * region.height)


def _ink_columns(gray: Image.Image, y: int) -> list[int]:
    return [x for x in range(0, gray.width, 2) if gray.getpixel((x, y)) < 128]  # type: ignore[operator]


def number_band(image: Image.Image) -> tuple[int, int, int, int]:
    """The tallest run of inked rows whose ink spans over half the width: on a ticket, the big number
    (the QR code is taller than a text line but narrow)."""
    gray = image.convert("L")
    w, h = gray.size
    best = (0, 0)
    start: int | None = None
    lo, hi = w, 0
    for y in range(h + 1):
        cols = _ink_columns(gray, y) if y < h else []
        if cols:
            if start is None:
                start, lo, hi = y, w, 0
            lo, hi = min(lo, cols[0]), max(hi, cols[-1])
        elif start is not None:
            if hi - lo > w // 2 and y - start > best[1] - best[0]:
                best = (start, y)
            start = None
    return (0, best[0], w, best[1])


def solid_rows(image: Image.Image, left: int, right: int) -> int:
    """Rows that are at least 90 % black between ``left`` and ``right``: rules and banners."""
    gray = image.convert("L")
    count = 0
    for y in range(gray.height):
        row = gray.crop((left, y, right, y + 1)).histogram()
        if sum(row[:128]) >= 0.9 * (right - left):
            count += 1
    return count
