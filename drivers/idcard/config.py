"""Reader configuration: `driver = "ga467-serial"` for a real reader, `driver = "sim"` for the simulator."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from hall_protocol.config_files import ConfigStruct

Seconds = Annotated[float, Meta(gt=0, le=60, description="seconds")]


class Ga467SerialConfig(ConfigStruct, frozen=True, tag_field="driver", tag="ga467-serial"):
    """A GA 467 SAM reader on a serial port or USB-CDC (e.g. /dev/ttyUSB0, /dev/ttyACM0), 8N1."""

    port: Annotated[str, Meta(min_length=1, description="serial device path")]
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 115200
    response_timeout_s: Seconds = 1.0
    read_timeout_s: Seconds = 3.0
    inter_byte_timeout_s: Seconds = 0.3
    with_fingerprint: bool = False  # read command 0x30 0x10 instead of 0x30 0x01
    retries: Annotated[int, Meta(ge=0, le=5)] = 1  # after a broken frame or a rejected command


class IdReaderSimConfig(ConfigStruct, frozen=True, tag_field="driver", tag="sim"):
    """The simulator: the same driver over an in-process emulated reader holding a fictional card."""

    card_present: bool = True
    response_delay_s: Annotated[float, Meta(ge=0, le=10)] = 0.0  # a real reader needs ~0.5-1 s to read
    with_fingerprint: bool = False
    response_timeout_s: Seconds = 1.0
    read_timeout_s: Seconds = 3.0
    inter_byte_timeout_s: Seconds = 0.3


IdReaderConfig = Ga467SerialConfig | IdReaderSimConfig
