"""The in-process simulator: one reader slot, cards inserted and removed by code, and every fault the real
driver reports (service down, reader unplugged, card mute, card pulled mid-exchange)."""

from __future__ import annotations

import asyncio
import logging
from typing import TypeVar

from drivers.health import PeripheralHealth
from drivers.smartcard.apdu import CommandApdu
from drivers.smartcard.atr import build_atr, parse_atr
from drivers.smartcard.channel import ApduChannel, SingleCommand, as_command
from drivers.smartcard.config import SimConfig
from drivers.smartcard.errors import (
    CardMute,
    CardRemovedError,
    NoCard,
    PcscUnavailable,
    ReaderAbsent,
    UnsupportedCard,
)
from drivers.smartcard.hub import EventHub, EventStream
from drivers.smartcard.interface import CardApplication, SelfTestResult
from drivers.smartcard.sim_card import Fault, ScriptedCard
from drivers.smartcard.state import Slot
from drivers.smartcard.tlv import encode_tlv

log = logging.getLogger(__name__)
T = TypeVar("T")

DEMO_AID = bytes.fromhex("F04F4E4556495349") + b"T"  # "F0" (unregistered, proprietary) + "ONEVISIT"


def demo_card() -> ScriptedCard:
    """A plain ISO 7816 card with one demo application; it is not a social-security or bank card."""
    card = ScriptedCard(atr=build_atr(historical=b"OneVisit-DEMO", protocols=(0, 1)), chunk=32)
    card.reply("00A40000023F00", "9000")
    fci = encode_tlv(0x6F, encode_tlv(0x84, DEMO_AID) + encode_tlv(0xA5, encode_tlv(0x50, b"DEMO")))
    card.reply(CommandApdu(0x00, 0xA4, 0x04, 0x00, DEMO_AID), fci + b"\x90\x00")
    return card


class SimCardReader:
    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.name = self.config.reader_name
        self._hub = EventHub()
        self._service = True
        self._plugged = True
        self._card: ScriptedCard | None = None
        self._lock = asyncio.Lock()
        self.transmitted = 0  # raw APDUs exchanged, for demos and tests

    # -- scripted control (call on the event loop) --------------------------------------------------
    def start(self) -> SimCardReader:
        if self.config.demo_card:
            self._card = demo_card()
        self._publish()
        return self

    def insert(self, card: ScriptedCard) -> None:
        card.power_on()
        self._card = card
        self._publish()

    def remove(self) -> None:
        self._card = None
        self._publish()

    def unplug_reader(self) -> None:
        self._plugged = False
        self._publish()

    def plug_reader(self) -> None:
        self._plugged = True
        self._publish()

    def stop_service(self) -> None:
        self._service = False
        self._publish()

    def start_service(self) -> None:
        self._service = True
        self._publish()

    def _publish(self) -> None:
        if not self._service:
            self._hub.service_lost("simulated: PC/SC service stopped")
            return
        if not self._plugged:
            self._hub.apply({})
            return
        card = self._card
        slot = Slot() if card is None else Slot(mute=True) if not card.atr else Slot(atr=card.atr)
        self._hub.apply({self.name: slot})

    # -- CardReader -----------------------------------------------------------------------------------
    def events(self) -> EventStream:
        return self._hub.subscribe()

    async def transmit(self, command: CommandApdu | bytes, *, reader: str | None = None) -> tuple[bytes, int]:
        return await self.run_script(SingleCommand(as_command(command)), reader=reader)

    async def run_script(self, app: CardApplication[T], *, reader: str | None = None) -> T:
        card = self._check(reader)
        atr = parse_atr(card.atr)
        if not app.matches(atr):
            raise UnsupportedCard(f"application {app.name} does not handle ATR {atr.hex}")
        async with self._lock:

            async def raw(data: bytes) -> bytes:
                if self.config.apdu_delay_s:
                    await asyncio.sleep(self.config.apdu_delay_s)  # simulated transfer time
                if self._card is not card:
                    raise CardRemovedError(f"{self.name}: card left before the command was sent")
                self.transmitted += 1
                answer = card.handle(data)
                if answer is Fault.PULLED:
                    self.remove()
                    raise CardRemovedError(f"{self.name}: card pulled during the exchange")
                if answer is Fault.MUTE:
                    raise CardMute(f"{self.name}: card did not answer")
                assert isinstance(answer, bytes)
                return answer

            return await app.run(ApduChannel(self.name, atr, raw))

    def _check(self, reader: str | None) -> ScriptedCard:
        if not self._service:
            raise PcscUnavailable("simulated: PC/SC service stopped")
        if not self._plugged or (reader is not None and reader != self.name):
            raise ReaderAbsent(f"reader {reader or self.name} not connected")
        if self._card is None:
            raise NoCard(f"{self.name}: no card")
        if not self._card.atr:
            raise CardMute(f"{self.name}: card gives no answer-to-reset")
        return self._card

    async def health(self) -> PeripheralHealth:
        return self._hub.health()

    async def self_test(self) -> SelfTestResult:
        health = self._hub.health()
        readers = tuple(self._hub.slots)
        present = any(slot.card_present for slot in self._hub.slots.values())
        checks = (("service", self._service, "simulated PC/SC service"),
                  ("reader", bool(readers), ", ".join(readers) or "no reader"))
        return SelfTestResult(passed=all(ok for _, ok, _ in checks), health=health, readers=readers,
                              card_present=present, checks=checks)

    async def aclose(self) -> None:
        self._card = None
