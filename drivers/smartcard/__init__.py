"""PC/SC smart-card readers (社会保障卡, bank cards, any ISO 7816 card): interface, real driver, simulator.

Open a reader with ``open_card_reader(config)``; run an APDU script (a ``CardApplication``) with
``reader.run_script(app)``. See docs/smartcard.md.
"""

from drivers.smartcard.apdu import CommandApdu, ResponseApdu, describe_sw
from drivers.smartcard.atr import Atr, parse_atr
from drivers.smartcard.config import CardReaderConfig, PcscConfig, SimConfig
from drivers.smartcard.errors import (
    ApduFormatError,
    AtrError,
    CardMute,
    CardProtocolError,
    CardRemovedError,
    CardStatusError,
    NoCard,
    PcscUnavailable,
    PsamRequired,
    ReaderAbsent,
    SmartcardError,
    UnsupportedCard,
)
from drivers.smartcard.events import CardEvent, CardInserted, CardRemoved, ReaderAdded, ReaderRemoved
from drivers.smartcard.factory import open_card_reader
from drivers.smartcard.interface import CardApplication, CardChannel, CardReader, SelfTestResult

__all__ = [
    "ApduFormatError",
    "Atr",
    "AtrError",
    "CardApplication",
    "CardChannel",
    "CardEvent",
    "CardInserted",
    "CardMute",
    "CardProtocolError",
    "CardReader",
    "CardReaderConfig",
    "CardRemoved",
    "CardRemovedError",
    "CardStatusError",
    "CommandApdu",
    "NoCard",
    "PcscConfig",
    "PcscUnavailable",
    "PsamRequired",
    "ReaderAbsent",
    "ReaderAdded",
    "ReaderRemoved",
    "ResponseApdu",
    "SelfTestResult",
    "SimConfig",
    "SmartcardError",
    "UnsupportedCard",
    "describe_sw",
    "open_card_reader",
    "parse_atr",
]
