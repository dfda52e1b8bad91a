"""The in-process LED display: the real driver over the emulator, whose ``screen`` shows the result."""

from __future__ import annotations

from drivers.emulator_link import EmulatorPort
from drivers.led_display.driver import LedTiming, SerialLedDisplay
from drivers.led_display.emulator import LedDisplayEmulator


class LedDisplaySim(SerialLedDisplay):
    def __init__(self, emulator: LedDisplayEmulator | None = None, *, timing: LedTiming | None = None) -> None:
        self.emulator = emulator if emulator is not None else LedDisplayEmulator()
        self.port = EmulatorPort(self.emulator, what="display")
        super().__init__(
            self.port.open,
            address=self.emulator.address,
            lines=self.emulator.lines,
            timing=timing,
            name="led-display-sim",
        )

    @property
    def screen(self) -> list[str]:
        return list(self.emulator.screen)

    def unplug(self) -> None:
        self.port.unplug()

    def plug_in(self) -> None:
        self.port.plug_in()
