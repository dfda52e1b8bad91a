"""The in-process keypad: the real driver over the emulator, with hands to press keys."""

from __future__ import annotations

import asyncio
import contextlib

from drivers.emulator_link import EmulatorPort
from drivers.keypad.driver import KeypadTiming, SerialKeypad
from drivers.keypad.emulator import KeypadEmulator
from drivers.keypad.protocol import Key


class KeypadSim(SerialKeypad):
    """Heartbeats are sent every ``heartbeat_interval_s`` while the emulator is connected."""

    def __init__(
        self,
        emulator: KeypadEmulator | None = None,
        *,
        timing: KeypadTiming | None = None,
        heartbeat_interval_s: float = 1.0,
    ) -> None:
        self.emulator = emulator if emulator is not None else KeypadEmulator()
        self.heartbeat_interval_s = heartbeat_interval_s
        self.port = EmulatorPort(self.emulator, what="keypad")
        self._beats: asyncio.Task[None] | None = None
        super().__init__(self.port.open, address=self.emulator.address, timing=timing, name="keypad-sim")

    def press(self, key: Key) -> None:
        self.port.inject(self.emulator.press(key))

    def hold(self, key: Key) -> None:
        self.port.inject(self.emulator.key_down(key))

    def release(self, key: Key) -> None:
        self.port.inject(self.emulator.key_up(key))

    def bounce(self, key: Key, times: int = 3) -> None:
        self.port.inject(self.emulator.bounce(key, times))

    def unplug(self) -> None:
        self.port.unplug()

    def plug_in(self) -> None:
        self.port.plug_in()

    async def _start(self) -> None:
        await super()._start()
        if self._beats is None or self._beats.done():
            self.port.inject(self.emulator.heartbeat())
            self._beats = asyncio.get_running_loop().create_task(self._beat())

    async def aclose(self) -> None:
        if self._beats is not None:
            self._beats.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beats
        await super().aclose()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval_s)
            self.port.inject(self.emulator.heartbeat())
