from __future__ import annotations

import pytest
from PIL import Image

from drivers.receipt_printer import escpos


def test_simple_commands_exact_bytes() -> None:
    assert escpos.initialize() == b"\x1b\x40"
    assert escpos.feed_lines(3) == b"\x1b\x64\x03"
    assert escpos.cut(partial=True) == b"\x1d\x56\x01"
    assert escpos.cut(partial=False) == b"\x1d\x56\x00"
    assert [escpos.status_request(n) for n in (1, 2, 3, 4)] == [
        b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04"]


@pytest.mark.parametrize("bad", [-1, 256])
def test_feed_out_of_range(bad: int) -> None:
    with pytest.raises(escpos.EscposEncodeError):
        escpos.feed_lines(bad)


def test_status_request_rejects_unknown_n() -> None:
    with pytest.raises(ValueError):
        escpos.status_request(5)


def _image(rows: list[str]) -> Image.Image:
    """'#' = black dot."""
    img = Image.new("1", (len(rows[0]), len(rows)), 1)
    for y, row in enumerate(rows):
        for x, ch in enumerate(row):
            if ch == "#":
                img.putpixel((x, y), 0)
    return img


def test_raster_exact_bytes_black_is_one() -> None:
    img = _image(["########", "####....", "#......#"])
    assert escpos.raster(img) == bytes([0x1D, 0x76, 0x30, 0x00, 1, 0, 3, 0, 0xFF, 0xF0, 0x81])


def test_raster_pads_width_to_whole_bytes_with_white() -> None:
    img = _image(["##########"])  # 10 dots
    assert escpos.raster(img) == bytes([0x1D, 0x76, 0x30, 0x00, 2, 0, 1, 0, 0xFF, 0xC0])


def test_raster_from_greyscale_thresholds() -> None:
    img = Image.new("L", (8, 1), 255)
    img.putpixel((0, 0), 0)
    img.putpixel((1, 0), 100)  # dark enough to print
    img.putpixel((2, 0), 200)  # too light
    assert escpos.raster(img)[8:] == bytes([0xC0])


def test_raster_header_little_endian_sizes() -> None:
    img = Image.new("1", (576, 300), 1)
    data = escpos.raster(img)
    assert data[:8] == bytes([0x1D, 0x76, 0x30, 0x00, 72, 0, 300 & 0xFF, 300 >> 8])
    assert len(data) == 8 + 72 * 300
    assert set(data[8:]) == {0}


def test_bands_split_rows_and_concatenate_to_the_whole() -> None:
    img = _image(["#......."] * 5 + [".......#"] * 2)
    bands = list(escpos.raster_bands(img, band_rows=3))
    assert [b[6] for b in bands] == [3, 3, 1]
    assert b"".join(b[8:] for b in bands) == escpos.raster(img)[8:]


def test_ticket_job_shape() -> None:
    img = Image.new("1", (16, 10), 1)
    chunks = escpos.ticket_job(img, feed=4, partial_cut=False, band_rows=4)
    assert chunks[0] == b"\x1b\x40"
    assert chunks[-1] == b"\x1b\x64\x04\x1d\x56\x00"
    assert len(chunks) == 2 + 3


def test_raster_block_validates_lengths() -> None:
    with pytest.raises(escpos.EscposEncodeError):
        escpos.raster_block(2, 2, b"\x00" * 3)
    with pytest.raises(escpos.EscposEncodeError):
        escpos.raster_block(0, 1, b"")
    with pytest.raises(escpos.EscposEncodeError):
        list(escpos.raster_bands(Image.new("1", (8, 8)), band_rows=0))
