"""What the kiosk needs from an ID-card reader, whatever the hardware."""

from __future__ import annotations

from typing import Protocol

from drivers.health import PeripheralHealth
from drivers.idcard.record import IdentityRecord


class IdReader(Protocol):
    async def read_card(self) -> IdentityRecord | None:
        """The card on the reader, or None when there is none. Raises an IdCardError subclass."""
        ...

    async def health(self) -> PeripheralHealth: ...

    async def self_test(self) -> PeripheralHealth:
        """A fuller check than ``health``; ``detail`` says what was checked (no personal data)."""
        ...

    async def aclose(self) -> None: ...
