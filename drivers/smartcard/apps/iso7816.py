"""Any ISO 7816 card: what its ATR says, and which of the given applications (AIDs) it has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drivers.smartcard.apdu import INS_SELECT, CommandApdu, describe_sw
from drivers.smartcard.atr import Atr
from drivers.smartcard.errors import CardProtocolError
from drivers.smartcard.interface import CardChannel
from drivers.smartcard.tlv import parse_tlv


@dataclass(frozen=True)
class AidSelection:
    aid: bytes
    sw: int
    fci: bytes  # the File Control Information template the card returned (empty if none)
    label: str = ""  # application label (tag 50) when the FCI carries one

    @property
    def found(self) -> bool:
        return self.sw == 0x9000 or self.sw >> 8 in (0x62, 0x63)

    @property
    def status(self) -> str:
        return describe_sw(self.sw)


@dataclass(frozen=True)
class CardSummary:
    reader: str
    atr: Atr
    selections: tuple[AidSelection, ...]

    @property
    def applications(self) -> tuple[bytes, ...]:
        return tuple(s.aid for s in self.selections if s.found)


def select_by_name(aid: bytes) -> CommandApdu:
    """SELECT by DF name, first occurrence, return FCI (00 A4 04 00 Lc AID 00)."""
    return CommandApdu(0x00, INS_SELECT, 0x04, 0x00, aid, le=256)


def _label(fci: bytes) -> str:
    try:
        objects = parse_tlv(fci)
    except CardProtocolError:
        return ""
    for obj in objects:
        found = obj if obj.tag == 0x50 else obj.find(0x50)
        if found is not None:
            return found.value.decode("ascii", errors="replace")
    return ""


class Iso7816Application:
    """Reads the ATR's historical bytes and tries ``aids`` by SELECT; matches every card."""

    name = "iso7816"

    def __init__(self, aids: Sequence[bytes] = ()) -> None:
        self.aids = tuple(aids)

    def matches(self, atr: Atr) -> bool:
        return True

    async def run(self, channel: CardChannel) -> CardSummary:
        selections = []
        for aid in self.aids:
            response = await channel.transmit(select_by_name(aid))
            selections.append(AidSelection(aid, response.sw, response.data, _label(response.data)))
        return CardSummary(channel.reader, channel.atr, tuple(selections))
