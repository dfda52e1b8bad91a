"""The simulated receipt printer: the real driver talking to the emulator in-process.

Using the same driver code means the simulator fails exactly like the real path does: a paper-out is
found by status bytes, not by a shortcut.
"""

from __future__ import annotations

from drivers.receipt_printer.driver import EscposPrinter
from drivers.receipt_printer.emulator import EscposEmulator, Faults
from drivers.receipt_printer.transport import EmulatorTransport


class SimulatedReceiptPrinter(EscposPrinter):
    def __init__(self, *, width_dots: int = 576, faults: Faults | None = None, keep_last: int = 20) -> None:
        # a kiosk runs for days: the simulated paper roll remembers only the last few tickets
        self.emulator = EscposEmulator(width_dots=width_dots, faults=faults, keep_last=keep_last)
        transport = EmulatorTransport(self.emulator)
        super().__init__(lambda: transport, name="sim-receipt", width_dots=width_dots, status_timeout_s=0.05)
