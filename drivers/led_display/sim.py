"""The in-process LED display: the real driver over the emulator, whose ``screen`` shows the result."""

from __future__ import annotations

from drivers.led_display.driver import LedTiming, SerialLedDisplay
from drivers.led_display.emulator import LedDisplayEmulator
from drivers.serial_link import ByteLink, EmulatorLink, LinkClosed


class LedDisplaySim(SerialLedDisplay):
    def __init__(self, emulator: LedDisplayEmulator | None = None, *, timing: LedTiming | None = None) -> None:
        self.emulator = emulator if emulator is not None else LedDisplayEmulator()
        self.link: EmulatorLink | None = None
        self._plugged = True
        super().__init__(
            self._connect,
            address=self.emulator.address,
            lines=self.emulator.lines,
            timing=timing,
            name="led-display-sim",
        )

    @property
    def screen(self) -> list[str]:
        return list(self.emulator.screen)

    def unplug(self) -> None:
        self._plugged = False
        if self.link is not None:
            self.link.unplug()

    def plug_in(self) -> None:
        self._plugged = True

    def _connect(self) -> ByteLink:
        if not self._plugged:
            raise LinkClosed("simulated display is unplugged")
        self.link = EmulatorLink(self.emulator)
        return self.link
