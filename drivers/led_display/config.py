"""LED window display configuration: `driver = "led-serial"` (RS-232/RS-485) or `driver = "sim"`."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from hall_protocol.config_files import ConfigStruct

Seconds = Annotated[float, Meta(gt=0, le=30, description="seconds")]
Lines = Annotated[int, Meta(ge=1, le=8)]


class LedSerialConfig(ConfigStruct, frozen=True, tag_field="driver", tag="led-serial"):
    port: Annotated[str, Meta(min_length=1, description="serial device path")]
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 9600
    address: Annotated[int, Meta(ge=0, le=254, description="bus address set on the display")] = 1
    lines: Lines = 2
    brightness: Annotated[int, Meta(ge=0, le=15)] | None = None  # sent once after the port opens
    response_timeout_s: Seconds = 0.5
    retries: Annotated[int, Meta(ge=0, le=5)] = 1  # after no answer, a torn frame or a checksum NAK


class LedDisplaySimConfig(ConfigStruct, frozen=True, tag_field="driver", tag="sim"):
    address: Annotated[int, Meta(ge=0, le=254)] = 1
    lines: Lines = 2
    columns: Annotated[int, Meta(ge=4, le=128)] = 16


LedDisplayConfig = LedSerialConfig | LedDisplaySimConfig
