"""The simulated receipt printer: the real driver talking to the emulator in-process.

Using the same driver code means the simulator fails exactly like the real path does: a paper-out is
found by status bytes, not by a shortcut.
"""

from __future__ import annotations

from drivers.emulator_link import EmulatorPort
from drivers.receipt_printer.driver import EscposPrinter
from drivers.receipt_printer.emulator import EscposEmulator, Faults


class SimulatedReceiptPrinter(EscposPrinter):
    def __init__(self, *, width_dots: int = 576, faults: Faults | None = None, keep_last: int = 20) -> None:
        # a kiosk runs for days: the simulated paper roll remembers only the last few tickets
        self.emulator = EscposEmulator(width_dots=width_dots, faults=faults, keep_last=keep_last)
        self.port = EmulatorPort(self.emulator, what="printer")
        super().__init__(self.port.open, name="sim-receipt", width_dots=width_dots, status_timeout_s=0.05)
