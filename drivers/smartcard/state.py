"""Reader/slot state and the events and health it implies (sans-IO: snapshots in, events out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from drivers.health import HealthState, PeripheralHealth
from drivers.smartcard.errors import CardMute, PcscUnavailable, ReaderAbsent
from drivers.smartcard.events import CardEvent, CardInserted, CardRemoved, ReaderAdded, ReaderRemoved


@dataclass(frozen=True)
class Slot:
    """One reader as last seen: no card, a card that answered (its ATR), or a card that stays mute."""

    atr: bytes | None = None
    mute: bool = False

    @property
    def card_present(self) -> bool:
        return self.atr is not None


class ReaderTracker:
    """Turns successive snapshots of every reader into the events between them."""

    def __init__(self) -> None:
        self.slots: dict[str, Slot] = {}

    def update(self, snapshot: Mapping[str, Slot]) -> list[CardEvent]:
        events: list[CardEvent] = []
        for name in sorted(self.slots.keys() - snapshot.keys()):
            if self.slots[name].card_present:
                events.append(CardRemoved(name))
            events.append(ReaderRemoved(name))
        for name in sorted(snapshot):
            new = snapshot[name]
            old = self.slots.get(name)
            if old is None:
                events.append(ReaderAdded(name))
                old = Slot()
            if old.atr != new.atr:
                if old.card_present:
                    events.append(CardRemoved(name))
                if new.atr is not None:
                    events.append(CardInserted(name, new.atr))
        self.slots = dict(snapshot)
        return events

    def replay(self) -> list[CardEvent]:
        """The events that bring a new listener from "nothing known" to the current state."""
        events: list[CardEvent] = []
        for name in sorted(self.slots):
            events.append(ReaderAdded(name))
            atr = self.slots[name].atr
            if atr is not None:
                events.append(CardInserted(name, atr))
        return events


def assess_health(*, service_up: bool, slots: Mapping[str, Slot], detail: str = "") -> PeripheralHealth:
    if not service_up:
        return PeripheralHealth(state=HealthState.FAULT, reasons=(PcscUnavailable.reason,),
                                detail=detail or "PC/SC service (pcscd) not reachable; retrying")
    if not slots:
        return PeripheralHealth(state=HealthState.ABSENT, reasons=(ReaderAbsent.reason,),
                                detail="no card reader found")
    mute = sorted(name for name, slot in slots.items() if slot.mute)
    if mute:
        return PeripheralHealth(state=HealthState.DEGRADED, reasons=(CardMute.reason,),
                                detail=f"card does not answer in {', '.join(mute)}")
    return PeripheralHealth.ok()
