"""``open_keypad(config)``: configuration picks the implementation; the port opens at first use."""

from __future__ import annotations

from functools import partial

from drivers.byte_link import SerialLink
from drivers.keypad.config import KeypadConfig, KeypadSerialConfig
from drivers.keypad.driver import Keypad, KeypadTiming, SerialKeypad
from drivers.keypad.emulator import KeypadEmulator
from drivers.keypad.protocol import PadKind
from drivers.keypad.sim import KeypadSim


def open_keypad(config: KeypadConfig) -> Keypad:
    if isinstance(config, KeypadSerialConfig):
        timing = KeypadTiming(
            debounce_s=config.debounce_s,
            stuck_after_s=config.stuck_after_s,
            heartbeat_timeout_s=config.heartbeat_timeout_s,
        )
        link = partial(SerialLink, config.port, config.baudrate)
        return SerialKeypad(link, address=config.address, timing=timing, name=f"{config.kind} {config.port}")
    kind = PadKind.CALLER if config.kind == "caller" else PadKind.EVALUATOR
    emulator = KeypadEmulator(kind=kind, address=config.address)
    return KeypadSim(emulator, heartbeat_interval_s=config.heartbeat_interval_s)
