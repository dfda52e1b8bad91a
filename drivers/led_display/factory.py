"""``open_led_display(config)``: configuration picks the implementation; the port opens at first use."""

from __future__ import annotations

from functools import partial

from drivers.byte_link import SerialLink
from drivers.led_display.config import LedDisplayConfig, LedSerialConfig
from drivers.led_display.driver import LedDisplay, LedTiming, SerialLedDisplay
from drivers.led_display.emulator import LedDisplayEmulator
from drivers.led_display.sim import LedDisplaySim


def open_led_display(config: LedDisplayConfig) -> LedDisplay:
    if isinstance(config, LedSerialConfig):
        return SerialLedDisplay(
            partial(SerialLink, config.port, config.baudrate),
            address=config.address,
            lines=config.lines,
            brightness=config.brightness,
            timing=LedTiming(response_timeout_s=config.response_timeout_s),
            retries=config.retries,
            name=f"led-display {config.port}@{config.address}",
        )
    emulator = LedDisplayEmulator(address=config.address, lines=config.lines, columns=config.columns)
    return LedDisplaySim(emulator)
