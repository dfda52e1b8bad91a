"""The in-process keypad: the real driver over the emulator, with hands to press keys."""

from __future__ import annotations

import asyncio
import contextlib

from drivers.keypad.driver import KeypadTiming, SerialKeypad
from drivers.keypad.emulator import KeypadEmulator
from drivers.keypad.protocol import Key
from drivers.serial_link import ByteLink, EmulatorLink, LinkClosed


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
        # made now, so that keys pressed before anyone listens wait in the link like bytes in a UART buffer
        self.link: EmulatorLink | None = EmulatorLink(self.emulator)
        self._fresh = True
        self._plugged = True
        self._beats: asyncio.Task[None] | None = None
        super().__init__(self._connect_sim, address=self.emulator.address, timing=timing, name="keypad-sim")

    def press(self, key: Key) -> None:
        self._inject(self.emulator.press(key))

    def hold(self, key: Key) -> None:
        self._inject(self.emulator.key_down(key))

    def release(self, key: Key) -> None:
        self._inject(self.emulator.key_up(key))

    def bounce(self, key: Key, times: int = 3) -> None:
        self._inject(self.emulator.bounce(key, times))

    def unplug(self) -> None:
        self._plugged = False
        if self.link is not None:
            self.link.unplug()

    def plug_in(self) -> None:
        self._plugged = True

    async def _start(self) -> None:
        await super()._start()
        if self._beats is None or self._beats.done():
            self._inject(self.emulator.heartbeat())
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
            self._inject(self.emulator.heartbeat())

    def _inject(self, data: bytes) -> None:
        if data and self.link is not None:
            self.link.inject(data)

    def _connect_sim(self) -> ByteLink:
        if not self._plugged:
            raise LinkClosed("simulated keypad is unplugged")
        if not self._fresh or self.link is None:
            self.link = EmulatorLink(self.emulator)
        self._fresh = False
        return self.link
