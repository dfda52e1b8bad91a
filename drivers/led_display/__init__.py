"""Serial LED window display (窗口屏): STX/ETX protocol, driver, simulator, emulator."""

from drivers.led_display.config import LedDisplayConfig, LedDisplaySimConfig, LedSerialConfig
from drivers.led_display.driver import LedDisplay, LedTiming, SerialLedDisplay
from drivers.led_display.emulator import LedDisplayEmulator
from drivers.led_display.errors import (
    DisplayAbsent,
    DisplayNoAnswer,
    DisplayRejected,
    DisplayTextError,
    LedDisplayError,
)
from drivers.led_display.factory import open_led_display
from drivers.led_display.sim import LedDisplaySim

__all__ = [
    "DisplayAbsent",
    "DisplayNoAnswer",
    "DisplayRejected",
    "DisplayTextError",
    "LedDisplay",
    "LedDisplayConfig",
    "LedDisplayEmulator",
    "LedDisplayError",
    "LedDisplaySim",
    "LedDisplaySimConfig",
    "LedSerialConfig",
    "LedTiming",
    "SerialLedDisplay",
    "open_led_display",
]
