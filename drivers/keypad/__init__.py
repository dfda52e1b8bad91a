"""Keypads at a window: the staff's caller keypad (呼叫器) and the citizen's evaluator (评价器)."""

from drivers.keypad.config import KeypadConfig, KeypadSerialConfig, KeypadSimConfig
from drivers.keypad.core import KeyEvent, KeypadCore, KeypadStats
from drivers.keypad.driver import Keypad, KeypadTiming, SerialKeypad
from drivers.keypad.emulator import KeypadEmulator
from drivers.keypad.errors import KeypadDisconnected, KeypadError, KeypadSilent
from drivers.keypad.factory import open_keypad
from drivers.keypad.protocol import Key, PadKind
from drivers.keypad.sim import KeypadSim

__all__ = [
    "Key",
    "KeyEvent",
    "Keypad",
    "KeypadConfig",
    "KeypadCore",
    "KeypadDisconnected",
    "KeypadEmulator",
    "KeypadError",
    "KeypadSerialConfig",
    "KeypadSilent",
    "KeypadSim",
    "KeypadSimConfig",
    "KeypadStats",
    "KeypadTiming",
    "PadKind",
    "SerialKeypad",
    "open_keypad",
]
