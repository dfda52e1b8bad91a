"""Keypad configuration: `driver = "keypad-serial"` (RS-232/RS-485) or `driver = "sim"`."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from hall_protocol.config_files import ConfigStruct

Seconds = Annotated[float, Meta(gt=0, le=60, description="seconds")]


class KeypadSerialConfig(ConfigStruct, frozen=True, tag_field="driver", tag="keypad-serial"):
    port: Annotated[str, Meta(min_length=1, description="serial device path")]
    kind: Literal["caller", "evaluator"]
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 9600
    address: Annotated[int, Meta(ge=0, le=254, description="bus address set on the pad")] = 1
    debounce_s: Annotated[float, Meta(ge=0, le=1)] = 0.12
    stuck_after_s: Seconds = 5.0
    heartbeat_timeout_s: Seconds = 3.5


class KeypadSimConfig(ConfigStruct, frozen=True, tag_field="driver", tag="sim"):
    kind: Literal["caller", "evaluator"]
    address: Annotated[int, Meta(ge=0, le=254)] = 1
    heartbeat_interval_s: Seconds = 1.0


KeypadConfig = KeypadSerialConfig | KeypadSimConfig
