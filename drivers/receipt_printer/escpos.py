"""ESC/POS command encoding (sans-IO): every command is bytes; nothing here touches a device.

Text is never sent as characters: the whole ticket is rendered as a 1-bit raster and sent with GS v 0, so
any CJK glyph prints on any printer regardless of its code pages or built-in fonts.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum

from PIL import Image

ESC = 0x1B
GS = 0x1D
DLE = 0x10
EOT = 0x04

# GS v 0 takes a 16-bit row count; printers also have a receive buffer of a few KiB, so images are sent
# in bands: a paper-out between bands is then noticed before the rest of the ticket is pushed.
DEFAULT_BAND_ROWS = 128
MAX_RASTER_ROWS = 0xFFFF
MAX_RASTER_WIDTH_BYTES = 0xFFFF


class StatusRequest(IntEnum):
    """DLE EOT n: real-time status transmission."""

    PRINTER = 1
    OFFLINE_CAUSE = 2
    ERROR_CAUSE = 3
    PAPER_SENSOR = 4


class EscposEncodeError(ValueError):
    """A command was asked for with arguments ESC/POS cannot express (our bug, not the printer's)."""


def initialize() -> bytes:
    """ESC @: clear the print buffer and reset modes."""
    return bytes((ESC, 0x40))


def feed_lines(n: int) -> bytes:
    """ESC d n: print the buffer and feed n lines."""
    if not 0 <= n <= 255:
        raise EscposEncodeError(f"feed lines must be 0..255, got {n}")
    return bytes((ESC, 0x64, n))


def cut(*, partial: bool = True) -> bytes:
    """GS V m: m=0 full cut, m=1 partial cut (one point left uncut so the ticket does not fall)."""
    return bytes((GS, 0x56, 0x01 if partial else 0x00))


def status_request(n: StatusRequest | int) -> bytes:
    """DLE EOT n: the printer answers with one status byte, even while offline."""
    n = StatusRequest(n)
    return bytes((DLE, EOT, int(n)))


def _packed_rows(image: Image.Image) -> tuple[int, int, bytes]:
    """(bytes per row, rows, data) with 1 = black dot, as GS v 0 wants; width padded to a whole byte."""
    mono = image if image.mode == "1" else image.convert("L").point(lambda v: 255 if v >= 128 else 0, "1")
    width_bytes = (mono.width + 7) // 8
    if mono.width % 8:
        padded = Image.new("1", (width_bytes * 8, mono.height), 1)
        padded.paste(mono, (0, 0))
        mono = padded
    # PIL's mode "1" packs 8 pixels per byte, MSB first, with 1 = white: invert for the printer.
    data = bytes(b ^ 0xFF for b in mono.tobytes())
    return width_bytes, mono.height, data


def raster(image: Image.Image) -> bytes:
    """GS v 0 m=0 (normal density): one raster block for the whole image."""
    width_bytes, rows, data = _packed_rows(image)
    return raster_block(width_bytes, rows, data)


def raster_block(width_bytes: int, rows: int, data: bytes) -> bytes:
    if not 1 <= width_bytes <= MAX_RASTER_WIDTH_BYTES or not 1 <= rows <= MAX_RASTER_ROWS:
        raise EscposEncodeError(f"raster size out of range: {width_bytes} bytes x {rows} rows")
    if len(data) != width_bytes * rows:
        raise EscposEncodeError(f"raster data is {len(data)} bytes, expected {width_bytes * rows}")
    header = bytes((GS, 0x76, 0x30, 0x00, width_bytes & 0xFF, width_bytes >> 8, rows & 0xFF, rows >> 8))
    return header + data


def raster_bands(image: Image.Image, band_rows: int = DEFAULT_BAND_ROWS) -> Iterator[bytes]:
    """The image as consecutive GS v 0 blocks of at most ``band_rows`` rows each."""
    if band_rows < 1:
        raise EscposEncodeError(f"band rows must be positive, got {band_rows}")
    width_bytes, rows, data = _packed_rows(image)
    for top in range(0, rows, band_rows):
        n = min(band_rows, rows - top)
        yield raster_block(width_bytes, n, data[top * width_bytes : (top + n) * width_bytes])


def ticket_job(image: Image.Image, *, feed: int = 4, partial_cut: bool = True,
               band_rows: int = DEFAULT_BAND_ROWS) -> list[bytes]:
    """The chunks of one printed ticket: init, raster bands, feed past the cutter, cut."""
    return [initialize(), *raster_bands(image, band_rows), feed_lines(feed) + cut(partial=partial_cut)]
