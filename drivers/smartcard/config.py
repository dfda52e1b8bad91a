"""Which card reader driver to use, chosen by the ``driver`` field (strict: unknown keys are errors).

```toml
[card_reader]
driver = "pcsc"
reader_filter = "ACS"      # only readers whose name contains this (case-insensitive); "" = all
poll_interval_s = 0.5
```
"""

from __future__ import annotations

from hall_protocol.config_files import ConfigStruct


class PcscConfig(ConfigStruct, frozen=True, tag_field="driver", tag="pcsc"):
    """A real reader through the system's PC/SC service (pcscd)."""

    reader_filter: str = ""  # case-insensitive substring of the reader name; "" takes every reader
    poll_interval_s: float = 0.5  # longest wait for a reader/card change before the monitor re-checks
    reconnect_initial_s: float = 0.1  # first wait after pcscd is lost; doubles up to reconnect_max_s
    reconnect_max_s: float = 5.0
    removal_grace_s: float = 1.5  # after a failed exchange, how long to watch for the card leaving

    def __post_init__(self) -> None:
        for name in ("poll_interval_s", "reconnect_initial_s", "reconnect_max_s", "removal_grace_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"card_reader.{name} must be positive (value: {getattr(self, name)})")
        if self.reconnect_max_s < self.reconnect_initial_s:
            raise ValueError("card_reader.reconnect_max_s must be at least reconnect_initial_s")


class SimConfig(ConfigStruct, frozen=True, tag_field="driver", tag="sim"):
    """The in-process simulator (demo, UI work, tests): cards are inserted and removed by code."""

    reader_name: str = "OneVisit Simulated Reader 00 00"
    demo_card: bool = False  # start with the demo ISO 7816 card inserted
    apdu_delay_s: float = 0.0  # simulated time per APDU, to make the UI's waiting states visible

    def __post_init__(self) -> None:
        if not self.reader_name:
            raise ValueError("card_reader.reader_name must not be empty")
        if self.apdu_delay_s < 0:
            raise ValueError(f"card_reader.apdu_delay_s must not be negative (value: {self.apdu_delay_s})")


CardReaderConfig = PcscConfig | SimConfig
