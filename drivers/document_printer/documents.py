"""What may be printed, and the self-test page."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw

from drivers.document_printer.errors import UnsupportedDocument
from drivers.receipt_printer.layout import font, qr_image

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PAGE = re.compile(rb"/Type\s*/Page(?!s)")


def document_format(path: Path) -> str:
    """The MIME type by content (never by file name): only PDF and PNG are accepted."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as err:
        raise UnsupportedDocument(f"cannot read {path.name}: {err.strerror}") from err
    if head.startswith(PDF_MAGIC):
        return "application/pdf"
    if head.startswith(PNG_MAGIC):
        return "image/png"
    raise UnsupportedDocument(f"{path.name} is neither PDF nor PNG (starts with {head!r})")


def page_count(path: Path) -> int:
    """Pages in a PDF by its page objects (good enough to plan paper), 1 for an image."""
    if document_format(path) == "image/png":
        return 1
    return max(1, len(_PAGE.findall(path.read_bytes())))


def render_test_page(device_name: str, now: datetime, *, dpi: int = 150) -> Image.Image:
    """An A4 page: CJK and Latin text, a grey ramp (toner and banding), a QR code, margins marked."""
    w, h = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
    page = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(page)
    m = round(10 / 25.4 * dpi)
    draw.rectangle((m, m, w - m, h - m), outline=0, width=3)
    y = m + 40
    for text, size, bold in (("打印机自检页", 64, True), ("Printer self-test page", 40, False),
                             (f"设备 Device: {device_name}", 32, False),
                             (f"时间 Time: {now:%Y-%m-%d %H:%M}", 32, False),
                             ("政务服务 · 最多跑一次 · 只提报一次", 36, False),
                             ("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789", 28, False)):
        f = font(size, bold=bold)
        draw.text((m + 40, y), text, font=f, fill=0)
        y += sum(f.getmetrics()) + 16
    y += 30
    steps = 11
    box = (w - 2 * m - 80) // steps
    for i in range(steps):
        draw.rectangle((m + 40 + i * box, y, m + 40 + (i + 1) * box - 4, y + 120), fill=round(255 * i / (steps - 1)))
    y += 170
    qr = qr_image("https://onevisit.invalid/self-test/document", target_px=300)
    page.paste(qr, ((w - qr.width) // 2, y))
    return page
