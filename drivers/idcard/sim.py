"""The in-process ID reader: the real driver over the emulator, with hands to place and pull cards."""

from __future__ import annotations

from drivers.emulator_link import EmulatorPort
from drivers.idcard.driver import Ga467Reader, Timing
from drivers.idcard.emulator import CardImage, Ga467Emulator, sample_card


class IdReaderSim(Ga467Reader):
    """Faults are scripted on ``self.emulator`` (see Ga467Emulator); ``unplug()`` pulls the cable."""

    def __init__(
        self,
        emulator: Ga467Emulator | None = None,
        *,
        timing: Timing | None = None,
        with_fingerprint: bool = False,
        retries: int = 1,
    ) -> None:
        self.emulator = emulator if emulator is not None else Ga467Emulator(card=sample_card())
        self.port = EmulatorPort(self.emulator, what="reader")
        super().__init__(
            self.port.open,
            timing=timing,
            with_fingerprint=with_fingerprint,
            retries=retries,
            name="id-reader-sim",
        )

    def place(self, card: CardImage | None = None) -> None:
        self.emulator.place(card if card is not None else sample_card())

    def remove(self) -> None:
        self.emulator.remove()

    def unplug(self) -> None:
        self.port.unplug()

    def plug_in(self) -> None:
        self.port.plug_in()
