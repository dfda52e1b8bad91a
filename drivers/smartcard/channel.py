"""A card channel over any raw byte transport, with 61xx/6Cxx handled by ``apdu.Exchange``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from drivers.smartcard.apdu import CommandApdu, Exchange, ResponseApdu, describe_sw
from drivers.smartcard.atr import Atr
from drivers.smartcard.interface import CardChannel

log = logging.getLogger(__name__)

RawTransmit = Callable[[bytes], Awaitable[bytes]]


def as_command(apdu: CommandApdu | bytes) -> CommandApdu:
    return apdu if isinstance(apdu, CommandApdu) else CommandApdu.parse(bytes(apdu))


class ApduChannel:
    def __init__(self, reader: str, atr: Atr, raw: RawTransmit) -> None:
        self._reader = reader
        self._atr = atr
        self._raw = raw

    @property
    def reader(self) -> str:
        return self._reader

    @property
    def atr(self) -> Atr:
        return self._atr

    async def transmit(self, command: CommandApdu) -> ResponseApdu:
        exchange = Exchange(command)
        outgoing = exchange.first()
        while True:
            result = exchange.receive(await self._raw(outgoing))
            if isinstance(result, ResponseApdu):
                # Header and status only: data may be personal (names, ID numbers).
                log.debug("%s: %02X %02X %02X %02X → %04X (%s), %d bytes", self._reader, command.cla,
                          command.ins, command.p1, command.p2, result.sw, describe_sw(result.sw), len(result.data))
                return result
            outgoing = result


@dataclass(frozen=True)
class SingleCommand:
    """The application behind ``CardReader.transmit``: one command, any card."""

    command: CommandApdu
    name: str = "transmit"

    def matches(self, atr: Atr) -> bool:
        return True

    async def run(self, channel: CardChannel) -> tuple[bytes, int]:
        response = await channel.transmit(self.command)
        return response.data, response.sw
