"""Receipt printer configuration, chosen by the ``driver`` field."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hall_protocol.config_files import ConfigStruct

PaperWidth = Literal[58, 80]
DOTS_PER_LINE: dict[int, int] = {80: 576, 58: 384}

Seconds = Annotated[float, msgspec.Meta(gt=0, le=60, description="seconds")]


class EscposSerialConfig(ConfigStruct, frozen=True, tag_field="driver", tag="escpos-serial"):
    """A printer on a serial port (RS-232 or a USB-serial adapter)."""

    port: str  # e.g. /dev/ttyUSB0
    baudrate: Annotated[int, msgspec.Meta(ge=1200, le=921600)] = 115200
    paper_width_mm: PaperWidth = 80
    status_timeout_s: Seconds = 0.5  # one DLE EOT answer; no answer within it means offline
    write_timeout_s: Seconds = 10.0
    band_rows: Annotated[int, msgspec.Meta(ge=8, le=2048)] = 128
    partial_cut: bool = True


class EscposFileConfig(ConfigStruct, frozen=True, tag_field="driver", tag="escpos-file"):
    """A USB printer-class device node (``/dev/usb/lp0``), opened read/write for status."""

    path: str
    paper_width_mm: PaperWidth = 80
    status_timeout_s: Seconds = 0.5
    band_rows: Annotated[int, msgspec.Meta(ge=8, le=2048)] = 128
    partial_cut: bool = True


class ReceiptSimConfig(ConfigStruct, frozen=True, tag_field="driver", tag="sim"):
    """An in-process emulated printer with a finite paper roll (for demos and kiosk development)."""

    paper_width_mm: PaperWidth = 80
    tickets_per_roll: Annotated[int, msgspec.Meta(ge=1)] | None = None  # None: never runs out
    near_end_after: Annotated[int, msgspec.Meta(ge=0)] | None = None


ReceiptPrinterConfig = EscposSerialConfig | EscposFileConfig | ReceiptSimConfig
