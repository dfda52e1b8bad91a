"""The small async interfaces: a card reader, the channel an application talks through, an application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from drivers.health import PeripheralHealth
from drivers.smartcard.apdu import CommandApdu, ResponseApdu
from drivers.smartcard.atr import Atr
from drivers.smartcard.events import CardEvent

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


class CardChannel(Protocol):
    """An open session with one card; 61xx/6Cxx are already handled by the time a response comes back."""

    @property
    def reader(self) -> str: ...

    @property
    def atr(self) -> Atr: ...

    async def transmit(self, command: CommandApdu) -> ResponseApdu: ...


class CardApplication(Protocol[T_co]):
    """An APDU script as a plugin: which cards it understands, and what it reads from them."""

    @property
    def name(self) -> str: ...

    def matches(self, atr: Atr) -> bool: ...

    async def run(self, channel: CardChannel) -> T_co: ...


@dataclass(frozen=True)
class SelfTestResult:
    passed: bool
    health: PeripheralHealth
    readers: tuple[str, ...] = ()
    card_present: bool = False
    checks: tuple[tuple[str, bool, str], ...] = field(default=())  # (check, passed, detail)


class CardReader(Protocol):
    """A PC/SC-style card reader (one or more slots). Open it with ``open_card_reader(config)``."""

    def events(self) -> AsyncIterator[CardEvent]:
        """Every event from now on, starting with the current state (readers present, cards present)."""
        ...

    async def transmit(self, command: CommandApdu | bytes, *, reader: str | None = None) -> tuple[bytes, int]:
        """Send one APDU to the card (the first reader holding one unless ``reader`` is given)."""
        ...

    async def run_script(self, app: CardApplication[T], *, reader: str | None = None) -> T:
        """Run an application against the card inside one exclusive card session."""
        ...

    async def health(self) -> PeripheralHealth: ...

    async def self_test(self) -> SelfTestResult: ...
