"""The enrolment link as a QR code: a PNG data URL for the console, text for a terminal."""

from __future__ import annotations

import io

import segno


def qr_png_data_url(text: str) -> str:
    return str(segno.make(text, error="m").png_data_uri(scale=6, border=2))


def terminal_qr(text: str) -> str:
    """The QR drawn with block characters (two modules per line), with a quiet zone."""
    out = io.StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()
